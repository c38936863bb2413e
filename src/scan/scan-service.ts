import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';
import type { CustomerStore } from '../store/customers.js';
import type { OutboxStore } from '../outbox/store.js';
import type { ScanRow, ScanStore, ScanSummary, ScanTrigger } from '../store/scans.js';
import { checkCustomers, CredentialsRejected, type BatchOutcome, type CheckDependencies } from './check-customers.js';

// A scan: pages through the tracked ids (never all in memory), hands each page to a
// dispatcher (in-process for `scan`, a queue job for the worker), counts finished batches
// and finishes the scan once, with its totals and the operations alerts it calls for.

/**
 * Customers per batch (one queue job, one set of bookkeeping queries): large enough that the
 * ~10 database round trips of a batch cost under 0.1 per customer, small enough that a
 * batch redone after a crash is little work.
 */
export const BATCH_SIZE = 200;
/** A running scan with no heartbeat for this long is considered dead. */
export const SCAN_STALE_MS = 3 * 60_000;

export interface ScanServiceDependencies extends CheckDependencies {
  scans: ScanStore;
  outbox: OutboxStore;
  customersStore: CustomerStore;
  log: Logger;
  batchSize?: number;
}

export type StartResult =
  | { kind: 'started' | 'resumed'; scan: ScanRow }
  | { kind: 'skipped'; runningScanId: string }
  /** The trigger's scan already finished (a tick delivered twice). */
  | { kind: 'finished'; scanId: string };

export class ScanService {
  private readonly batchSize: number;

  constructor(private readonly deps: ScanServiceDependencies) {
    this.batchSize = deps.batchSize ?? BATCH_SIZE;
  }

  /** Creates the scan for a trigger, unless another live scan is running (then the tick is skipped). */
  async start(trigger: ScanTrigger, triggerKey: string | null): Promise<StartResult> {
    for (const scan of await this.deps.scans.abandonStale(SCAN_STALE_MS)) {
      this.deps.log.error({ scanId: scan.id }, 'scan abandoned: no progress for too long');
      await this.deps.outbox.addOpsAlert(
        `scan-incomplete:${scan.id}`,
        'kyc-monitor: a scan could not complete',
        `Scan ${scan.id} (started ${scan.startedAt.toISOString()}) made no progress for ${SCAN_STALE_MS / 60_000} minutes and was abandoned. ` +
          'Its workers stopped or its queue was lost; the next scan checks every customer again. If this repeats, check the workers and Redis.',
      );
    }
    if (triggerKey !== null) {
      const existing = await this.deps.scans.findByTriggerKey(triggerKey);
      if (existing) return existing.status === 'running' ? { kind: 'resumed', scan: existing } : { kind: 'finished', scanId: existing.id };
    }
    const live = await this.deps.scans.findLiveScan(null, SCAN_STALE_MS);
    if (live) return { kind: 'skipped', runningScanId: live.id };
    const { scan, created } = await this.deps.scans.create(randomUUID(), trigger, triggerKey);
    if (created) return { kind: 'started', scan };
    return scan.status === 'running' ? { kind: 'resumed', scan } : { kind: 'finished', scanId: scan.id };
  }

  /** Pages through the ids from the scan's saved cursor, dispatching one batch per page. */
  async enumerate(scan: ScanRow, dispatch: (batchNo: number, ids: string[]) => Promise<void>): Promise<void> {
    let cursor = scan.cursor;
    let batchNo = scan.batchesTotal;
    let customers = scan.customers;
    if (!scan.enumerated) {
      for (;;) {
        const ids = await this.deps.customersStore.pageActiveIds(cursor, this.batchSize);
        if (ids.length === 0) break;
        await dispatch(batchNo, ids);
        batchNo++;
        customers += ids.length;
        cursor = ids.at(-1) ?? cursor;
        await this.deps.scans.saveProgress(scan.id, cursor, batchNo, customers, false);
        if (ids.length < this.batchSize) break;
      }
      await this.deps.scans.saveProgress(scan.id, cursor, batchNo, customers, true);
    }
  }

  /** Checks one batch of a scan and counts it; finishes the scan when it was the last. */
  async runBatch(scanId: string, batchNo: number, ids: readonly string[], signal?: AbortSignal): Promise<{ outcome: BatchOutcome | null; finished: ScanSummary | null }> {
    const scan = await this.deps.scans.get(scanId);
    if (!scan || scan.status !== 'running') return { outcome: null, finished: null };
    let outcome: BatchOutcome;
    try {
      outcome = await checkCustomers(this.deps, ids, scanId, signal);
    } catch (error) {
      if (error instanceof CredentialsRejected) return { outcome: null, finished: await this.failForCredentials(scanId, error) };
      throw error;
    }
    for (const id of outcome.failingStreak) {
      await this.deps.outbox.addOpsAlert(
        `customer-failing:${id}:${scanId}`,
        'kyc-monitor: a customer has failed three scans in a row',
        `The documents of customer ${JSON.stringify(id)} could not be checked in the last three scans, so changes to them would go unnoticed. ` +
          'Run `kyc-monitor track list` for the last error; a customer unknown to Cyrexa (404) should be removed with `kyc-monitor track remove`.',
      );
    }
    const complete = await this.deps.scans.completeBatch(scanId, batchNo);
    return { outcome, finished: complete ? await this.finish(scanId) : null };
  }

  async summary(scanId: string): Promise<ScanSummary | null> {
    return this.deps.scans.summary(scanId);
  }

  /** Finishes the scan if every batch is counted; null when not complete or already finished. */
  async finishIfComplete(scanId: string): Promise<ScanSummary | null> {
    return (await this.deps.scans.isComplete(scanId)) ? this.finish(scanId) : null;
  }

  private async finish(scanId: string): Promise<ScanSummary | null> {
    const summary = await this.deps.scans.finish(scanId, 'completed');
    if (summary) this.deps.log.info({ ...summary }, 'scan completed');
    return summary;
  }

  async fail(scanId: string, error: unknown): Promise<ScanSummary | null> {
    const summary = await this.deps.scans.finish(scanId, 'failed', errorMessage(error));
    if (summary) {
      this.deps.log.error({ scanId, err: errorMessage(error) }, 'scan could not complete');
      await this.deps.outbox.addOpsAlert(
        `scan-failed:${scanId}`,
        'kyc-monitor: a scan could not complete',
        `Scan ${scanId} stopped: ${errorMessage(error)}. Customers it did not reach are checked by the next scan.`,
      );
    }
    return summary;
  }

  private async failForCredentials(scanId: string, error: CredentialsRejected): Promise<ScanSummary | null> {
    const summary = await this.deps.scans.finish(scanId, 'failed', error.message);
    if (summary) {
      this.deps.log.error({ scanId }, 'Cyrexa rejected the credentials: scan stopped');
      // One alert per incident: the key only changes once a scan has completed again.
      const lastGood = (await this.deps.scans.lastCompleted())?.scanId ?? 'none';
      await this.deps.outbox.addOpsAlert(
        `credentials-rejected:after:${lastGood}`,
        'kyc-monitor: Cyrexa rejected the API credentials',
        `The Cyrexa API rejected kyc-monitor's credentials (${error.message}), so no customer can be checked and no document alert can be raised. ` +
          'Check CYREXA_ACCESS_TOKEN / CYREXA_CLIENT_ID / CYREXA_CLIENT_SECRET, CYREXA_TOKEN and CYREXA_TENANT_ID. Scans resume by themselves once the credentials work.',
      );
    }
    return summary;
  }
}
