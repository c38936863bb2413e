import type { ScanSchedule } from '../config.js';
import type { Logger } from '../logger.js';
import type { ScanLifecycle } from '../scan/lifecycle.js';
import { runningQueueScans } from '../sql/running-queue-scans.js';
import type { Database } from '../store/database.js';
import type { ScanQueues } from './queues.js';

// Redis without persistence forgets everything when it is flushed or restarted: the schedule,
// the batches of a running scan. The database still says that scan is running, so nothing
// would happen until its lease ran out. Whoever notices first (one replica, by a marker key)
// registers the schedule again, ends the scans whose jobs were lost, and queues a new scan.

export interface QueueRecoveryDependencies {
  queues: ScanQueues;
  db: Database;
  lifecycle: ScanLifecycle;
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
  const orphans = await deps.db.withClient((c) => runningQueueScans(c, noticedAt));
  if (orphans.length === 0) return true;
  deps.log.warn({ scans: orphans }, 'Redis lost the queues (flushed, or restarted without persistence): rescanning');
  for (const scanId of orphans) await deps.lifecycle.fail(scanId, new QueueLost('its queued work was lost when Redis lost its data'));
  // Continuous mode needs no scan of everyone: the lost tick's customers are still due.
  if (deps.schedule.kind !== 'continuous') await deps.queues.enqueueCatchUp(`recovery-${noticedAt.getTime()}`);
  return true;
}
