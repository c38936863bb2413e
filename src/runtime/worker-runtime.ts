import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import type { QueueWorkers } from '../schedule/workers.js';
import { repeat, type Repeating } from './repeat.js';

// The worker's life, in one place: start in order (each step given up at once when the process
// is told to stop), run the background loops, and stop in reverse order under one deadline.
// It receives its functions (the worker command builds them from the App); background failures
// are 'error' events, never exceptions from a timer.

export interface WorkerFunctions {
  /** Fails fast with a clear message when Redis cannot be reached. */
  checkRedis(): Promise<void>;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Registers (or updates) the scan schedule, repairing queues Redis lost. */
  registerSchedule(): Promise<void>;
  /** Repairs the queues when Redis lost them (flushed, restarted without persistence); returns whether it did. */
  repairQueues(): Promise<boolean>;
  /** Queues one catch-up scan when a scheduled tick passed without a scan. */
  catchUp(): Promise<void>;
  startQueueWorkers(onError: (error: Error) => void): QueueWorkers;
  /** One delivery pass over the outbox. */
  deliver(): Promise<void>;
  /** Queues the case reminders and escalations that are due; returns whether it queued any. */
  followUpCases(): Promise<boolean>;
  /** Queues the summary email when its schedule ticked; returns whether it queued one. */
  queueSummary(): Promise<boolean>;
  /** Looks at whether scans stopped completing (log warning, metric). */
  checkOverdue(): Promise<void>;
  /** Serves HTTP (null when off). */
  startHttp(): Promise<{ close(): Promise<void> } | null>;
  /** Serves the people's pages on WEB_PORT (null when acknowledging from the email is off). */
  startWeb(): Promise<{ close(): Promise<void> } | null>;
  /** Closes what the functions opened (database, Redis, mail). */
  close(deadline: AbortSignal): Promise<void>;
}

export interface WorkerTimings {
  deliveryEveryMs: number;
  catchUpEveryMs: number;
  overdueEveryMs: number;
  queueCheckEveryMs: number;
  /** How often due reminders and escalations are looked for (SPEC §10: at least once a minute). */
  followUpEveryMs: number;
  /** How often the summary's schedule is looked at. */
  summaryEveryMs: number;
  /** Everything is stopped within this long of the stop signal (SPEC: 30 s). */
  shutdownMs: number;
}

export class StartupAborted extends Error {
  override name = 'StartupAborted';
}

export class WorkerRuntime extends EventEmitter<{ error: [name: string, error: unknown] }> {
  private loops: Repeating[] = [];
  private queueWorkers: QueueWorkers | null = null;
  private http: { close(): Promise<void> } | null = null;
  private web: { close(): Promise<void> } | null = null;
  private delivery: Repeating | null = null;

