// Every simulated customer's documents as the monitor last saw them, and the world's changes
// that bring them up to a check's time (bench/detection-world.ts builds the tables from the
// sandbox's world; bench/parts/detection.ts runs the checks).

export const STATUSES = ['underverification', 'verified', 'declined', 'incomplete', 'expired'] as const;
export const EXPIRED = 4;
export const DECLINED = 2;
/** The generator gives a customer 3–5 documents. */
export const MAX_SLOTS = 5;

export interface WorldTables {
  customers: number;
  /** Documents per customer. */
  slots: Uint8Array;
  /** Per customer × MAX_SLOTS, at the origin: status code, and the expiry date as read (null: none readable). */
  status: Uint8Array;
  expiresOn: Array<string | null>;
  /** Whether the document's metadata carries a readable expiry date (its format is the slot's, in every generation). */
  readable: Uint8Array;
  /** Customer i's changes are first[i] … first[i + 1] − 1, oldest first. */
  first: Int32Array;
  at: Float64Array;
  slot: Uint8Array;
  from: Uint8Array;
  to: Uint8Array;
  /** The document's expiry date after the change (`YYYY-MM-DD`, whether or not its metadata is readable). */
  changeExpiresOn: string[];
}

/**
 * Whether change `k` (of its customer) was undone before a check at `checkedAt`: another change of
 * the same document at or before then. Such a check no longer sees the status the change gave.
 */
export function undoneBy(tables: WorldTables, k: number, customer: number, checkedAt: number): boolean {
  const end = tables.first[customer + 1]!;
  for (let later = k + 1; later < end && tables.at[later]! <= checkedAt; later++) if (tables.slot[later] === tables.slot[k]) return true;
  return false;
}

/**
 * Every customer's documents as the monitor last saw them, brought up to a check's time one
 * customer at a time (times must not go back for a customer). The changes a check applies are
 * checked against what the table says the document was: a wrong table fails loudly.
 */
export class DocumentStates {
  readonly status: Uint8Array;
  readonly expiresOn: Array<string | null>;
  /** Per customer: its first change not applied yet. */
  readonly next: Int32Array;
  readonly #tables: WorldTables;

  constructor(tables: WorldTables) {
    this.#tables = tables;
    this.status = tables.status.slice();
    this.expiresOn = tables.expiresOn.slice();
    this.next = tables.first.slice(0, tables.customers);
  }

  /** Applies customer `i`'s changes at or before `at`; returns the first index past them (those applied are `next` before … that − 1). */
  advance(i: number, at: number): number {
    const t = this.#tables;
    const end = t.first[i + 1]!;
    let k = this.next[i]!;
    for (; k < end && t.at[k]! <= at; k++) {
      const cell = i * MAX_SLOTS + t.slot[k]!;
      if (this.status[cell] !== t.from[k]) throw new Error(`detection: customer ${i} document ${t.slot[k]} changed from ${STATUSES[t.from[k]!]} but was ${STATUSES[this.status[cell]!]}`);
      this.status[cell] = t.to[k]!;
      this.expiresOn[cell] = t.readable[cell] ? t.changeExpiresOn[k]! : null;
    }
    this.next[i] = k;
    return k;
  }

  /** Customer `i`'s documents as the policy reads them. */
  documents(i: number): Array<{ status: string; expiresOn: string | null }> {
    const docs = [];
    for (let s = 0; s < this.#tables.slots[i]!; s++) docs.push({ status: STATUSES[this.status[i * MAX_SLOTS + s]!]!, expiresOn: this.expiresOn[i * MAX_SLOTS + s]! });
    return docs;
  }
}
