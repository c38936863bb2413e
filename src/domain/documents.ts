import type { MetadataEntry } from './expiry.js';

// Documents as the monitor sees them, and how a document keeps its identity between scans (SPEC §4).

export const KNOWN_STATUSES = ['underverification', 'verified', 'declined', 'incomplete', 'expired'] as const;

/** One document of a getDocuments response, after validation. */
export interface ApiDocument {
  purpose: string;
  documentType: string;
  name: string;
  location: string | null;
  status: string;
  verificationResponse: string | null;
  /** Its metadata entries with text name, type and value (the rest of the metadata is ignored). */
  metadata?: readonly MetadataEntry[];
  /** The expiry date its metadata gives (`YYYY-MM-DD`, SPEC §11), once read by the check. */
  expiresOn?: string | null;
}

/** The stored state of one document, as of the last successful check. */
export interface SnapshotDocument {
  purpose: string;
  documentType: string;
  name: string;
  /** `location` without its query string and fragment. */
  locationKey: string;
  /** As the API sent it (compare through `statusKey`). */
  status: string;
  verificationResponse: string | null;
  /** Order of appearance in the response that produced this snapshot. */
  position: number;
  /** `YYYY-MM-DD`, or null when its metadata gives none. */
  expiresOn: string | null;
  /** The smallest threshold (days) an expiry warning went out for, for this expiry date (SPEC §11). */
  warnedDays?: number | null;
}

/**
 * What the API sends is compared trimmed and case-insensitively (`" Expired "` is `expired`);
 * the raw value is what gets stored and shown.
 */
export function statusKey(status: string): string {
  return status.trim().toLowerCase();
}

export function sameStatus(a: string, b: string): boolean {
  return a === b || statusKey(a) === statusKey(b);
}

export function isKnownStatus(status: string): boolean {
  return (KNOWN_STATUSES as readonly string[]).includes(statusKey(status));
}

