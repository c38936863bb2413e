import type { SnapshotDocument } from '../domain/documents.js';
import type { RemovedDocument, StoredState } from '../domain/status-diff.js';
import type { CheckStateRow } from '../sql/load-check-states.js';

// A customer as a check starts from it: its stored documents, parsed from the row the batch
// load returned.

export interface CustomerState {
  customerId: string;
  active: boolean;
  snapshotVersion: number;
  lastScanId: string | null;
  /** Null before the first successful check: the next one is the baseline. */
  stored: StoredState | null;
}

type StoredTuple = [string, string, string, string, string, string | null, number, boolean, string | null, number | null];

export function toCustomerState(row: CheckStateRow): CustomerState {
  let stored: StoredState | null = null;
  if (row.baseline_at !== null) {
    const documents: SnapshotDocument[] = [];
    const removed: RemovedDocument[] = [];
    for (const [purpose, documentType, name, locationKey, status, verificationResponse, position, isRemoved, expiresOn, warnedDays] of row.documents === null ? [] : (JSON.parse(row.documents) as StoredTuple[])) {
      if (isRemoved) removed.push({ purpose, documentType, name, locationKey, status });
      else documents.push({ purpose, documentType, name, locationKey, status, verificationResponse, position, expiresOn: expiresOn ?? null, warnedDays: warnedDays ?? null });
    }
    stored = { documents, removed, emptyPending: row.empty_pending };
  }
  return { customerId: row.customer_id, active: row.active, snapshotVersion: row.snapshot_version, lastScanId: row.last_scan_id, stored };
}
