import {
  byLocation,
  byLocationAndStatus,
  byOrder,
  byStatus,
  IdentityMap,
  locationKey,
  matchDocuments,
  pairInPasses,
  sameIdentity,
  sameStatus,
  toSnapshot,
  type ApiDocument,
  type Pairable,
  type PairingKey,
  type SnapshotDocument,
} from './documents.js';

// Turns (stored state, new response) into the events of SPEC §4 and the state to store.

export type EventKind = 'appeared' | 'status_changed' | 'removed';

/** A removed document, remembered so that its reappearance in the same status raises no alert. */
export interface RemovedDocument {
  purpose: string;
  documentType: string;
  name: string;
  locationKey: string;
  /** As the API last sent it. */
  status: string;
}

/** What a customer's last successful check left behind. */
export interface StoredState {
  /** Live snapshots. */
  documents: readonly SnapshotDocument[];
  /** Tombstones, most recent first (how many: `TOMBSTONES_KEPT`). */
  removed: readonly RemovedDocument[];
  /** The last answer had no documents while `documents` has some: not recorded until confirmed. */
  emptyPending: boolean;
}

/**
 * Tombstones kept per customer, the most recent first (documents removed by one answer: in
 * their order in it): this many, or as many as the customer had live documents before the
 * answer, whichever is more — so that an answer that drops most of a large customer's documents
 * (5,000, then 200 of them) is forgotten entirely when they come back, and state stays bounded
 * by the customer's own size. A document removed before that many removals that reappears in
 * an alert status alerts again.
 */
export const TOMBSTONES_KEPT = 1000;

export interface DocumentChange {
  kind: EventKind;
  purpose: string;
  documentType: string;
  name: string;
  locationKey: string;
  /** Raw values, as the API sent them (the audit trail). */
  previousStatus: string | null;
  newStatus: string | null;
  verificationResponse: string | null;
  /** The document's expiry date (`YYYY-MM-DD`), when its metadata gives one. */
  expiresOn: string | null;
  /** Found by the customer's first successful check. */
  baseline: boolean;
  /** An `appeared` that matched a tombstone in the same status: it raises no alert. */
  reappeared: boolean;
}

export interface DiffResult {
  changes: DocumentChange[];
  /** The state to store. Each part is the previous one itself when it did not change. */
  next: readonly SnapshotDocument[];
  removed: readonly RemovedDocument[];
  emptyPending: boolean;
  /**
   * True when anything to store differs: an event, a detail without an event (a verification
   * response, a status's case), the tombstones or the flag. A reordering alone is not a change.
   */
  snapshotChanged: boolean;
}

/**
 * `previous` is null for a customer never checked successfully (its baseline): every document
 * then `appeared`. Re-running with the same response against the resulting state yields no change.
 */
export function diffDocuments(previous: StoredState | null, response: readonly ApiDocument[]): DiffResult {
  if (previous === null) return baselineOf(response);
  const { documents, removed } = previous;
  if (response.length === 0 && documents.length > 0 && !previous.emptyPending) {
    // One empty answer is as likely an API hiccup as a customer losing every document: keep
    // everything and record the removals only if the next answer is empty too.
    return { changes: [], next: documents, removed, emptyPending: true, snapshotChanged: true };
  }
  if (unchangedInPlace(documents, response)) {
    return { changes: [], next: documents, removed, emptyPending: false, snapshotChanged: previous.emptyPending };
  }
  return diffChanged(previous, response);
}

function baselineOf(response: readonly ApiDocument[]): DiffResult {
  const next = response.map(toSnapshot);
  const changes = next.map((doc) => change('appeared', doc, null, doc.status, true));
  return { changes, next, removed: [], emptyPending: false, snapshotChanged: true };
}

/** The common case, without allocating: the response is the snapshots, in the same order. */
function unchangedInPlace(documents: readonly SnapshotDocument[], response: readonly ApiDocument[]): boolean {
  if (documents.length !== response.length) return false;
  for (let i = 0; i < response.length; i++) {
    const before = documents[i] as SnapshotDocument;
    const after = response[i] as ApiDocument;
    if (
      before.position !== i ||
      before.status !== after.status ||
      before.verificationResponse !== after.verificationResponse ||
      before.expiresOn !== (after.expiresOn ?? null) ||
      !sameIdentity(before, after) ||
      before.locationKey !== locationKey(after.location)
    ) {
      return false;
    }
  }
  return true;
}

