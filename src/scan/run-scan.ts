import type { ScanSummary } from '../store/scans.js';
import type { BatchOutcome } from './check-customers.js';
import type { ScanService } from './scan-service.js';

// A whole scan in this process (the `scan` command): the same enumeration, batch check and
// finishing as the worker's scans, with the batches run here instead of on the queue.

export interface InProcessScanOptions {
  /** Batches in flight at once; the checks inside share the service's CHECK_CONCURRENCY. */
  batchesInFlight?: number;
  signal?: AbortSignal;
  onProgress?: (outcome: BatchOutcome, customers: number) => void;
}

export type InProcessScanResult = { kind: 'finished'; summary: ScanSummary } | { kind: 'skipped'; runningScanId: string };

export async function runScanInProcess(service: ScanService, options: InProcessScanOptions = {}): Promise<InProcessScanResult> {
  const started = await service.start('manual', null);
  if (started.kind === 'skipped') return started;
  if (started.kind === 'finished') throw new Error('internal: a manual scan cannot be finished before it starts');
  const scan = started.scan;
  const inFlight = new Set<Promise<void>>();
  let firstError: unknown;
  let finished: ScanSummary | null = null;
  const limit = options.batchesInFlight ?? 3;
  try {
    await service.enumerate(scan, async (batchNo, ids) => {
      if (firstError !== undefined) throw firstError;
      options.signal?.throwIfAborted();
      const task = service
        .runBatch(scan.id, batchNo, ids, options.signal)
        .then(({ outcome, finished: done }) => {
          if (outcome) options.onProgress?.(outcome, ids.length);
          if (done) finished = done;
        })
        .catch((error: unknown) => {
          firstError ??= error;
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      while (inFlight.size >= limit) await Promise.race(inFlight);
    });
    await Promise.all(inFlight);
    if (firstError !== undefined) throw firstError;
    options.signal?.throwIfAborted();
  } catch (error) {
    await Promise.allSettled(inFlight);
    const failed = await service.fail(scan.id, error);
    if (failed) return { kind: 'finished', summary: failed };
    throw error;
  }
  finished ??= await service.finishIfComplete(scan.id);
  const summary = finished ?? (await service.summary(scan.id));
  if (!summary) throw new Error(`internal: scan ${scan.id} vanished`);
  return { kind: 'finished', summary };
}
