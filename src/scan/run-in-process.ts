import type { ScanSummary } from '../domain/scan.js';
import type { BatchOutcome } from '../check/check-batch.js';
import { toSummary } from '../sql/scan-row.js';
import type { ScanLifecycle } from './lifecycle.js';

// A whole scan in this process (the `scan` command): the lifecycle's own paging, checking and
// finishing, with the batches run here instead of on the queue. Stopped by its signal, the
// scan ends as interrupted with what it really checked.

export interface InProcessScanOptions {
  /** Batches in flight at once; the checks inside share the process's CHECK_CONCURRENCY. */
  batchesInFlight?: number;
  signal?: AbortSignal;
  onBatch?: (outcome: BatchOutcome, customers: number) => void;
}

export type InProcessScanResult = { kind: 'finished'; summary: ScanSummary } | { kind: 'busy'; running: ScanSummary };

export async function runScanInProcess(lifecycle: ScanLifecycle, options: InProcessScanOptions = {}): Promise<InProcessScanResult> {
  const started = await lifecycle.start('manual', null);
  if (started.kind === 'busy') return { kind: 'busy', running: toSummary(started.running) };
  if (started.kind === 'ended') return { kind: 'finished', summary: toSummary(started.scan) };
  const scan = started.scan;
  const lease = lifecycle.keepLease(scan.id);
  const inFlight = new Set<Promise<void>>();
  const limit = options.batchesInFlight ?? 3;
  let firstError: unknown;
  let finished: ScanSummary | null = null;
  try {
    finished = await lifecycle.dispatchAll(
      scan,
      async (batchNo, ids) => {
        if (firstError !== undefined) throw firstError;
        const task = lifecycle
          .runBatch(scan.id, batchNo, ids, options.signal)
          .then(({ outcome, finished: done }) => {
            if (outcome) options.onBatch?.(outcome, ids.length);
            if (done) finished = done;
          })
          .catch((error: unknown) => {
            firstError ??= error;
          })
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
        while (inFlight.size >= limit) await Promise.race(inFlight);
      },
      options.signal,
    );
    await Promise.all(inFlight);
    if (firstError !== undefined) throw firstError;
    options.signal?.throwIfAborted();
  } catch (error) {
    await Promise.allSettled(inFlight);
    const ended = options.signal?.aborted ? await lifecycle.interrupt(scan.id, 'interrupted by a signal (Ctrl-C or SIGTERM)') : await lifecycle.fail(scan.id, error);
    if (ended) return { kind: 'finished', summary: ended };
    // Ended meanwhile by someone else (credentials rejected, abandoned): report what it is.
    finished ??= await lifecycle.summary(scan.id);
    if (!finished) throw error;
  } finally {
    lease.stop();
  }
  finished ??= (await lifecycle.finish(scan.id)) ?? (await lifecycle.summary(scan.id));
  if (!finished) throw new Error(`internal: scan ${scan.id} vanished`);
  return { kind: 'finished', summary: finished };
}
