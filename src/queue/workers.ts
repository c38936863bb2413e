import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';
import type { ScanService } from '../scan/scan-service.js';
import type { ScanStore, ScanSummary } from '../store/scans.js';
import { CHECK_QUEUE, SCAN_QUEUE, type CheckJobData, type ScanJobData, type ScanQueues } from './queues.js';

// BullMQ workers → use cases. A scan job pages the ids into check jobs; check jobs run on any
// replica; whichever finishes the last batch finishes the scan.

export interface WorkerDependencies {
  connection: Redis;
  prefix: string;
  queues: ScanQueues;
  scanService: ScanService;
  scans: ScanStore;
  log: Logger;
  /** Check jobs in flight per process; customer checks inside them share CHECK_CONCURRENCY. */
  batchConcurrency: number;
  onScanFinished: (summary: ScanSummary) => void;
}

const HEARTBEAT_MS = 30_000;
/**
 * A job whose worker died is handed to another after its lock lapses: BullMQ renews locks every
 * lockDuration/2 while the process lives, and looks for lapsed ones every stalledInterval.
 */
const LOCKS = { lockDuration: 20_000, stalledInterval: 10_000, maxStalledCount: 3 } as const;

export function startWorkers(deps: WorkerDependencies): { scanWorker: Worker<ScanJobData>; checkWorker: Worker<CheckJobData>; close: (force?: boolean) => Promise<void> } {
  const { log } = deps;
  const scanWorker = new Worker<ScanJobData>(
    SCAN_QUEUE,
    async (job: Job<ScanJobData>) => {
      const trigger = job.data.trigger;
      const started = await deps.scanService.start(trigger, `job-${job.id}`);
      if (started.kind === 'skipped') {
        log.warn({ runningScanId: started.runningScanId, trigger }, 'scan tick skipped: a scan is still running');
        return { skipped: true };
      }
      if (started.kind === 'finished') return { scanId: started.scanId };
      const scan = started.scan;
      log.info({ scanId: scan.id, trigger, resumed: started.kind === 'resumed' }, 'scan started');
      try {
        await deps.scanService.enumerate(scan, (batchNo, ids) => deps.queues.dispatchBatch(scan.id, batchNo, ids));
      } catch (error) {
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await deps.scanService.fail(scan.id, error);
        throw error;
      }
      const finished = await deps.scanService.finishIfComplete(scan.id);
      if (finished) deps.onScanFinished(finished);
      return { scanId: scan.id };
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1, autorun: false, ...LOCKS },
  );

  const checkWorker = new Worker<CheckJobData>(
    CHECK_QUEUE,
    async (job: Job<CheckJobData>, _token, signal) => {
      const { scanId, batchNo, customerIds } = job.data;
      const heartbeat = setInterval(() => void deps.scans.heartbeat(scanId).catch(() => undefined), HEARTBEAT_MS);
      try {
        const { outcome, finished } = await deps.scanService.runBatch(scanId, batchNo, customerIds, signal);
        if (finished) deps.onScanFinished(finished);
        return outcome ? { checked: outcome.checked, failed: outcome.failed, changes: outcome.changes } : { skipped: true };
      } finally {
        clearInterval(heartbeat);
      }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: deps.batchConcurrency, autorun: false, ...LOCKS },
  );

  for (const worker of [scanWorker, checkWorker]) {
    worker.on('error', (error) => log.error({ err: errorMessage(error), queue: worker.name }, 'queue worker error'));
    worker.on('failed', (job, error) => log.warn({ queue: worker.name, jobId: job?.id, attempts: job?.attemptsMade, err: errorMessage(error) }, 'job failed'));
  }
  void scanWorker.run().catch((error: unknown) => log.error({ err: errorMessage(error) }, 'scan worker stopped'));
  void checkWorker.run().catch((error: unknown) => log.error({ err: errorMessage(error) }, 'check worker stopped'));

  return {
    scanWorker,
    checkWorker,
    async close(force = false) {
      await Promise.allSettled([scanWorker.close(force), checkWorker.close(force)]);
    },
  };
}
