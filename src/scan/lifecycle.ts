import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import * as ops from '../domain/ops-alerts.js';
import { scanVerdict, type FinishedStatus, type ScanSummary, type ScanTrigger } from '../domain/scan.js';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';
import { abandonLapsedScans } from '../sql/abandon-lapsed-scans.js';
import { exampleFailure } from '../sql/example-failure.js';
import { findScanInTheWay } from '../sql/find-scan-in-the-way.js';
import { finishScan } from '../sql/finish-scan.js';
import { getScan } from '../sql/get-scan.js';
import { insertScan } from '../sql/insert-scan.js';
import { insertTickScan } from '../sql/insert-tick-scan.js';
import { pageActiveCustomers } from '../sql/page-active-customers.js';
import { renewScanLease } from '../sql/renew-scan-lease.js';
import { saveEnumerationProgress } from '../sql/save-enumeration-progress.js';
import { staleCustomers } from '../sql/stale-customers.js';
import { toSummary, type ScanRow } from '../sql/scan-row.js';
import type { Database, SqlClient } from '../store/database.js';
import { checkBatch, type BatchOutcome, type CheckDependencies } from '../check/check-batch.js';
import { isCredentialsRejected } from '../check/ports.js';
import type { OpsAlerts } from './ports.js';

// The one owner of a scan's life: start (one running scan, decided by the database) → page the
// tracked ids into batches for a dispatcher (this process for `scan`, the queue for the worker)
// → check each batch → finish once (completed, or failed when most checks failed for one
// reason), fail, or interrupt — with the operations alerts each end calls for, written in the
// transaction that ends it. A lease, renewed while any process works on the scan, lets a scan
// whose processes died be taken over (its jobs run again elsewhere) or abandoned.

export interface LifecycleDependencies {
  db: Database;
  checks: CheckDependencies;
  ops: OpsAlerts;
  log: Logger;
  /** A running scan nobody renewed for this long is abandoned (SCAN_LEASE_SECONDS). */
  leaseMs: number;
  batchSize: number;
  /** STALE_AFTER_HOURS in ms (0: off): customers without a successful check this long are reported when a scan ends. */
  staleAfterMs?: number;
}

export type StartResult =
  | { kind: 'started' | 'resumed'; scan: ScanRow }
  /** Another scan is running (a scheduled tick is then made up by the catch-up watch once it ends). */
  | { kind: 'busy'; running: ScanRow }
  /** The trigger's scan already ended (a tick delivered twice). */
  | { kind: 'ended'; scan: ScanRow }
  /** A continuous-mode tick with nobody due. */
  | { kind: 'idle' };

/**
 * Customers per batch (one queue job, one write transaction in the common case): large enough
 * that a batch's handful of database round trips cost well under 0.1 per customer, small enough
 * that a batch run again after a crash is little work.
 */
export const BATCH_SIZE = 200;
/** Stale customers named in their operations alert; more are counted. */
const MAX_STALE_LISTED = 1_000;

/** Emits `ended` for every scan this process ended (metrics, a delivery pass). */
export class ScanLifecycle extends EventEmitter<{ ended: [summary: ScanSummary] }> {
  constructor(private readonly deps: LifecycleDependencies) {
    super();
  }

  /** Starts a scan for the trigger, unless the database says one is running. */
  async start(trigger: ScanTrigger, triggerKey: string | null): Promise<Exclude<StartResult, { kind: 'idle' }>> {
    const { db, leaseMs } = this.deps;
    return db.withTransaction(async (c) => {
      await this.abandonLapsed(c);
      // The scan in the way of the insert may end before we look at it (each statement sees
      // what was committed when it began): then nothing is in the way, and the insert is tried
      // again. A few rounds at most: each needs another scan to start and end meanwhile.
      for (let round = 0; round < 5; round++) {
        const result = await this.insertOrFindInTheWay(c, triggerKey, () => insertScan(c, randomUUID(), trigger, triggerKey, leaseMs));
        if (result) return result;
      }
      throw new Error('internal: a scan could not be started and nothing stayed in its way (scans starting and ending very fast?)');
    });
  }

  /**
   * Starts a continuous-mode tick's scan of the customers due now (at most `budget`, most urgent
   * first), unless nobody is due or a scan is running.
   */
  async startTick(triggerKey: string, budget: number): Promise<StartResult> {
    const { db, leaseMs } = this.deps;
    return db.withTransaction(async (c) => {
      await this.abandonLapsed(c);
      // Nothing inserted and nothing in the way: nobody was due.
      return (await this.insertOrFindInTheWay(c, triggerKey, () => insertTickScan(c, randomUUID(), triggerKey, leaseMs, budget))) ?? ({ kind: 'idle' } as const);
    });
  }

