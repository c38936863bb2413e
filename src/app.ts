import pLimit from 'p-limit';
import { Redis } from 'ioredis';
import type { Config } from './config.js';
import { CyrexaClient, type CyrexaClientOptions } from './cyrexa/client.js';
import { RedisRateLimiter } from './cyrexa/rate-limit.js';
import { createTokenProvider } from './cyrexa/token-provider.js';
import type { Logger } from './logger.js';
import { errorMessage } from './logger.js';
import { Secrets } from './secrets.js';
import { AlertDelivery } from './alerts/deliver.js';
import { createSmtpMailer, type Mailer } from './alerts/mailer.js';
import { Metrics } from './http/metrics.js';
import { ScanQueues } from './queue/queues.js';
import { ScanService } from './scan/scan-service.js';
import { CheckResultStore } from './store/check-results.js';
import { CustomerStore } from './store/customers.js';
import { createDatabase, type Database } from './store/database.js';
import { EventStore } from './store/events.js';
import { OutboxStore } from './store/outbox.js';
import { ScanStore } from './store/scans.js';

// Composition root: builds each adapter from the configuration when first asked for, and
// disposes of them in reverse order. Commands ask only for what they use.

type PartialConfig = Partial<Config> & Pick<Config, 'logLevel' | 'secrets'>;

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

export class App {
  private readonly disposers: Array<{ name: string; dispose: () => Promise<void> | void }> = [];
  private readonly cache = new Map<string, unknown>();
  readonly secrets: Secrets;

  constructor(
    readonly config: PartialConfig,
    readonly log: Logger,
    private readonly options: AppOptions = {},
  ) {
    this.secrets = options.secrets ?? new Secrets(config.secrets);
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
      const db = createDatabase({ url: need(this.config.database, 'database').url, poolSize: 12 });
      this.onClose('database', () => db.close());
      return db;
    });
  }

  /** One ioredis connection for queues and the rate limiter (BullMQ duplicates it for blocking reads). */
  get redis(): Redis {
    return this.once('redis', () => {
      const redis = new Redis(need(this.config.redis, 'redis').url, {
        maxRetriesPerRequest: null,
        connectTimeout: 10_000,
        retryStrategy: (times) => Math.min(times * 200, 5_000),
      });
      redis.on('error', (error) => this.log.warn({ err: errorMessage(error) }, 'redis connection error'));
      this.onClose('redis', async () => {
        await redis.quit().catch(() => redis.disconnect());
      });
      return redis;
    });
  }

  get queuePrefix(): string {
    return need(this.config.redis, 'redis').queuePrefix;
  }

  get queues(): ScanQueues {
    return this.once('queues', () => {
      const queues = new ScanQueues(this.redis, this.queuePrefix);
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

  get cyrexa(): CyrexaClient {
    return this.once('cyrexa', () => {
      const c = need(this.config.cyrexa, 'cyrexa');
      return new CyrexaClient({
        baseUrl: c.baseUrl,
        tenantId: c.tenantId,
        tokens: createTokenProvider(c.auth, { timeoutMs: c.timeoutMs, secrets: this.secrets, maxRetryAfterMs: c.maxRetryAfterMs }),
        tokenHeader: c.tokenHeader,
        timeoutMs: c.timeoutMs,
        maxRetryAfterMs: c.maxRetryAfterMs,
        secrets: this.secrets,
        rateLimiter: new RedisRateLimiter(this.redis, `${this.queuePrefix}:cyrexa-rate`, c.maxRps),
        onAttempt: (attempt) => {
          this.metrics.observeRequest(attempt.status, attempt.ms);
          this.options.onCyrexaAttempt?.(attempt);
        },
      });
    });
  }

  /** This process's metrics; Cyrexa request latencies and check outcomes feed it. */
  get metrics(): Metrics {
    return this.once('metrics', () => new Metrics());
  }

  get scanService(): ScanService {
    return this.once('scanService', () => {
      const rules = need(this.config.rules, 'rules');
      return new ScanService({
        source: this.cyrexa,
        customers: this.customers,
        customersStore: this.customers,
        results: new CheckResultStore(this.db),
        scans: this.scans,
        outbox: this.outbox,
        rules: { statuses: rules.statuses, onBaseline: rules.onBaseline },
        log: this.log,
        limit: pLimit(need(this.config.scan, 'scan').checkConcurrency),
        observer: this.metrics,
      });
    });
  }

  get mailer(): Mailer {
    return this.once('mailer', () => {
      const mailer = createSmtpMailer(need(this.config.mail, 'mail').smtpUrl);
      this.onClose('mailer', () => mailer.close());
      return mailer;
    });
  }

  get delivery(): AlertDelivery {
    return this.once('delivery', () => {
      const m = need(this.config.mail, 'mail');
      return new AlertDelivery(this.outbox, this.mailer, { from: m.from, to: m.to, routes: m.routes, opsTo: m.opsTo, batchSeconds: m.batchSeconds }, this.log);
    });
  }

  /** Closes everything built, newest first; each step gets its own share of the deadline. */
  async close(deadlineMs = 10_000): Promise<void> {
    for (const { name, dispose } of this.disposers.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), deadlineMs);
      });
      try {
        const result = await Promise.race([Promise.resolve(dispose()).then(() => 'ok' as const), timeout]);
        if (result === 'timeout') this.log.warn({ resource: name }, 'closing took too long; moving on');
      } catch (error) {
        this.log.warn({ resource: name, err: errorMessage(error) }, 'closing failed');
      } finally {
        clearTimeout(timer);
      }
    }
    this.disposers.length = 0;
  }
}
