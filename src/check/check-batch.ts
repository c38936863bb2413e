import type pLimit from 'p-limit';
import { isAlertStatus, raisesAlert, type AlertRules } from '../domain/alert-rules.js';
import { dayIn, readExpiry } from '../domain/expiry.js';
import { daysUntil, thresholdsFor, warningThreshold, type WarningDays } from '../domain/expiry-warnings.js';
import type { SnapshotDocument } from '../domain/documents.js';
import { driftKey, undocumentedValues, type UndocumentedValue } from '../domain/drift.js';
import { apiDrift } from '../domain/ops-alerts.js';
import { recordUnknownValues, type UnknownValueRow } from '../sql/record-unknown-values.js';
import { isKnownStatus } from '../domain/documents.js';
import { diffDocuments } from '../domain/status-diff.js';
import type { Logger } from '../logger.js';
import type { Secrets } from '../secrets.js';
import { loadCheckStates } from '../sql/load-check-states.js';
import type { Database } from '../store/database.js';
import { failureReason, isCredentialsRejected, type CheckObserver, type DocumentsSource, type OnceAlerts } from './ports.js';
import { toCustomerState, type CustomerState } from './stored-state.js';
import { addCounts, writeWithFallback, type CheckResult, type Counts, type DueAt, type ExpiryWarning, type WriteTally } from './write-results.js';

// Checks one batch of customers: fetch → identify → diff → write (write-results.ts). Memory is
// bounded by documents, not by customers: states are loaded in slices of at most
// `maxDocumentsLoaded` stored documents, and what the checks found is written whenever it holds
// `maxDocumentsPerWrite` documents — while a write runs, the checks waiting to add theirs hold
// their concurrency slot, so a fast API cannot pile results up in memory.

export interface CheckDependencies {
  db: Database;
  source: DocumentsSource;
  rules: AlertRules;
  /** Where expiry dates are read from (EXPIRY_METADATA_NAMES, as metadataKey gives them) and the calendar they are days of (SCAN_TIMEZONE). */
  expiry: { names: ReadonlySet<string>; timeZone: string; /** EXPIRY_WARNING_DAYS (SPEC §11); none: no warnings. */ warningDays?: WarningDays };
  log: Logger;
  secrets: Secrets;
  /** Bounds the checks in flight across every batch of this process (CHECK_CONCURRENCY). */
  limit: ReturnType<typeof pLimit>;
  observer?: CheckObserver;
  /** Where API drift is reported (one operations alert per new field and value); none: not reported. */
  drift?: { alerts: OnceAlerts; /** (field, value) pairs this process has recorded already. */ recorded: Set<string> };
  /** How long a write keeps the scan's lease. */
  leaseMs: number;
  maxDocumentsLoaded?: number;
  maxDocumentsPerWrite?: number;
  /** The clock whose day expiry warnings count from (tests move it). */
  clock?: () => Date;
  /**
   * Continuous mode: when a customer is due next, given the documents its check saw (null: the
   * check failed). Absent: checks leave it as it was (cron mode).
   */
  due?: (documents: ReadonlyArray<{ status: string; expiresOn: string | null }> | null) => DueAt;
  /** Told of each customer as its check ends, before it is written (the `scan` command's progress bar). */
  onCustomerChecked?: (checked: CustomerChecked) => void;
}

export interface CustomerChecked {
  customerId: string;
  outcome: 'unchanged' | 'changed' | 'failed' | 'skipped';
  /** Why a check failed (ports.ts failureReason). */
  reason?: string;
}

export interface Batch {
  scanId: string | null;
  batchNo: number;
  customerIds: readonly string[];
}

/** What a batch did; `skipped` also counts customers not checked now (untracked, interrupted). */
export type BatchOutcome = Counts;

export const MAX_DOCUMENTS_LOADED = 20_000;
export const MAX_DOCUMENTS_PER_WRITE = 5_000;

/**
 * Returns null when the batch's scan is no longer running (nothing checked). Throws the
 * source's credentials-rejected error after writing what was checked (see ports.ts);
 * throws the signal's reason after writing what was checked, when aborted.
 */
