import type { DiffResult } from '../domain/status-diff.js';
import type { Database, SqlClient } from '../store/database.js';
import { insertEventsAndAlerts, type EventRow } from '../sql/insert-events-and-alerts.js';
import { recordBatchProgress, type BatchProgress } from '../sql/record-batch-progress.js';
import { replaceSnapshots, type SnapshotRow } from '../sql/replace-snapshots.js';
import { resolveCheckedCases, type LiveDocumentRow } from '../sql/resolve-checked-cases.js';
import { insertExpiryWarnings } from '../sql/insert-expiry-warnings.js';
import type { SnapshotDocument } from '../domain/documents.js';
import { saveCheckOutcomes, type CheckOutcomeRow } from '../sql/save-check-outcomes.js';
import { FAILURE_STREAK } from '../domain/scan.js';

// Everything some checks of a batch found, written in one transaction: each customer's last
// check (time, outcome, error), the new snapshots, the events and the alerts they raise (the
// outbox), the cases those alerts open or join and those the check resolves, the expiry
// warnings, and the scan's totals. All or nothing: no alert without its change, no change
// without its alert, no total without what it counts.

/** A document an expiry warning is due for, marked with its threshold, and the days left as the check counted them (SCAN_TIMEZONE, its clock). */
export type ExpiryWarning = SnapshotDocument & { daysLeft: number };

/** When the customer is next due (continuous mode; src/domain/check-policy.ts), in real time. */
export interface DueAt {
  at: Date;
  priority: number;
}

export type CheckResult = (
  | { kind: 'unchanged'; customerId: string }
  | {
      kind: 'changed';
      customerId: string;
      /** The snapshot version the diff was computed from. */
      expectedVersion: number;
      baseline: boolean;
      diff: DiffResult;
      /** Per change of `diff.changes`: whether it raises an alert. */
      alerting: readonly boolean[];
      /** Documents of `diff.next` an expiry warning is due for (SPEC §11), marked with its threshold. */
      warnings?: readonly ExpiryWarning[];
    }
  | { kind: 'failed'; customerId: string; error: string; reason: string }
) & { /** Continuous mode: when it is due next; absent: as it was. */ due?: DueAt };

export interface Counts {
  checked: number;
  failed: number;
  changes: number;
  alerts: number;
  /** Not written: checked by this scan already (a batch run again), untracked meanwhile, or written by another check first. */
  skipped: number;
  /** The write that counted the scan's last batch as done. */
  scanComplete: boolean;
}

export interface WriteTally extends Counts {
  /** Customers whose failures in a row just reached the streak. */
  streakCustomers: string[];
  /** Customers written, by how (the caller logs and counts them). */
  written: CheckResult[];
}

export interface WriteTarget {
  scanId: string | null;
  batchNo: number;
  leaseMs: number;
  /** A status in ALERT_STATUSES: a case whose documents are in none of them is resolved. */
  isAlertStatus: (status: string) => boolean;
}

const due = (r: CheckResult) => ({ dueAt: r.due?.at ?? null, duePriority: r.due?.priority ?? null });

