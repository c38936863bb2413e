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
}

/** The stored state of one document, as of the last successful check. */
export interface SnapshotDocument {
  purpose: string;
  documentType: string;
  name: string;
  /** `location` without its query string and fragment. */
  locationKey: string;
  status: string;
  verificationResponse: string | null;
  /** Order of appearance in the response that produced this snapshot. */
  position: number;
}

export function isKnownStatus(status: string): boolean {
  return (KNOWN_STATUSES as readonly string[]).includes(status);
}

/** A signed URL changes its query on every call; what is before `?` and `#` is the stable part. */
export function locationKey(location: string | null): string {
  if (location === null) return '';
  const cut = location.search(/[?#]/);
  return (cut < 0 ? location : location.slice(0, cut)).trim();
}

/** Identity within a customer: purpose + documentType + name. */
export function identityKey(doc: { purpose: string; documentType: string; name: string }): string {
  return JSON.stringify([doc.purpose, doc.documentType, doc.name]);
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
  };
}

export interface Match {
  previous: SnapshotDocument | null;
  current: SnapshotDocument | null;
}

/**
 * Pairs the previous snapshots with the documents of a new response. Within one identity,
 * documents are paired by cleaned location first, then by order of appearance; what is left
 * over is new (previous null) or gone (current null). Location alone never pairs two documents
 * of different identities.
 */
export function matchDocuments(previous: readonly SnapshotDocument[], current: readonly SnapshotDocument[]): Match[] {
  const groups = new Map<string, { prev: SnapshotDocument[]; curr: SnapshotDocument[] }>();
  const group = (doc: SnapshotDocument) => {
    const key = identityKey(doc);
    let g = groups.get(key);
    if (!g) {
      g = { prev: [], curr: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const doc of [...previous].sort((a, b) => a.position - b.position)) group(doc).prev.push(doc);
  for (const doc of current) group(doc).curr.push(doc);

  const matches: Match[] = [];
  for (const { prev, curr } of groups.values()) {
    const pairedPrev = new Set<SnapshotDocument>();
    const pairOf = new Map<SnapshotDocument, SnapshotDocument>();
    for (const c of curr) {
      const p = prev.find((candidate) => !pairedPrev.has(candidate) && candidate.locationKey === c.locationKey);
      if (p) {
        pairedPrev.add(p);
        pairOf.set(c, p);
      }
    }
    const leftoverPrev = prev.filter((p) => !pairedPrev.has(p));
    for (const c of curr) {
      if (pairOf.has(c)) continue;
      const p = leftoverPrev.shift();
      if (p) pairOf.set(c, p);
    }
    for (const c of curr) matches.push({ previous: pairOf.get(c) ?? null, current: c });
    for (const p of leftoverPrev) matches.push({ previous: p, current: null });
  }
  return matches;
}