export async function checkBatch(deps: CheckDependencies, batch: Batch, signal?: AbortSignal): Promise<BatchOutcome | null> {
  const maxLoaded = deps.maxDocumentsLoaded ?? MAX_DOCUMENTS_LOADED;
  const maxPerWrite = deps.maxDocumentsPerWrite ?? MAX_DOCUMENTS_PER_WRITE;
  const outcome: BatchOutcome = { checked: 0, failed: 0, changes: 0, alerts: 0, skipped: 0, scanComplete: false };
  const stop = new AbortController();
  const stopped = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  let rejected: Error | undefined;

  let pending: CheckResult[] = [];
  let pendingDocuments = 0;
  let writing: Promise<void> = Promise.resolve();
  const write = (batchDone: boolean): Promise<void> => {
    const results = pending;
    pending = [];
    pendingDocuments = 0;
    writing = writing.then(async () => {
      const tally = await writeWithFallback(deps.db, { scanId: batch.scanId, batchNo: batch.batchNo, leaseMs: deps.leaseMs, isAlertStatus: (status) => isAlertStatus(status, deps.rules) }, new Date(), results, batchDone);
      account(tally);
    });
    return writing;
  };
  const account = (tally: WriteTally) => {
    addCounts(outcome, tally);
    let changedCount = 0;
    for (const r of tally.written) {
      if (r.kind !== 'changed') continue;
      changedCount++;
      deps.log.debug({ customerId: r.customerId, changes: r.diff.changes.length, alerts: r.alerting.filter(Boolean).length }, 'document changes recorded');
    }
    deps.observer?.observeCheck('changed', changedCount);
    deps.observer?.observeCheck('unchanged', tally.checked - changedCount);
    deps.observer?.observeCheck('failed', tally.failed);
    deps.observer?.observeCheck('skipped', tally.skipped);
  };

  const undocumented = new Map<string, UnknownValueRow>();
  // Expiry dates are calendar days in SCAN_TIMEZONE: which one today is, once for the batch.
  const today = dayIn(deps.clock?.() ?? new Date(), deps.expiry.timeZone);
  const checkOne = async (state: CustomerState): Promise<void> => {
    const result = await check(deps, state, batch.scanId, stopped, (error) => {
      rejected ??= error;
      stop.abort(error);
    }, (values) => {
      for (const v of values) {
        const key = driftKey(v);
        if (!deps.drift?.recorded.has(key) && !undocumented.has(key)) undocumented.set(key, { ...v, customerId: state.customerId });
      }
    }, today);
    if (result === null) {
      outcome.skipped++;
      deps.observer?.observeCheck('skipped');
      deps.onCustomerChecked?.({ customerId: state.customerId, outcome: 'skipped' });
      return;
    }
    deps.onCustomerChecked?.({ customerId: result.customerId, outcome: result.kind, ...(result.kind === 'failed' ? { reason: result.reason } : {}) });
    pending.push(result);
    pendingDocuments += result.kind === 'changed' ? result.diff.next.length + result.diff.removed.length + result.diff.changes.length : 1;
    if (pendingDocuments >= maxPerWrite) await write(false);
  };

  let remaining = [...batch.customerIds];
  let first = true;
  while (remaining.length > 0 && !stopped.aborted) {
    const { scanRunning, rows } = await deps.db.withClient((c) => loadCheckStates(c, batch.scanId, remaining, maxLoaded));
    if (!scanRunning) return first ? null : outcome;
    first = false;
    const known = new Set(rows.map((r) => r.customer_id));
    outcome.skipped += remaining.filter((id) => !known.has(id)).length;
    const loaded = rows.filter((r) => r.loaded).map(toCustomerState);
    remaining = rows.filter((r) => !r.loaded).map((r) => r.customer_id);
    await Promise.all(loaded.map((state) => deps.limit(() => checkOne(state))));
  }
  outcome.skipped += remaining.length;
  // The batch is done only when every customer had its check (or was skipped for a reason that
  // a second run would find again); a stopped batch is run again and skips what it wrote.
  await write(!stopped.aborted);
  await writing;
  if (undocumented.size > 0 && deps.drift) await recordDrift(deps.db, deps.drift, [...undocumented.values()]);
  if (rejected) throw rejected;
  if (signal?.aborted) throw signal.reason;
  return outcome;
}

