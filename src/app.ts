import { setTimeout as delay } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { CyrexaClient, CyrexaClientOptions } from './cyrexa/client.js';
import type { RateLimiter } from './cyrexa/rate-limit.js';
import type { TokenProvider } from './cyrexa/token-provider.js';
import type { CustomerNames } from './deliver/customer-names.js';
import type { Logger } from './logger.js';
import { Secrets } from './secrets.js';
import type { AlertDelivery } from './deliver/deliver.js';
import type { Mailer } from './deliver/mailer.js';
import type { Metrics } from './http/metrics.js';
import type { ScanQueues } from './schedule/queues.js';
import type { CheckDependencies, CustomerChecked } from './check/check-batch.js';
import { BATCH_SIZE, ScanLifecycle } from './scan/lifecycle.js';
import type { OpsAlerts } from './scan/ports.js';
import { queueOpsAlert } from './sql/queue-ops-alert.js';
import { CustomerStore } from './store/customers.js';
import { createDatabase, type Database } from './store/database.js';
import { EventStore } from './store/events.js';
import { CaseService } from './cases/cases.js';
import { SilenceService } from './cases/silences.js';
import { caseLink } from './domain/case-links.js';
import { realTime, scaledClock, type TimeScale } from './domain/time-scale.js';
import { defaultPolicy, nextDue, retryDue } from './domain/check-policy.js';
import type { ScanSchedule } from './domain/schedule.js';
import type { DueAt } from './check/write-results.js';
import { endIncident, raiseIncident } from './outbox/incidents.js';
import { OutboxStore } from './outbox/store.js';
import { ScanStore } from './store/scans.js';

// Composition root: builds each adapter from the configuration when first asked for, and
// disposes of them in reverse order. Commands ask only for what they use: `load()` imports the
// libraries of the configuration sections a command loaded (queues, HTTP client, mail,
// metrics), so that `track add` does not pay for BullMQ and nodemailer.

/** The adapter modules behind each configuration section, imported by `load()`. */
async function importAdapters(config: PartialConfig, options: LoadOptions) {
  const [ioredis, queues, rateLimit, client, tokens, details, deliver, mailer, names, metrics] = await Promise.all([
    config.redis ? import('ioredis') : undefined,
    config.redis && options.queues ? import('./schedule/queues.js') : undefined,
    config.redis ? import('./cyrexa/rate-limit.js') : undefined,
    config.cyrexa ? import('./cyrexa/client.js') : undefined,
    config.cyrexa ? import('./cyrexa/token-provider.js') : undefined,
    config.cyrexa ? import('./cyrexa/details.js') : undefined,
    config.mail ? import('./deliver/deliver.js') : undefined,
    config.mail ? import('./deliver/mailer.js') : undefined,
    config.mail && config.cyrexa ? import('./deliver/customer-names.js') : undefined,
    config.http ? import('./http/metrics.js') : undefined,
  ]);
  return { ioredis, queues, rateLimit, client, tokens, details, deliver, mailer, names, metrics };
}
type Adapters = Awaited<ReturnType<typeof importAdapters>>;

type PartialConfig = Partial<Config> & Pick<Config, 'logLevel' | 'secrets'>;

export interface LoadOptions {
  /** The command takes scans from the BullMQ queues (the worker): BullMQ is loaded for it alone. */
  queues?: boolean;
}

function need<T>(value: T | undefined, section: string): T {
  if (value === undefined) throw new Error(`internal: configuration section "${section}" was not loaded for this command`);
  return value;
}

export interface AppOptions {
  /** Secrets to scrub from text that enters the program (shared with the logger); default: the configured ones. */
  secrets?: Secrets;
  /** Called once per Cyrexa HTTP attempt (metrics, the benchmark). */
  onCyrexaAttempt?: CyrexaClientOptions['onAttempt'];
}

/** Batch jobs a worker runs at once: the checks inside them share CHECK_CONCURRENCY. */
export function batchesInFlight(checkConcurrency: number): number {
  return Math.max(2, Math.ceil(checkConcurrency / 50) + 1);
}

/** Redis could not be reached: named with its address (never its password) and the variable. */
export class RedisUnreachable extends Error {
  override name = 'RedisUnreachable';
}

export class App {
  private readonly disposers: Array<{ name: string; dispose: () => Promise<void> | void }> = [];
  private readonly cache = new Map<string, unknown>();
  private adapters: Adapters | undefined;
  private readonly checkListeners = new Set<(checked: CustomerChecked) => void>();
  readonly secrets: Secrets;