  /** Scans whose lease ran out (their processes stopped) are ended, each with its operations alert. */
  private async abandonLapsed(c: SqlClient): Promise<void> {
    for (const lapsed of await abandonLapsedScans(c)) {
      this.deps.log.error({ scanId: lapsed.id }, 'scan abandoned: no process worked on it for longer than its lease');
      await this.deps.ops.raise(c, ops.INCIDENT.scanIncomplete, ops.scanIncomplete(lapsed.id, lapsed.started_at, 'no process worked on it for longer than its lease: its processes stopped'));
    }
  }

  /** The inserted scan, or what was in its way (a running scan, or the trigger's own); null when nothing was. */
  private async insertOrFindInTheWay(c: SqlClient, triggerKey: string | null, insert: () => Promise<ScanRow | null>): Promise<Exclude<StartResult, { kind: 'idle' }> | null> {
    const inserted = await insert();
    if (inserted) return { kind: 'started', scan: inserted };
    const inTheWay = await findScanInTheWay(c, triggerKey);
    if (!inTheWay) return null;
    if (inTheWay.found === 'running') return { kind: 'busy', running: inTheWay.scan };
    return inTheWay.scan.status === 'running' ? { kind: 'resumed', scan: inTheWay.scan } : { kind: 'ended', scan: inTheWay.scan };
  }

  /**
   * Pages through the tracked ids from the scan's saved cursor, handing each page to `dispatch`,
   * and saves the cursor after each. Returns the finished scan when every batch is already done
   * (no customers, or the batches were faster than the paging).
   */
  async dispatchAll(scan: ScanRow, dispatch: (batchNo: number, ids: string[]) => Promise<void>, signal?: AbortSignal): Promise<ScanSummary | null> {
    const { db, batchSize, leaseMs } = this.deps;
    let cursor = scan.cursor;
    let batchNo = scan.batches_total;
    let customers = scan.customers;
    let enumerated = scan.enumerated;
    let state = { running: scan.status === 'running', complete: false };
    while (!enumerated && state.running) {
      signal?.throwIfAborted();
      // A tick's scan pages through the customers it chose (the cursor counts them); others through every tracked id.
      const ids = scan.trigger === 'continuous' ? scan.selection.slice(Number(cursor ?? 0), Number(cursor ?? 0) + batchSize) : await db.withClient((c) => pageActiveCustomers(c, cursor, batchSize));
      if (ids.length > 0) {
        await dispatch(batchNo, ids);
        batchNo++;
        customers += ids.length;
        cursor = scan.trigger === 'continuous' ? String(Number(cursor ?? 0) + ids.length) : (ids.at(-1) ?? cursor);
      }
      enumerated = ids.length < batchSize;
      state = await db.withClient((c) => saveEnumerationProgress(c, scan.id, leaseMs, { cursor, batchesTotal: batchNo, customers, enumerated }));
    }
    return state.complete ? this.finish(scan.id) : null;
  }

  /** Checks one batch of a running scan; finishes the scan when it was the last batch. */
  async runBatch(scanId: string, batchNo: number, ids: readonly string[], signal?: AbortSignal): Promise<{ outcome: BatchOutcome | null; finished: ScanSummary | null }> {
    let outcome: BatchOutcome | null;
    try {
      outcome = await checkBatch(this.deps.checks, { scanId, batchNo, customerIds: ids }, signal);
    } catch (error) {
      if (isCredentialsRejected(error)) return { outcome: null, finished: await this.failForCredentials(scanId, error) };
      throw error;
    }
    return { outcome, finished: outcome?.scanComplete ? await this.finish(scanId) : null };
  }

  /** Ends a scan whose batches are all done: completed, or failed when its checks say so. */
  async finish(scanId: string): Promise<ScanSummary | null> {
    const { db, log } = this.deps;
    const ended = await db.withTransaction(async (c) => {
      const row = await getScan(c, scanId);
      if (!row || row.status !== 'running') return null;
      const verdict = scanVerdict({ checked: row.checked, failed: row.failed, failureReasons: row.failure_reasons });
      const example = verdict.status === 'failed' ? await exampleFailure(c, scanId, verdict.reason) : null;
      const error = verdict.status === 'failed' ? `${verdict.failed} of ${verdict.attempted} checks failed: ${ops.describeReason(verdict.reason)}` : null;
      const finished = await finishScan(c, scanId, verdict.status, error);
      if (!finished) return null;
      if (verdict.status === 'failed') {
        await this.deps.ops.raise(c, ops.INCIDENT.scansFailing, ops.scansFailing(scanId, verdict.reason, verdict.failed, verdict.attempted, example));
      } else {
        for (const kind of [ops.INCIDENT.scansFailing, ops.INCIDENT.credentialsRejected, ops.INCIDENT.scanIncomplete]) await this.deps.ops.end(c, kind);
        // Streaks of one incident (the API down for three scans) are that incident, not news about customers.
        if (finished.streak_customers_count > 0) {
          await this.deps.ops.once(c, `customers-failing:${scanId}`, ops.customersFailing(scanId, finished.streak_customers ?? [], finished.streak_customers_count));
        }
      }
      await this.tenantIncident(c, finished);
      await this.staleIncident(c, new Date());
      return finished;
    });
    if (!ended) return null;
    const summary = toSummary(ended);
    // A tick's scan that completed with nothing to report is routine (one a minute): at debug.
    const routine = summary.trigger === 'continuous' && summary.status === 'completed' && summary.changes === 0 && summary.failed === 0;
    log[routine ? 'debug' : 'info']({ scanId, status: summary.status, customers: summary.customers, checked: summary.checked, failed: summary.failed, changes: summary.changes, alerts: summary.alerts, trigger: summary.trigger }, `scan ${summary.status}`);
    this.emit('ended', summary);
    return summary;
  }

