import pLimit from 'p-limit';
import { raisesAlert, type AlertRules } from '../domain/alert-rules.js';
import { isKnownStatus } from '../domain/documents.js';
import { diffDocuments } from '../domain/status-diff.js';
import type { DocumentsSource } from '../cyrexa/client.js';
import { CyrexaAuthError } from '../cyrexa/errors.js';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';
import type { CheckResultStore, CheckWrite } from '../store/check-results.js';
import type { CustomerStore } from '../store/customers.js';

// The check of customers: fetch → identify → diff → persist (snapshots, events and alerts in
// one transaction). A failed fetch writes nothing but the customer's last error.

export interface CheckDependencies {
  source: DocumentsSource;
  customers: CustomerStore;
  results: CheckResultStore;
  rules: AlertRules;
  log: Logger;
  /** Bounds the checks in flight across every batch of this process (CHECK_CONCURRENCY). */
  limit: ReturnType<typeof pLimit>;
  observer?: CheckObserver;
}

/** Told the outcome of every check (metrics). */
export interface CheckObserver {
  observeCheck(outcome: 'unchanged' | 'changed' | 'failed' | 'skipped', count?: number): void;
}

export interface BatchOutcome {
  checked: number;
  failed: number;
  changes: number;
  alerts: number;
  /** Customers already checked by this scan (a redelivered batch) or no longer tracked. */
  skipped: number;
  /** Ids whose consecutive failures just reached `failureStreak`. */
  failingStreak: string[];
}

/** The API refused our credentials: the scan cannot go on. */
export class CredentialsRejected extends Error {
  override name = 'CredentialsRejected';
}

export const FAILURE_STREAK = 3;

type Result = { kind: 'unchanged' } | { kind: 'changed'; changes: number; alerts: number; write: CheckWrite } | { kind: 'failed'; error: string } | { kind: 'skipped' };

export async function checkCustomers(
  deps: CheckDependencies,
  ids: readonly string[],
  scanId: string | null,
  signal?: AbortSignal,
): Promise<BatchOutcome> {
  const states = await deps.customers.loadStates(ids);
  const at = () => new Date();
  const unchanged: string[] = [];
  const failures = new Map<string, string>();
  const outcome: BatchOutcome = { checked: 0, failed: 0, changes: 0, alerts: 0, skipped: 0, failingStreak: [] };
  let rejected: CyrexaAuthError | undefined;
  const local = new AbortController();
  const combined = signal ? AbortSignal.any([signal, local.signal]) : local.signal;

  const checkOne = async (id: string): Promise<Result> => {
    const state = states.get(id);
    if (!state || !state.active || (scanId !== null && state.lastScanId === scanId)) return { kind: 'skipped' };
    if (combined.aborted) return { kind: 'skipped' };
    let documents;
    try {
      documents = await deps.source.getDocuments(id, combined);
    } catch (error) {
      if (combined.aborted) return { kind: 'skipped' };
      if (error instanceof CyrexaAuthError) {
        rejected ??= error;
        local.abort(error);
        return { kind: 'skipped' };
      }
      deps.log.warn({ customerId: id, err: { name: (error as Error).name, message: errorMessage(error) } }, 'customer check failed');
      return { kind: 'failed', error: errorMessage(error) };
    }
    for (const doc of documents) {
      if (!isKnownStatus(doc.status)) {
        deps.log.warn({ customerId: id, status: doc.status, documentType: doc.documentType }, 'unknown document status stored as it is');
      }
    }
    // The store keeps no tombstones or empty-pending mark yet: each check starts without them.
    const diff = diffDocuments(state.documents === null ? null : { documents: state.documents, removed: [], emptyPending: false }, documents);
    if (!diff.snapshotChanged) return { kind: 'unchanged' };
    const alerting = diff.changes.flatMap((change, index) => (raisesAlert(change, deps.rules) ? [index] : []));
    return {
      kind: 'changed',
      changes: diff.changes.length,
      alerts: alerting.length,
      write: {
        customerId: id,
        expectedVersion: state.snapshotVersion,
        isBaseline: state.documents === null,
        scanId,
        next: diff.next,
        changes: diff.changes,
        alerting,
        at: at(),
      },
    };
  };

  const results = await Promise.all(ids.map((id) => deps.limit(() => checkOne(id)).then((r) => [id, r] as const)));
  // Every change of the batch in one transaction; a customer another check wrote first keeps
  // that check's result, and ours is dropped.
  const writes = results.flatMap(([, r]) => (r.kind === 'changed' ? [r.write] : []));
  const { conflicts } = await deps.results.saveMany(writes);
  const conflicting = new Set(conflicts);
  for (const w of writes) {
    if (!conflicting.has(w.customerId) && w.changes.length) deps.log.info({ customerId: w.customerId, changes: w.changes.length, alerts: w.alerting.length }, 'document changes recorded');
  }
  for (const [id, result] of results) {
    switch (result.kind) {
      case 'unchanged':
        unchanged.push(id);
        outcome.checked++;
        break;
      case 'changed':
        if (conflicting.has(id)) {
          outcome.skipped++;
          break;
        }
        outcome.checked++;
        outcome.changes += result.changes;
        outcome.alerts += result.alerts;
        break;
      case 'failed':
        failures.set(id, result.error);
        outcome.failed++;
        break;
      case 'skipped':
        outcome.skipped++;
        break;
    }
  }
  const now = at();
  deps.observer?.observeCheck('unchanged', unchanged.length);
  deps.observer?.observeCheck('changed', outcome.checked - unchanged.length);
  deps.observer?.observeCheck('failed', outcome.failed);
  deps.observer?.observeCheck('skipped', outcome.skipped);
  await deps.customers.recordUnchanged(unchanged, scanId, now);
  if (failures.size) {
    const streaks = await deps.customers.recordFailures(failures, scanId, now);
    outcome.failingStreak = [...streaks].filter(([, n]) => n === FAILURE_STREAK).map(([id]) => id);
  }
  if (rejected) throw new CredentialsRejected(rejected.message, { cause: rejected });
  return outcome;
}