/** A signed URL changes its query on every call; what is before `?` and `#` is the stable part. */
export function locationKey(location: string | null): string {
  if (location === null) return '';
  const cut = location.search(/[?#]/);
  return (cut < 0 ? location : location.slice(0, cut)).trim();
}

/** Identity within a customer (SPEC §4): purpose + documentType + name. */
export interface Identity {
  purpose: string;
  documentType: string;
  name: string;
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return a.name === b.name && a.documentType === b.documentType && a.purpose === b.purpose;
}

/**
 * A map keyed by identity. Names are nearly always distinct within a customer, so it hashes the
 * name as it is and compares the rest: no key string is built per document (that cost more
 * than everything else in a diff).
 */
export class IdentityMap<V> {
  private readonly byName = new Map<string, Array<{ identity: Identity; value: V }>>();

  get(identity: Identity): V | undefined {
    const bucket = this.byName.get(identity.name);
    if (bucket) {
      for (const entry of bucket) if (sameIdentity(entry.identity, identity)) return entry.value;
    }
    return undefined;
  }

  /** The value for `identity`, made by `create` the first time. */
  upsert(identity: Identity, create: () => V): V {
    const bucket = this.byName.get(identity.name);
    if (bucket) {
      for (const entry of bucket) if (sameIdentity(entry.identity, identity)) return entry.value;
    }
    const value = create();
    if (bucket) bucket.push({ identity, value });
    else this.byName.set(identity.name, [{ identity, value }]);
    return value;
  }

  *values(): IterableIterator<V> {
    for (const bucket of this.byName.values()) for (const entry of bucket) yield entry.value;
  }
}

export function toSnapshot(doc: ApiDocument, position: number): SnapshotDocument {
  return {
    purpose: doc.purpose,
    documentType: doc.documentType,
    name: doc.name,
    locationKey: locationKey(doc.location),
    status: doc.status,
    verificationResponse: doc.verificationResponse,
    position,
    expiresOn: doc.expiresOn ?? null,
  };
}

/** What pairing looks at in a document of one identity. */
export interface Pairable {
  locationKey: string;
  status: string;
}

export type PairingKey<T> = (doc: T) => string;

const both = (a: string, b: string) => `${a.length}:${a}${b}`;

/** Same cleaned location and same status: an unchanged document. */
export const byLocationAndStatus: PairingKey<Pairable> = (d) => both(d.locationKey, statusKey(d.status));
export const byLocation: PairingKey<Pairable> = (d) => d.locationKey;
export const byStatus: PairingKey<Pairable> = (d) => statusKey(d.status);
export const byOrder: PairingKey<Pairable> = () => '';

/**
 * Pairs the documents of one identity in passes, each pass pairing what the earlier ones left
 * by equal key, in order of appearance on both sides. Returns, for each of `after`, the index
 * of its pair in `before`, or -1. Every pass is one map over what is left: linear in the
 * documents, however many share an identity.
 */
export function pairInPasses<T>(before: readonly T[], after: readonly T[], passes: ReadonlyArray<PairingKey<T>>): Int32Array {
  const pairOf = new Int32Array(after.length).fill(-1);
  const taken = new Uint8Array(before.length);
  let unpaired = Math.min(before.length, after.length);
  for (const key of passes) {
    if (unpaired === 0) break;
    const waiting = new Map<string, { indexes: number[]; next: number }>();
    for (let b = 0; b < before.length; b++) {
      if (taken[b]) continue;
      const k = key(before[b] as T);
      const queue = waiting.get(k);
      if (queue) queue.indexes.push(b);
      else waiting.set(k, { indexes: [b], next: 0 });
    }
    for (let a = 0; a < after.length && unpaired > 0; a++) {
      if (pairOf[a] !== -1) continue;
      const queue = waiting.get(key(after[a] as T));
      if (!queue || queue.next === queue.indexes.length) continue;
      const b = queue.indexes[queue.next++] as number;
      pairOf[a] = b;
      taken[b] = 1;
      unpaired--;
    }
  }
  return pairOf;
}

/**
 * How snapshots and a new response pair up within one identity (SPEC §4): unchanged pairs first —
 * identical ones, then same cleaned location and status — so that a reordering pairs every
 * document with itself; then by cleaned location, then by status, then by order of appearance.
 */
export const SNAPSHOT_PASSES: ReadonlyArray<PairingKey<SnapshotDocument>> = [
  (d) => both(d.locationKey, both(d.status, d.verificationResponse === null ? 'n' : `s${d.verificationResponse}`)),
  byLocationAndStatus,
  byLocation,
  byStatus,
  byOrder,
];

export interface Match {
  previous: SnapshotDocument | null;
  current: SnapshotDocument | null;
}

/**
 * Pairs the previous snapshots with the documents of a new response, identity by identity
 * (`SNAPSHOT_PASSES`). Location alone never pairs two documents of different identities.
 * Returns every current document in response order with its pair or null (new), then the
 * previous documents left over (gone), in their order.
 */
export function matchDocuments(previous: readonly SnapshotDocument[], current: readonly SnapshotDocument[]): Match[] {
  const groups = new IdentityMap<{ prev: SnapshotDocument[]; curr: number[] }>();
  for (const doc of byPosition(previous)) groups.upsert(doc, () => ({ prev: [], curr: [] })).prev.push(doc);
  const pairs = new Array<SnapshotDocument | null>(current.length).fill(null);
  const left: SnapshotDocument[] = [];
  for (let i = 0; i < current.length; i++) groups.get(current[i] as SnapshotDocument)?.curr.push(i);
  for (const { prev, curr } of groups.values()) {
    if (prev.length === 1 && curr.length === 1) {
      pairs[curr[0] as number] = prev[0] as SnapshotDocument;
      continue;
    }
    const pairOf = pairInPasses(prev, curr.map((i) => current[i] as SnapshotDocument), SNAPSHOT_PASSES);
    const paired = new Set<number>();
    curr.forEach((i, k) => {
      const b = pairOf[k] as number;
      if (b < 0) return;
      pairs[i] = prev[b] as SnapshotDocument;
      paired.add(b);
    });
    for (const [b, doc] of prev.entries()) if (!paired.has(b)) left.push(doc);
  }
  const matches: Match[] = current.map((doc, i) => ({ previous: pairs[i] ?? null, current: doc }));
  for (const doc of left.sort((a, b) => a.position - b.position)) matches.push({ previous: doc, current: null });
  return matches;
}

function byPosition(docs: readonly SnapshotDocument[]): readonly SnapshotDocument[] {
  for (let i = 1; i < docs.length; i++) {
    if ((docs[i - 1] as SnapshotDocument).position > (docs[i] as SnapshotDocument).position) return [...docs].sort((a, b) => a.position - b.position);
  }
  return docs;
}