  /** Ends a scan that could not go on (its dispatch failed, its queue was lost). */
  async fail(scanId: string, error: unknown): Promise<ScanSummary | null> {
    const why = errorMessage(error);
    return this.end(scanId, 'failed', why, async (c, row) => {
      await this.deps.ops.raise(c, ops.INCIDENT.scanIncomplete, ops.scanIncomplete(scanId, row.started_at, why));
    });
  }

  /** Ends a scan a person stopped (Ctrl-C on `scan`), with what it really checked. */
  async interrupt(scanId: string, why = 'interrupted'): Promise<ScanSummary | null> {
    return this.end(scanId, 'interrupted', why, async () => undefined);
  }

  async summary(scanId: string): Promise<ScanSummary | null> {
    const row = await this.deps.db.withClient((c) => getScan(c, scanId));
    return row ? toSummary(row) : null;
  }

  /** Renews the scan's lease until stopped, while this process works on it. */
  keepLease(scanId: string): { stop: () => void } {
    const stop = new AbortController();
    const every = Math.max(50, Math.floor(this.deps.leaseMs / 3));
    void (async () => {
      // At once, then every third of the lease: a job that fails fast (and is retried within a
      // third of the lease, see queues.ts) still shows the scan is alive.
      while (!stop.signal.aborted) {
        // A failed renewal (the database away for a moment) waits for the next one.
        await this.deps.db.withClient((c) => renewScanLease(c, scanId, this.deps.leaseMs)).catch((error: unknown) => this.deps.log.warn({ scanId, err: errorMessage(error) }, 'could not renew the scan lease'));
        await delay(every, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    })();
    return { stop: () => stop.abort() };
  }

  private async failForCredentials(scanId: string, error: Error): Promise<ScanSummary | null> {
    this.deps.log.error({ scanId }, 'Cyrexa rejected the credentials: scan stopped');
    return this.end(scanId, 'failed', error.message, async (c) => {
      await this.deps.ops.raise(c, ops.INCIDENT.credentialsRejected, ops.credentialsRejected(error.message));
    });
  }

  private async end(scanId: string, status: FinishedStatus, why: string, alert: (c: SqlClient, row: ScanRow) => Promise<void>): Promise<ScanSummary | null> {
    const ended = await this.deps.db.withTransaction(async (c) => {
      const row = await finishScan(c, scanId, status, why);
      if (row) {
        await alert(c, row);
        await this.tenantIncident(c, row);
      }
      return row;
    });
    if (!ended) return null;
    this.deps.log.warn({ scanId, status, err: why }, `scan ${status}`);
    const summary = toSummary(ended);
    this.emit('ended', summary);
    return summary;
  }

  /** One incident listing every stale customer (SPEC §12), raised while there are any and ended when none is left. */
  private async staleIncident(c: SqlClient, now: Date): Promise<void> {
    const staleAfterMs = this.deps.staleAfterMs ?? 0;
    if (staleAfterMs <= 0) return;
    const stale = await staleCustomers(c, new Date(now.getTime() - staleAfterMs), MAX_STALE_LISTED);
    if (stale.count > 0) await this.deps.ops.raise(c, ops.INCIDENT.staleCustomers, ops.staleCustomers(stale.ids, stale.count, Math.round((staleAfterMs / 3_600_000) * 100) / 100));
    else await this.deps.ops.end(c, ops.INCIDENT.staleCustomers);
  }

  private async tenantIncident(c: SqlClient, row: ScanRow): Promise<void> {
    const mismatched = row.failure_reasons['tenant-mismatch'] ?? 0;
    if (mismatched > 0) {
      await this.deps.ops.raise(c, ops.INCIDENT.tenantMismatch, ops.tenantMismatch(row.id, mismatched, await exampleFailure(c, row.id, 'tenant-mismatch')));
    } else if (row.status === 'completed') {
      await this.deps.ops.end(c, ops.INCIDENT.tenantMismatch);
    }
  }
}