  constructor(
    readonly config: PartialConfig,
    readonly log: Logger,
    private readonly options: AppOptions = {},
  ) {
    this.secrets = options.secrets ?? new Secrets(config.secrets);
  }

  /** Imports what the loaded configuration sections need; call once before using the App. */
  async load(options: LoadOptions = {}): Promise<this> {
    this.adapters ??= await importAdapters(this.config, options);
    return this;
  }

  private adapter<K extends keyof Adapters>(name: K): NonNullable<Adapters[K]> {
    const loaded = this.adapters?.[name];
    if (!loaded) throw new Error(`internal: adapter "${name}" was not loaded (App.load() first, with its configuration section)`);
    return loaded as NonNullable<Adapters[K]>;
  }

  private once<T>(key: string, build: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, build());
    return this.cache.get(key) as T;
  }

  private onClose(name: string, dispose: () => Promise<void> | void): void {
    this.disposers.push({ name, dispose });
  }

  get db(): Database {
    return this.once('db', () => {
      const scan = this.config.scan;
      // One connection per batch in flight (each writes in a transaction), and room for the
      // worker's loops, lease renewals and delivery beside them.
      const poolSize = scan ? Math.max(12, batchesInFlight(scan.checkConcurrency) + 8) : 12;
      const db = createDatabase({ url: need(this.config.database, 'database').url, poolSize });
      this.onClose('database', () => db.close());
      return db;
    });
  }

  /** One ioredis connection for queues and the rate limiter (BullMQ duplicates it for blocking reads). */
  get redis(): Redis {
    return this.once('redis', () => {
      const redis = new (this.adapter('ioredis').Redis)(need(this.config.redis, 'redis').url, {
        maxRetriesPerRequest: null,
        connectTimeout: 10_000,
        retryStrategy: (times) => Math.min(times * 200, 5_000),
        lazyConnect: true,
      });
      // ioredis reports every reconnection attempt; one line per failure kind is enough.
      let lastError = '';
      redis.on('error', (error: Error & { code?: string }) => {
        const what = error.code ?? error.message;
        if (what !== lastError) this.log.warn({ redis: this.redisAddress, err: this.secrets.scrub(what) }, 'redis connection error');
        lastError = what;
      });
      redis.on('ready', () => (lastError = ''));
      this.onClose('redis', async () => {
        // QUIT waits in ioredis's offline queue while Redis is away (for ever, with no retry
        // limit), and its reconnection timer keeps the process alive: then just disconnect.
        if (redis.status !== 'ready') return redis.disconnect();
        const quit = redis.quit().then(() => true, () => false);
        if (!(await Promise.race([quit, delay(2_000, false, { ref: false })]))) redis.disconnect();
      });
      return redis;
    });
  }

  /** host:port of REDIS_URL, for messages. */
  get redisAddress(): string {
    const url = new URL(need(this.config.redis, 'redis').url);
    return `${url.hostname}:${url.port || '6379'}`;
  }

  /** Connects to Redis, or fails within REDIS_CONNECT_TIMEOUT_SECONDS with a message naming where and which variable. */
  async connectRedis(signal?: AbortSignal): Promise<void> {
    const timeoutMs = need(this.config.redis, 'redis').connectTimeoutMs;
    const redis = this.redis;
    const deadline = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    if (redis.status === 'wait') void redis.connect().catch(() => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        if (redis.status === 'ready') return resolve();
        const onReady = () => {
          deadline.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          redis.off('ready', onReady);
          reject(deadline.reason as Error);
        };
        redis.once('ready', onReady);
        deadline.addEventListener('abort', onAbort, { once: true });
      });
      await redis.ping();
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new RedisUnreachable(`Redis unreachable at ${this.redisAddress} (REDIS_URL): no connection within ${Math.round(timeoutMs / 1000)} s`, { cause: error });
    }
  }

  get queuePrefix(): string {
    return need(this.config.redis, 'redis').queuePrefix;
  }

  get queues(): ScanQueues {
    return this.once('queues', () => {
      const queues = new (this.adapter('queues').ScanQueues)(this.redis, this.queuePrefix, need(this.config.scan, 'scan').leaseMs);
      this.onClose('queues', () => queues.close());
      return queues;
    });
  }

  get customers(): CustomerStore {
    return this.once('customers', () => new CustomerStore(this.db));
  }
  get scans(): ScanStore {
    return this.once('scans', () => new ScanStore(this.db));
  }
  get outbox(): OutboxStore {
    return this.once('outbox', () => new OutboxStore(this.db));
  }
  get events(): EventStore {
    return this.once('events', () => new EventStore(this.db));
  }
  get cases(): CaseService {
    return this.once('cases', () => new CaseService(this.db));
  }
  get silences(): SilenceService {
    return this.once('silences', () => new SilenceService(this.db));
  }

  /**
   * The link to a case's page (SPEC §10) that an email rendered at `now` carries, valid 30 days;
   * undefined when acknowledging from the email is off (or the command did not load the links).
   */
  get caseLink(): ((caseId: bigint, now: Date) => string) | undefined {
    const links = this.config.links;
    return links ? (caseId, now) => caseLink(links, caseId, now) : undefined;
  }

  /** The access token source of every Cyrexa request of this process. */
  private get cyrexaTokens(): TokenProvider {
    return this.once('cyrexa-tokens', () => {
      const c = need(this.config.cyrexa, 'cyrexa');
      return this.adapter('tokens').createTokenProvider(c.auth, { timeoutMs: c.timeoutMs, secrets: this.secrets, maxRetryAfterMs: c.maxRetryAfterMs });
    });
  }

  /** CYREXA_MAX_RPS across replicas: every Cyrexa request of this process takes its slot here. */
  private get cyrexaRateLimiter(): RateLimiter {
    const c = need(this.config.cyrexa, 'cyrexa');
    // A request waits at most CYREXA_TIMEOUT_MS for Redis to hand out its slot.
    return this.once('cyrexa-rate', () => new (this.adapter('rateLimit').RedisRateLimiter)(this.redis, `${this.queuePrefix}:cyrexa-rate`, c.maxRps, c.timeoutMs));
  }

  private readonly onCyrexaAttempt: NonNullable<CyrexaClientOptions['onAttempt']> = (attempt) => {
    this.metrics?.observeRequest(attempt.status, attempt.ms);
    this.options.onCyrexaAttempt?.(attempt);
  };

  get cyrexa(): CyrexaClient {
    return this.once('cyrexa', () => {
      const c = need(this.config.cyrexa, 'cyrexa');
      return new (this.adapter('client').CyrexaClient)({
        baseUrl: c.baseUrl,
        tenantId: c.tenantId,
        tokens: this.cyrexaTokens,
        tokenHeader: c.tokenHeader,
        timeoutMs: c.timeoutMs,
        maxRetryAfterMs: c.maxRetryAfterMs,
        backoffBaseMs: c.retryBaseMs,
        secrets: this.secrets,
        rateLimiter: this.cyrexaRateLimiter,
        onAttempt: this.onCyrexaAttempt,
      });
    });
  }

  /**
   * Customers' names for alert emails (getDetailsById), with the Cyrexa and Redis sections only:
   * a command without them (`alerts flush`) sends emails with customer ids alone.
   */
  get customerNames(): CustomerNames | undefined {
    const c = this.config.cyrexa;
    if (!c || !this.config.redis || !this.config.mail) return undefined;
    return this.once('customer-names', () => {
      const details = new (this.adapter('details').CustomerDetailsClient)({
        baseUrl: c.baseUrl,
        tenantId: c.tenantId,
        tokens: this.cyrexaTokens,
        tokenHeader: c.tokenHeader,
        timeoutMs: c.timeoutMs,
        secrets: this.secrets,
        rateLimiter: this.cyrexaRateLimiter,
        onAttempt: this.onCyrexaAttempt,
      });
      return new (this.adapter('names').CachedCustomerNames)((id, signal) => details.customerName(id, signal), this.log);
    });
  }

  /** This process's metrics (with the HTTP section only); Cyrexa request latencies and check outcomes feed it. */
  get metrics(): Metrics | undefined {
    if (!this.config.http) return undefined;
    return this.once('metrics', () => new (this.adapter('metrics').Metrics)());
  }

  get checks(): CheckDependencies {
    return this.once('checks', () => {
      const rules = need(this.config.rules, 'rules');
      const scan = need(this.config.scan, 'scan');
      return {
        db: this.db,
        source: this.cyrexa,
        rules: { statuses: rules.statuses, onBaseline: rules.onBaseline },
        expiry: { names: new Set(rules.expiryNames), timeZone: rules.timeZone, warningDays: rules.warningDays },
        ...(rules.time.scale !== 1 ? { clock: scaledClock(rules.time) } : {}),
        ...(scan.schedule.kind === 'continuous' ? { due: dueFunction(scan.schedule, rules.time) } : {}),
        log: this.log,
        secrets: this.secrets,
        limit: pLimit(scan.checkConcurrency),
        observer: this.metrics,
        drift: { alerts: this.opsAlerts, recorded: new Set<string>() },
        leaseMs: scan.leaseMs,
        onCustomerChecked: (checked) => {
          for (const listener of this.checkListeners) listener(checked);
        },
      };
    });
  }

  /** Tells `listener` of every customer check of this process as it ends; returns how to stop. */
  onCustomerChecked(listener: (checked: CustomerChecked) => void): () => void {
    this.checkListeners.add(listener);
    return () => this.checkListeners.delete(listener);
  }

  /** Operations alerts through the outbox, one per incident. */
  get opsAlerts(): OpsAlerts {
    return {
      async raise(client, kind, text) {
        await raiseIncident(client, { kind, ...text });
      },
      async end(client, kind) {
        await endIncident(client, kind);
      },
      async once(client, key, text) {
        await queueOpsAlert(client, key, text.subject, text.body);
      },
    };
  }

  get lifecycle(): ScanLifecycle {
    return this.once('lifecycle', () => {
      const scan = need(this.config.scan, 'scan');
      const lifecycle = new ScanLifecycle({ db: this.db, checks: this.checks, ops: this.opsAlerts, log: this.log, leaseMs: scan.leaseMs, batchSize: BATCH_SIZE, staleAfterMs: scan.staleAfterMs });
      lifecycle.on('ended', (summary) => this.metrics?.observeScan(summary.status));
      return lifecycle;
    });
  }

  get mailer(): Mailer {
    return this.once('mailer', () => {
      // The server's replies are scrubbed as they arrive: they can echo what we sent.
      const mailer = this.adapter('mailer').createSmtpMailer(need(this.config.mail, 'mail').smtp, { scrub: (text) => this.secrets.scrub(text) });
      this.onClose('mailer', () => mailer.close());
      return mailer;
    });
  }

  get delivery(): AlertDelivery {
    return this.once('delivery', () => {
      const m = need(this.config.mail, 'mail');
      return new (this.adapter('deliver').AlertDelivery)(
        this.outbox,
        this.mailer,
        {
          from: m.from,
          to: m.to,
          routes: m.routes,
          opsTo: m.opsTo,
          batchSeconds: m.batchSeconds,
          leaseMs: m.leaseSeconds * 1000,
          retry: { baseMs: m.retryBaseSeconds * 1000, maxMs: m.retryMaxSeconds * 1000 },
          names: this.customerNames,
          customerUrlTemplate: m.customerUrlTemplate,
          instructions: m.instructions,
          escalateTo: m.cases.escalateTo,
          escalateAfterHours: m.cases.escalateAfterMs / 3_600_000,
          caseLink: this.caseLink,
        },
        this.log,
      );
    });
  }

  /** Closes everything built, newest first, each within the time left before `deadline` (default 10 s). */
  async close(deadline: AbortSignal = AbortSignal.timeout(10_000)): Promise<void> {
    for (const { name, dispose } of this.disposers.reverse()) {
      if (deadline.aborted) {
        this.log.warn({ resource: name }, 'no time left to close it');
        continue;
      }
      const gaveUp = new Promise<'timeout'>((resolve) => deadline.addEventListener('abort', () => resolve('timeout'), { once: true }));
      try {
        const result = await Promise.race([Promise.resolve(dispose()).then(() => 'ok' as const), gaveUp]);
        if (result === 'timeout') this.log.warn({ resource: name }, 'closing took too long; moving on');
      } catch (error) {
        this.log.warn({ resource: name, err: error }, 'closing failed');
      }
    }
    this.disposers.length = 0;
  }
}

/**
 * Continuous mode: when a checked customer is due next, by the policy (src/domain/check-policy.ts)
 * on the clock expiry dates are counted on (TIME_SCALE), as a real instant.
 */
function dueFunction(schedule: Extract<ScanSchedule, { kind: 'continuous' }>, time: TimeScale): (documents: ReadonlyArray<{ status: string; expiresOn: string | null }> | null) => DueAt {
  const policy = defaultPolicy(schedule.everyHours, schedule.timezone);
  const clock = scaledClock(time);
  return (documents) => {
    const checkedAt = clock().getTime();
    const due = documents === null ? retryDue(checkedAt, policy) : nextDue(documents, checkedAt, policy);
    return { at: new Date(realTime(time, due.at)), priority: due.priority };
  };
}