/** Records the undocumented values first seen here and queues one operations alert for each; remembers them in this process. */
async function recordDrift(db: Database, drift: NonNullable<CheckDependencies['drift']>, values: UnknownValueRow[]): Promise<void> {
  await db.withTransaction(async (c) => {
    for (const v of await recordUnknownValues(c, values, new Date())) await drift.alerts.once(c, `drift:${v.field}:${v.value}`, apiDrift(v.field, v.value, v.customerId));
  });
  for (const v of values) drift.recorded.add(driftKey(v));
}

/** One customer: null when it is not to be checked now. */
async function check(
  deps: CheckDependencies,
  state: CustomerState,
  scanId: string | null,
  signal: AbortSignal,
  onRejected: (error: Error) => void,
  onUndocumented: (values: readonly UndocumentedValue[]) => void,
  today: string,
): Promise<CheckResult | null> {
  if (!state.active || (scanId !== null && state.lastScanId === scanId) || signal.aborted) return null;
  let documents;
  try {
    documents = await deps.source.getDocuments(state.customerId, signal);
  } catch (error) {
    if (signal.aborted) return null;
    if (isCredentialsRejected(error)) {
      onRejected(error);
      return null;
    }
    const reason = failureReason(error);
    const message = deps.secrets.scrub(error instanceof Error ? error.message : String(error));
    deps.log.warn({ customerId: state.customerId, reason, err: message }, 'customer check failed');
    return { kind: 'failed', customerId: state.customerId, error: message, reason, ...(deps.due ? { due: deps.due(null) } : {}) };
  }
  let unreadable = 0;
  const read = documents.map((doc) => {
    if (!isKnownStatus(doc.status)) deps.log.warn({ customerId: state.customerId, status: doc.status, documentType: doc.documentType }, 'unknown document status stored as it is');
    const expiry = readExpiry(doc.metadata, deps.expiry.names, deps.expiry.timeZone);
    unreadable += expiry.unreadable;
    return { ...doc, expiresOn: expiry.expiresOn };
  });
  if (unreadable > 0) deps.observer?.observeUnreadableExpiry?.(unreadable);
  const drift = undocumentedValues(documents);
  if (drift.values.length > 0) {
    for (const [field, count] of Object.entries(drift.occurrences)) if (count > 0) deps.observer?.observeUnknownValues?.(field, count);
    onUndocumented(drift.values);
  }
  const diff = diffDocuments(state.stored, read);
  const warned = expiryWarnings(deps, diff.next, today);
  const due = deps.due ? { due: deps.due(read) } : {};
  if (!diff.snapshotChanged && warned === null) return { kind: 'unchanged', customerId: state.customerId, ...due };
  return {
    ...due,
    kind: 'changed',
    customerId: state.customerId,
    expectedVersion: state.snapshotVersion,
    baseline: state.stored === null,
    // A warning due marks its document (the snapshot is written even when nothing else changed).
    diff: warned === null ? diff : { ...diff, next: warned.next, snapshotChanged: true },
    alerting: diff.changes.map((change) => raisesAlert(change, deps.rules)),
    warnings: warned?.warnings ?? [],
  };
}

/**
 * The expiry warnings due for a customer's documents as the check leaves them (SPEC §11): for a
 * document outside ALERT_STATUSES whose expiry date is within a threshold, the smallest crossed
 * and not yet warned for that date. Null when none is due (the common case: nothing allocated).
 */
export function expiryWarnings(deps: Pick<CheckDependencies, 'expiry' | 'rules'>, documents: readonly SnapshotDocument[], today: string): { next: SnapshotDocument[]; warnings: ExpiryWarning[] } | null {
  const days = deps.expiry.warningDays;
  if (!days) return null;
  let next: SnapshotDocument[] | null = null;
  const warnings: ExpiryWarning[] = [];
  documents.forEach((doc, i) => {
    if (doc.expiresOn === null || isAlertStatus(doc.status, deps.rules)) return;
    const daysLeft = daysUntil(today, doc.expiresOn);
    const threshold = warningThreshold(daysLeft, thresholdsFor(doc.purpose, days), doc.warnedDays ?? null);
    if (threshold === null) return;
    next ??= [...documents];
    next[i] = { ...doc, warnedDays: threshold };
    warnings.push({ ...next[i], daysLeft });
  });
  return next === null ? null : { next, warnings };
}
