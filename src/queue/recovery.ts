import type { ScanSchedule } from '../config.js';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';
import type { ScanService } from '../scan/scan-service.js';
import type { ScanStore } from '../store/scans.js';
import type { ScanQueues } from './queues.js';

// Redis without persistence forgets everything when it is flushed or restarted: the schedule,
// the batches of a running scan. The database still says that scan is running, so nothing
// would happen until it went stale. Whoever notices first (one replica, by a marker key)
// registers the schedule again, closes the scans whose jobs were lost, and queues a new scan.

export interface QueueRecoveryDependencies {
  queues: ScanQueues;
  scans: ScanStore;
  scanService: ScanService;
  schedule: ScanSchedule;
  log: Logger;
  now?: () => Date;
}

export class QueueLost extends Error {
  override name = 'QueueLost';
}

/** Returns whether Redis had lost the queues (and this call repaired them). */
export async function recoverLostQueues(deps: QueueRecoveryDependencies): Promise<boolean> {
  const noticedAt = (deps.now ?? (() => new Date()))();
  if (!(await deps.queues.claimMarker())) return false;
  await deps.queues.registerSchedule(deps.schedule);
  const orphans = await deps.scans.runningQueuedBefore(noticedAt);
  if (orphans.length === 0) return true;
  deps.log.warn({ scans: orphans.map((s) => s.id) }, 'Redis lost the queues (flushed, or restarted without persistence): rescanning');
  for (const scan of orphans) {
    await deps.scanService.fail(scan.id, new QueueLost('its queued work was lost when Redis lost its data'));
  }
  await deps.queues.enqueueCatchUp(`recovery-${noticedAt.getTime()}`);
  return true;
}

/** Checks for lost queues every `everyMs` until stopped; failures (Redis down) wait for the next try. */
export function watchForLostQueues(deps: QueueRecoveryDependencies, everyMs: number): { stop: () => Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(() => recoverLostQueues(deps))
      .then((recovered) => {
        if (recovered) deps.log.warn('Redis had lost the queues: schedule registered again');
      })
      .catch((error: unknown) => deps.log.warn({ err: errorMessage(error) }, 'could not check the queues'));
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