export async function writeResults(client: SqlClient, target: WriteTarget, at: Date, results: readonly CheckResult[], batchDone: boolean): Promise<WriteTally> {
  const rows: CheckOutcomeRow[] = results.map((r) => {
    switch (r.kind) {
      case 'unchanged':
        return { customerId: r.customerId, outcome: 'ok', changed: false, expectedVersion: 0, baseline: false, error: null, reason: null, emptyPending: null, documentCount: null, ...due(r) };
      case 'failed':
        return { customerId: r.customerId, outcome: 'failed', changed: false, expectedVersion: 0, baseline: false, error: r.error, reason: r.reason, emptyPending: null, documentCount: null, ...due(r) };
      case 'changed':
        return {
          ...due(r),
          customerId: r.customerId,
          outcome: 'ok',
          changed: true,
          expectedVersion: r.expectedVersion,
          baseline: r.baseline,
          error: null,
          reason: null,
          emptyPending: r.diff.emptyPending,
          documentCount: r.diff.next.length + r.diff.removed.length,
        };
    }
  });
  const writtenRows = await saveCheckOutcomes(client, target.scanId, at, rows);
  const streakById = new Map(writtenRows.map((w) => [w.customer_id, w.consecutive_failures]));
  const written = results.filter((r) => streakById.has(r.customerId));
  const changed = written.filter((r) => r.kind === 'changed');

  const snapshots: SnapshotRow[] = [];
  const live: LiveDocumentRow[] = [];
  const events: EventRow[] = [];
  for (const r of changed) {
    for (const d of r.diff.next) {
      snapshots.push({ customerId: r.customerId, ...d, removed: false });
      live.push({ customerId: r.customerId, purpose: d.purpose, documentType: d.documentType, name: d.name, status: d.status, alerting: target.isAlertStatus(d.status) });
    }
    r.diff.removed.forEach((d, i) => snapshots.push({ customerId: r.customerId, ...d, verificationResponse: null, expiresOn: null, position: i, removed: true }));
    r.diff.changes.forEach((change, i) =>
      events.push({
        customerId: r.customerId,
        kind: change.kind,
        purpose: change.purpose,
        documentType: change.documentType,
        name: change.name,
        locationKey: change.locationKey,
        previousStatus: change.previousStatus,
        newStatus: change.newStatus,
        verificationResponse: change.verificationResponse,
        expiresOn: change.expiresOn,
        baseline: change.baseline,
        alerting: r.alerting[i] ?? false,
      }),
    );
  }
  await replaceSnapshots(client, changed.map((r) => r.customerId), at, snapshots);
  await insertEventsAndAlerts(client, target.scanId, at, events);
  await insertExpiryWarnings(client, target.scanId, at, changed.flatMap((r) => (r.warnings ?? []).map((d) => ({ customerId: r.customerId, ...d }))));
  // Only where something changed: an unchanged customer's cases stay as they are.
  await resolveCheckedCases(client, changed.filter((r) => r.diff.changes.length > 0).map((r) => r.customerId), at, live);

  const failureReasons: Record<string, number> = {};
  const streakCustomers: string[] = [];
  for (const r of written) {
    if (r.kind !== 'failed') continue;
    failureReasons[r.reason] = (failureReasons[r.reason] ?? 0) + 1;
    if (streakById.get(r.customerId) === FAILURE_STREAK) streakCustomers.push(r.customerId);
  }
  const progress: BatchProgress = {
    checked: written.filter((r) => r.kind !== 'failed').length,
    failed: written.filter((r) => r.kind === 'failed').length,
    changes: events.length,
    alerts: events.filter((e) => e.alerting).length,
    failureReasons,
    streakCustomers,
    batchDone,
  };
  const { complete } =
    target.scanId === null ? { complete: false } : await recordBatchProgress(client, target.scanId, target.batchNo, target.leaseMs, progress);
  return {
    checked: progress.checked,
    failed: progress.failed,
    changes: progress.changes,
    alerts: progress.alerts,
    skipped: results.length - written.length,
    streakCustomers,
    scanComplete: complete,
    written,
  };
}

/**
 * Writes results in one transaction. When the database refuses the data itself (a value it
 * cannot store, a constraint), one customer must not hold back the others: each customer is
 * then written alone, and one whose own write is refused is recorded as a failed check with
 * the database's reason. Connection failures are not the data's fault: they are thrown.
 */
export async function writeWithFallback(db: Database, target: WriteTarget, at: Date, results: readonly CheckResult[], batchDone: boolean): Promise<WriteTally> {
  try {
    return await db.withTransaction((c) => writeResults(c, target, at, results, batchDone));
  } catch (error) {
    if (!isDataError(error) || results.length === 0) throw error;
  }
  const total: WriteTally = { checked: 0, failed: 0, changes: 0, alerts: 0, skipped: 0, streakCustomers: [], scanComplete: false, written: [] };
  const add = (t: WriteTally) => {
    addCounts(total, t);
    total.streakCustomers.push(...t.streakCustomers);
    total.written.push(...t.written);
  };
  for (const result of results) {
    try {
      add(await db.withTransaction((c) => writeResults(c, target, at, [result], false)));
    } catch (error) {
      if (!isDataError(error)) throw error;
      const failed: CheckResult = { kind: 'failed', customerId: result.customerId, error: `the check's result could not be stored: ${firstLine(error)}`, reason: 'unstorable' };
      add(await db.withTransaction((c) => writeResults(c, target, at, [failed], false)));
    }
  }
  if (batchDone) add(await db.withTransaction((c) => writeResults(c, target, at, [], true)));
  return total;
}

/** The counts of a write, added to a running total (a batch's, or a fallback's). */
export function addCounts(total: Counts, more: Counts): void {
  total.checked += more.checked;
  total.failed += more.failed;
  total.changes += more.changes;
  total.alerts += more.alerts;
  total.skipped += more.skipped;
  total.scanComplete ||= more.scanComplete;
}

/** SQLSTATE classes of errors caused by the data written, not by the connection or the server. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

function firstLine(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  return `${message.slice(0, 200)}${code ? ` (SQLSTATE ${code})` : ''}`;
}