function diffChanged(previous: StoredState, response: readonly ApiDocument[]): DiffResult {
  const current = response.map(toSnapshot);
  const changes: DocumentChange[] = [];
  const appeared: Array<{ doc: SnapshotDocument; change: DocumentChange }> = [];
  const gone: SnapshotDocument[] = [];
  let detailChanged = previous.emptyPending;
  for (const { previous: before, current: after } of matchDocuments(previous.documents, current)) {
    if (before === null && after !== null) {
      const appearance = change('appeared', after, null, after.status, false);
      changes.push(appearance);
      appeared.push({ doc: after, change: appearance });
    } else if (before !== null && after === null) {
      changes.push(change('removed', before, before.status, null, false));
      gone.push(before);
    } else if (before !== null && after !== null) {
      // Warnings already sent hold for the same expiry date; a new date re-arms them.
      if (before.expiresOn === after.expiresOn) after.warnedDays = before.warnedDays ?? null;
      if (!sameStatus(before.status, after.status)) changes.push(change('status_changed', after, before.status, after.status, false));
      else if (before.status !== after.status || before.verificationResponse !== after.verificationResponse || before.locationKey !== after.locationKey || before.expiresOn !== after.expiresOn) {
        detailChanged = true;
      }
    }
  }
  const removed = updateTombstones(previous.removed, gone, appeared, Math.max(TOMBSTONES_KEPT, previous.documents.length));
  const snapshotChanged = changes.length > 0 || detailChanged;
  return { changes, next: snapshotChanged ? current : previous.documents, removed, emptyPending: false, snapshotChanged };
}

/** Pairs tombstones with what appeared like live documents, minus the verification response, which they do not keep. */
const TOMBSTONE_PASSES: ReadonlyArray<PairingKey<Pairable>> = [byLocationAndStatus, byLocation, byStatus, byOrder];

/**
 * Consumes the tombstones that what appeared matches (flagging a same-status match as
 * `reappeared`) and adds the documents just removed, most recent first, within `TOMBSTONES_KEPT`.
 */
function updateTombstones(
  tombstones: readonly RemovedDocument[],
  gone: readonly SnapshotDocument[],
  appeared: ReadonlyArray<{ doc: SnapshotDocument; change: DocumentChange }>,
  keep: number,
): readonly RemovedDocument[] {
  const consumed = new Set<number>();
  if (appeared.length > 0 && tombstones.length > 0) {
    const byIdentity = new IdentityMap<{ tombs: number[]; docs: Array<{ doc: SnapshotDocument; change: DocumentChange }> }>();
    const groupOf = () => ({ tombs: [], docs: [] });
    tombstones.forEach((tomb, i) => byIdentity.upsert(tomb, groupOf).tombs.push(i));
    for (const item of appeared) byIdentity.get(item.doc)?.docs.push(item);
    for (const { tombs, docs } of byIdentity.values()) {
      if (docs.length === 0) continue;
      const candidates = tombs.map((i) => tombstones[i] as RemovedDocument);
      const pairOf = pairInPasses<Pairable>(candidates, docs.map((d) => d.doc), TOMBSTONE_PASSES);
      docs.forEach(({ change }, k) => {
        const t = pairOf[k] as number;
        if (t < 0) return;
        consumed.add(tombs[t] as number);
        change.reappeared = sameStatus((candidates[t] as RemovedDocument).status, change.newStatus ?? '');
      });
    }
  }
  if (gone.length === 0 && consumed.size === 0) return tombstones;
  const fresh: RemovedDocument[] = gone.map(({ purpose, documentType, name, locationKey, status }) => ({ purpose, documentType, name, locationKey, status }));
  const kept = consumed.size === 0 ? tombstones : tombstones.filter((_, i) => !consumed.has(i));
  return [...fresh, ...kept].slice(0, keep);
}

function change(kind: EventKind, doc: SnapshotDocument, previousStatus: string | null, newStatus: string | null, baseline: boolean): DocumentChange {
  return {
    kind,
    purpose: doc.purpose,
    documentType: doc.documentType,
    name: doc.name,
    locationKey: doc.locationKey,
    previousStatus,
    newStatus,
    verificationResponse: doc.verificationResponse,
    expiresOn: doc.expiresOn,
    baseline,
    reappeared: false,
  };
}
