import { matchDocuments, toSnapshot, type ApiDocument, type SnapshotDocument } from './documents.js';

// Turns (stored snapshots, new response) into the events of SPEC §4 and the snapshots to store.

export type EventKind = 'appeared' | 'status_changed' | 'removed';

export interface DocumentChange {
  kind: EventKind;
  purpose: string;
  documentType: string;
  name: string;
  locationKey: string;
  previousStatus: string | null;
  newStatus: string | null;
  verificationResponse: string | null;
  /** Found by the customer's first successful check. */
  baseline: boolean;
}

export interface DiffResult {
  changes: DocumentChange[];
  /** The snapshots to store; equal to the previous ones when `snapshotChanged` is false. */
  next: SnapshotDocument[];
  /** True when anything stored differs (an event, or a detail such as the verification response). */
  snapshotChanged: boolean;
}

function sameSnapshot(a: SnapshotDocument, b: SnapshotDocument): boolean {
  return (
    a.status === b.status &&
    a.verificationResponse === b.verificationResponse &&
    a.locationKey === b.locationKey &&
    a.position === b.position
  );
}

/**
 * `previous` is null for a customer never checked successfully (its baseline): every document
 * then `appeared`. Re-running with the same response against the resulting snapshots yields no change.
 */
export function diffDocuments(previous: readonly SnapshotDocument[] | null, response: readonly ApiDocument[]): DiffResult {
  const baseline = previous === null;
  const current = response.map((doc, i) => toSnapshot(doc, i));
  const changes: DocumentChange[] = [];
  let snapshotChanged = baseline || previous.length !== current.length;

  for (const { previous: before, current: after } of matchDocuments(previous ?? [], current)) {
    const doc = after ?? before;
    if (!doc) continue;
    const base = {
      purpose: doc.purpose,
      documentType: doc.documentType,
      name: doc.name,
      locationKey: doc.locationKey,
      verificationResponse: doc.verificationResponse,
      baseline,
    };
    if (before === null && after !== null) {
      changes.push({ ...base, kind: 'appeared', previousStatus: null, newStatus: after.status });
      snapshotChanged = true;
    } else if (before !== null && after === null) {
      changes.push({ ...base, kind: 'removed', previousStatus: before.status, newStatus: null });
      snapshotChanged = true;
    } else if (before !== null && after !== null) {
      if (before.status !== after.status) {
        changes.push({ ...base, kind: 'status_changed', previousStatus: before.status, newStatus: after.status });
      }
      if (!sameSnapshot(before, after)) snapshotChanged = true;
    }
  }
  return { changes, next: snapshotChanged ? current : [...(previous ?? [])], snapshotChanged };
}
