import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';
import type { ScanLifecycle } from '../scan/lifecycle.js';
import { CHECK_QUEUE, SCAN_QUEUE, type CheckJobData, type ScanJobData, type ScanQueues } from './queues.js';

// BullMQ workers → the scan lifecycle. A scan job starts the scan and pages its ids into check
// jobs; check jobs run on any replica; whichever finishes the last batch finishes the scan.

export interface QueueLocks {
  /** How long a job's lock lasts without renewal: a dead worker's job is handed on after it. */
  lockMs: number;
  /** How often lapsed locks are looked for. */
  stalledIntervalMs: number;
}

export interface WorkerDependencies {
  connection: Redis;
  prefix: string;
  queues: ScanQueues;
  lifecycle: ScanLifecycle;
  log: Logger;
  /** Continuous mode: customers a tick may check (its share of CYREXA_MAX_RPS, check-policy.ts tickBudget). */
  tickBudget?: number;
  /** Check jobs in flight per process; customer checks inside them share CHECK_CONCURRENCY. */
  batchConcurrency: number;
  locks: QueueLocks;
}

export interface QueueWorkers {
  /** Lets running jobs finish (or hands them back at once with `force`). */
  close(force?: boolean): Promise<void>;
}

export function startQueueWorkers(deps: WorkerDependencies, onError: (error: Error) => void): QueueWorkers {
  const { log, lifecycle } = deps;
  const options = {
    connection: deps.connection,
    prefix: deps.prefix,
    autorun: false,
    lockDuration: deps.locks.lockMs,
    stalledInterval: deps.locks.stalledIntervalMs,
    maxStalledCount: 3,
  };

  const scanWorker = new Worker<ScanJobData>(
    SCAN_QUEUE,
    async (job: Job<ScanJobData>, _token, signal) => {
      const trigger = job.data.trigger;
      const started = trigger === 'continuous' ? await lifecycle.startTick(`job-${job.id}`, deps.tickBudget ?? 1) : await lifecycle.start(trigger, `job-${job.id}`);
      if (started.kind === 'idle') return { idle: true };
      if (started.kind === 'busy') {
        // A tick's customers stay due: the next tick takes them (no warning a minute while a long scan runs).
        if (trigger === 'continuous') log.info({ runningScanId: started.running.id }, 'tick skipped: a scan is still running');
        else log.warn({ runningScanId: started.running.id, trigger }, 'scan tick skipped: a scan is still running');
        return { skipped: true };
      }
      if (started.kind === 'ended') return { scanId: started.scan.id };
      const scan = started.scan;
      // A continuous-mode tick starts a scan a minute: at debug, so that the log shows what happened, not the clock.
      log[trigger === 'continuous' ? 'debug' : 'info']({ scanId: scan.id, trigger, customers: scan.selection.length || undefined, resumed: started.kind === 'resumed' }, 'scan started');
      const lease = lifecycle.keepLease(scan.id);
      try {
        await lifecycle.dispatchAll(scan, (batchNo, ids) => deps.queues.dispatchBatch(scan.id, batchNo, ids), signal);
      } catch (error) {
        if (!signal?.aborted && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await lifecycle.fail(scan.id, error);
        throw error;
      } finally {
        lease.stop();
      }
      return { scanId: scan.id };
    },
    { ...options, concurrency: 1 },
  );

  const checkWorker = new Worker<CheckJobData>(
    CHECK_QUEUE,
    async (job: Job<CheckJobData>, _token, signal) => {
      const { scanId, batchNo, customerIds } = job.data;
      const lease = lifecycle.keepLease(scanId);
      try {
        const { outcome } = await lifecycle.runBatch(scanId, batchNo, customerIds, signal);
        return outcome ? { checked: outcome.checked, failed: outcome.failed, changes: outcome.changes } : { skipped: true };
      } catch (error) {
        // A batch that failed its last attempt leaves its customers unchecked: the scan cannot
        // complete, and says so now rather than when its lease runs out.
        if (!signal?.aborted && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
          await lifecycle.fail(scanId, new Error(`batch ${batchNo} failed ${job.attemptsMade + 1} times: ${errorMessage(error)}`)).catch(() => undefined);
        }
        throw error;
      } finally {
        lease.stop();
      }
    },
    { ...options, concurrency: deps.batchConcurrency },
  );

  for (const worker of [scanWorker, checkWorker]) {
    worker.on('error', (error) => onError(error));
    worker.on('failed', (job, error) => log.warn({ queue: worker.name, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'));
  }
  void scanWorker.run().catch((error: unknown) => onError(error as Error));
  void checkWorker.run().catch((error: unknown) => onError(error as Error));

  return {
    async close(force = false) {
      await Promise.allSettled([scanWorker.close(force), checkWorker.close(force)]);
    },
  };
}