  constructor(
    private readonly fns: WorkerFunctions,
    private readonly timings: WorkerTimings,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Runs until `signal` aborts, then stops everything; resolves when stopped. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.start(signal);
      this.log.info('worker started');
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await this.stop();
    }
  }

  private async start(signal: AbortSignal): Promise<void> {
    const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      signal.throwIfAborted();
      const aborted = new Promise<never>((_, reject) => {
        const onAbort = () => reject(new StartupAborted(`stopped while starting (${name})`));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      // The step itself cannot always be cut short (a migration); closing the connections at
      // stop ends it. Its later failure is then of no interest.
      const running = work();
      running.catch(() => undefined);
      return Promise.race([running, aborted]);
    };
    const onError = (name: string) => (error: unknown) => this.emit('error', name, error);
    /** A server step: when the stop comes while it starts, the server it still opens is closed, not left listening. */
    const serve = async (name: string, start: () => Promise<{ close(): Promise<void> } | null>) => {
      let starting: Promise<{ close(): Promise<void> } | null> | undefined;
      try {
        return await step(name, () => (starting = start()));
      } catch (error) {
        void starting?.then((server) => server?.close(), () => undefined).catch(() => undefined);
        throw error;
      }
    };

    // HTTP first: /healthz answers while the rest starts (/readyz says what is not ready yet),
    // and a busy port ends the worker before it has taken any job.
    this.http = await serve('http', () => this.fns.startHttp());
    await step('redis', () => this.fns.checkRedis());
    const applied = await step('migrations', () => this.fns.migrate());
    if (applied.length) this.log.info({ applied }, 'migrations applied');
    // After the migrations: the pages read and write cases. A busy WEB_PORT ends the worker
    // before it has taken any job, as a busy HTTP_PORT does.
    this.web = await serve('web', () => this.fns.startWeb());
    await step('schedule', () => this.fns.registerSchedule());
    await step('catch-up', () => this.fns.catchUp());
    this.queueWorkers = this.fns.startQueueWorkers(onError('queue'));
    const report = (name: string, error: unknown) => this.emit('error', name, error);
    this.delivery = repeat('delivery', this.timings.deliveryEveryMs, () => this.fns.deliver(), report);
    this.loops.push(
      this.delivery,
      repeat('catch-up', this.timings.catchUpEveryMs, () => this.fns.catchUp(), report),
      repeat('overdue', this.timings.overdueEveryMs, () => this.fns.checkOverdue(), report),
      repeat('case follow-up', this.timings.followUpEveryMs, async () => {
        if (await this.fns.followUpCases()) this.deliverSoon();
      }, report),
      repeat('summary', this.timings.summaryEveryMs, async () => {
        if (await this.fns.queueSummary()) this.deliverSoon();
      }, report),
      repeat('queues', this.timings.queueCheckEveryMs, async () => {
        if (await this.fns.repairQueues()) this.log.warn('Redis had lost the queues: schedule registered again');
      }, report),
    );
  }

  /** Asks for a delivery pass now (a scan ended). */
  deliverSoon(): void {
    this.delivery?.now();
  }

  /** Stops in reverse order of starting, within `shutdownMs` in all. */
  private async stop(): Promise<void> {
    this.log.info('shutting down');
    const deadline = AbortSignal.timeout(this.timings.shutdownMs);
    const deadlineAt = Date.now() + this.timings.shutdownMs;
    /** Time left for a step that must leave `reserveMs` to the steps after it. */
    const left = (reserveMs: number) => Math.max(0, deadlineAt - Date.now() - reserveMs);
    const within = async (what: string, work: Promise<unknown>, ms: number) => {
      const timedOut = await Promise.race([work.then(() => false, (error: unknown) => (this.emit('error', what, error), false)), sleepFor(ms).then(() => true)]);
      if (timedOut) this.log.warn({ step: what }, 'shutdown step took too long: moving on');
    };
    // Jobs in flight get most of the time; past it they are handed back and BullMQ gives them
    // to another replica (or this one after a restart) as stalled.
    await within('loops', Promise.all(this.loops.map((l) => l.stop())), left(this.timings.shutdownMs * 0.8));
    if (this.queueWorkers) {
      const workers = this.queueWorkers;
      const drained = await Promise.race([workers.close().then(() => true), sleepFor(left(this.timings.shutdownMs * 0.25)).then(() => false)]);
      if (!drained) {
        this.log.warn('jobs still running at the shutdown deadline: handing them back');
        await within('queue workers', workers.close(true), left(this.timings.shutdownMs * 0.15));
      }
    }
    // A person's acknowledgement in flight is let finish while the database is still open.
    if (this.web) await within('web', this.web.close(), left(this.timings.shutdownMs * 0.15));
    if (this.http) await within('http', this.http.close(), left(this.timings.shutdownMs * 0.1));
    await within('connections', this.fns.close(deadline), left(0));
    this.log.info('worker stopped');
  }
}

function sleepFor(ms: number): Promise<void> {
  return delay(ms, undefined, { ref: false });
}
