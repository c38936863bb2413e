// The sandbox's world for the time-to-alert simulation (bench/parts/detection.ts), as flat
// tables: each customer's documents at the origin (status, and the expiry date the monitor reads
// from the metadata) and every status change over the simulated period, computed once. A
// simulated check then brings a customer's documents up to its time by applying its changes,
// instead of generating them again.
import { nextDue, type CheckPolicy, type Due, type PolicyDocument } from '../dist/domain/check-policy.js';
import { DEFAULT_EXPIRY_METADATA_NAMES, readExpiry } from '../dist/domain/expiry.js';
import { customerIdFor, generatedDocuments, worldChanges, type World } from '../dist/sandbox/generator.js';
import { DocumentStates, MAX_SLOTS, STATUSES, type WorldTables } from './document-states.ts';

const STATUS_CODES = new Map<string, number>(STATUSES.map((s, i) => [s, i]));
const EXPIRY_NAMES = new Set<string>(DEFAULT_EXPIRY_METADATA_NAMES);

function statusCode(status: string, where: string): number {
  const code = STATUS_CODES.get(status);
  if (code === undefined) throw new Error(`detection: unknown status "${status}" (${where})`);
  return code;
}

/**
 * The first `customers` generated customers of `world`: their documents at `start` (the world's
 * origin unless given) and their changes after it, up to `to` (excluded). A change at `start`
 * itself is already in the documents at `start` (an expiry at midnight, when `start` is a midnight).
 */
export function worldTables(world: World, customers: number, to: number, start = world.origin): WorldTables {
  const slots = new Uint8Array(customers);
  const status = new Uint8Array(customers * MAX_SLOTS);
  const expiresOn = new Array<string | null>(customers * MAX_SLOTS).fill(null);
  const readable = new Uint8Array(customers * MAX_SLOTS);
  const first = new Int32Array(customers + 1);
  const at: number[] = [];
  const slot: number[] = [];
  const from: number[] = [];
  const toStatus: number[] = [];
  const changeExpiresOn: string[] = [];
  for (let i = 0; i < customers; i++) {
    const id = customerIdFor(i);
    const documents = generatedDocuments(world, id, start);
    if (documents.length > MAX_SLOTS) throw new Error(`detection: ${id} has ${documents.length} documents, more than ${MAX_SLOTS}`);
    slots[i] = documents.length;
    const slotOf = new Map<string, number>();
    documents.forEach((doc, s) => {
      slotOf.set(doc.name, s);
      status[i * MAX_SLOTS + s] = statusCode(doc.status, id);
      const read = readExpiry(doc.metadata, EXPIRY_NAMES, 'UTC').expiresOn;
      expiresOn[i * MAX_SLOTS + s] = read;
      readable[i * MAX_SLOTS + s] = read === null ? 0 : 1;
    });
    first[i] = at.length;
    for (const change of worldChanges(world, id, start + 1, to)) {
      const s = slotOf.get(change.name);
      if (s === undefined) throw new Error(`detection: ${id} changed "${change.name}", which it does not have`);
      at.push(change.at);
      slot.push(s);
      from.push(statusCode(change.from, id));
      toStatus.push(statusCode(change.to, id));
      changeExpiresOn.push(change.expiresOn);
    }
  }
  first[customers] = at.length;
  return {
    customers,
    slots,
    status,
    expiresOn,
    readable,
    first,
    at: Float64Array.from(at),
    slot: Uint8Array.from(slot),
    from: Uint8Array.from(from),
    to: Uint8Array.from(toStatus),
    changeExpiresOn,
  };
}


/**
 * Fails unless the first `sample` customers' documents, brought up to `at` through the tables,
 * are the world's documents at `at` as the monitor reads them (status and expiry date): the
 * simulation's shortcut checked against the generator itself.
 */
export function verifyStates(world: World, tables: WorldTables, at: number, sample: number): void {
  const states = new DocumentStates(tables);
  for (let i = 0; i < Math.min(sample, tables.customers); i++) {
    states.advance(i, at);
    const id = customerIdFor(i);
    const seen = states.documents(i);
    const actual = generatedDocuments(world, id, at).map((doc) => ({ status: doc.status, expiresOn: readExpiry(doc.metadata, EXPIRY_NAMES, 'UTC').expiresOn }));
    if (JSON.stringify(seen) !== JSON.stringify(actual)) throw new Error(`detection: ${id} at ${new Date(at).toISOString()}: the tables say ${JSON.stringify(seen)}, the world ${JSON.stringify(actual)}`);
  }
}

/**
 * Customer `i` of `n` as a monitor running the policy for long would have left it at `origin`:
 * its previous check lies evenly within its own interval before the origin (the policy's wait for
 * what it saw), and it is due when that check made it due. The start then holds no backlog a
 * running monitor would not have — neither routine checks in a burst nor watched customers all
 * overdue at once. The simulation starts from it, and the real run seeds its database with it.
 */
export function steadyState(documents: readonly PolicyDocument[], i: number, n: number, origin: number, rules: CheckPolicy): { last: number; due: Due } {
  const interval = nextDue(documents, origin, rules).at - origin;
  const last = origin - (interval * ((i * 7919) % n)) / n;
  return { last, due: nextDue(documents, last, rules) };
}
