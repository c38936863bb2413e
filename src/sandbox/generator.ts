
// The sandbox's world (SPEC §8): deterministic generated customers whose documents live a
// believable life. Each document slot goes through generations: uploaded (`underverification`),
// settled after hours or days to `verified` (mostly), `declined` or `incomplete`; a verified one
// turns `expired` on the expiry date its metadata carries; most expired or declined documents are
// uploaded again (renewed: a new expiry date, `underverification` again), some before they expire.
// Everything is a pure function of (seed, origin, customer, time): the same world for the
// sandbox, the tests and the benchmark's simulations, and the moments its statuses change.

export interface SandboxDocument {
  purpose: string;
  name: string;
  documentType: string;
  location: string;
  verificationResponse: string;
  status: string;
  metadata: Array<{ name: string; type: string; value: string }>;
}

/** Where the world stands: `origin` (ms) is the instant its documents were generated around. */
export interface World {
  seed: number;
  origin: number;
}

const PURPOSES = ['KYC', 'KYB', 'PEP&SANCTION'] as const;
const TYPES = [
  'ID front side',
  'ID back side',
  'Passport',
  'accountAuthority',
  'shareholderStructure',
  'operationAddress',
  'registeredAddress',
  'selfie',
  'livelinessDetection',
] as const;
const RESPONSES: Record<string, string> = {
  underverification: 'Awaiting review',
  verified: 'Document verified',
  declined: 'Document unreadable or does not match the customer',
  incomplete: 'Page missing',
  expired: 'Document validity date has passed',
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** 32-bit FNV-1a then a murmur finaliser: cheap, stable, well spread. */
export function hash(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = `${part}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function customerIdFor(index: number): string {
  return `cust-${String(index + 1).padStart(6, '0')}`;
}

export function customerIndex(id: string, customers: number): number | null {
  const match = /^cust-(\d{6,})$/.exec(id);
  if (!match) return null;
  const index = Number(match[1]) - 1;
  return index >= 0 && index < customers ? index : null;
}

/** One upload of a document slot and what becomes of it. */
export interface Generation {
  /** 0 for the document the world starts with; each renewal or new upload adds one. */
  number: number;
  uploadedAt: number;
  /** When review ends: `underverification` before, `outcome` from then on. */
  settledAt: number;
  outcome: 'verified' | 'declined' | 'incomplete';
  /** The expiry date its metadata carries (`YYYY-MM-DD`, UTC) and the instant that day begins. */
  expiresOn: string;
  expiresAt: number;
  /** When the next generation is uploaded; null: never (the document stays as it ends). */
  nextAt: number | null;
}

interface Slot {
  purpose: string;
  documentType: string;
  name: string;
  index: number;
}

function slots(seed: number, id: string): Slot[] {
  const count = 3 + (hash(seed, id, 'count') % 3);
  return Array.from({ length: count }, (_, i) => {
    const documentType = TYPES[hash(seed, id, i, 'type') % TYPES.length] ?? 'Passport';
    return { purpose: PURPOSES[hash(seed, id, i, 'purpose') % PURPOSES.length] ?? 'KYC', documentType, name: `${documentType} ${i + 1}`, index: i };
  });
}

const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

/** Generation `n` of slot `i`, uploaded at `uploadedAt`. */
function generation(seed: number, id: string, i: number, n: number, uploadedAt: number): Generation {
  const h = (what: string) => hash(seed, id, i, n, what);
  // Review takes 6 hours to 5 days.
  const settledAt = uploadedAt + 6 * HOUR + (h('review') % (114 * HOUR));
  const roll = h('outcome') % 100;
  const outcome = roll < 84 ? 'verified' : roll < 94 ? 'declined' : 'incomplete';
  // Valid for 45 days to 2 years from upload (shorter than most real documents, for a livelier world).
  const expiresAt = Math.floor((uploadedAt + (45 + (h('validity') % 686)) * DAY) / DAY) * DAY;
  const again = h('again') % 100;
  let nextAt: number | null = null;
  if (outcome === 'verified') {
    // 70 % are renewed: a third of those in the 25 days before they expire, the rest 1 hour to 40 days after.
    if (again < 23) nextAt = expiresAt - DAY - (h('renew') % (24 * DAY));
    else if (again < 70) nextAt = expiresAt + HOUR + (h('renew') % (40 * DAY));
  } else if (outcome === 'declined') {
    if (again < 75) nextAt = settledAt + DAY + (h('renew') % (14 * DAY));
  } else if (again < 90) {
    nextAt = settledAt + HOUR + (h('renew') % (10 * DAY));
  }
  return { number: n, uploadedAt, settledAt, outcome, expiresOn: dayOf(expiresAt), expiresAt, nextAt };
}

/**
 * The generation of slot `i` in force at `at`. The first was uploaded before the world's origin
 * (up to its validity plus 45 days before), so that at the origin documents are at every stage.
 */
function generationAt(world: World, id: string, i: number, at: number): Generation {
  const first = generation(world.seed, id, i, 0, world.origin);
  const span = first.expiresAt - world.origin + 45 * DAY;
  let g = generation(world.seed, id, i, 0, world.origin - (hash(world.seed, id, i, 'age') % Math.max(1, Math.floor(span / HOUR))) * HOUR);
  while (g.nextAt !== null && g.nextAt <= at) g = generation(world.seed, id, i, g.number + 1, g.nextAt);
  return g;
}

/** The status of a generation at `at`. */
function statusAt(g: Generation, at: number): string {
  if (at < g.settledAt) return 'underverification';
  if (g.outcome === 'verified' && at >= g.expiresAt) return 'expired';
  return g.outcome;
}

/**
 * How a document's expiry date appears in its metadata: mostly an ISO date, sometimes a
 * date-time or Unix seconds or milliseconds, now and then a format no reader should guess
 * (31/03/2027), or no expiry entry at all.
 */
function expiryMetadata(seed: number, id: string, i: number, g: Generation): Array<{ name: string; type: string; value: string }> {
  const roll = hash(seed, id, i, 'format') % 100;
  if (roll < 70) return [{ name: 'expiryDate', type: 'String', value: g.expiresOn }];
  if (roll < 80) return [{ name: 'valid_until', type: 'String', value: new Date(g.expiresAt).toISOString() }];
  if (roll < 87) return [{ name: 'Expiration Date', type: 'Number', value: String(g.expiresAt / 1000) }];
  if (roll < 92) return [{ name: 'expires', type: 'Number', value: String(g.expiresAt) }];
  if (roll < 96) return [{ name: 'expiryDate', type: 'String', value: `${g.expiresOn.slice(8, 10)}/${g.expiresOn.slice(5, 7)}/${g.expiresOn.slice(0, 4)}` }];
  return [];
}

/** The documents of generated customer `id` at `at` (ms). */
export function generatedDocuments(world: World, id: string, at: number): SandboxDocument[] {
  return slots(world.seed, id).map((slot) => {
    const g = generationAt(world, id, slot.index, at);
    const status = statusAt(g, at);
    return {
      purpose: slot.purpose,
      name: slot.name,
      documentType: slot.documentType,
      location: `https://files.sandbox.cyrexa.test/${id}/${slot.index}-${g.number}.pdf?signature=${hash(world.seed, id, slot.index, at).toString(16)}`,
      verificationResponse: RESPONSES[status] ?? '',
      status,
      metadata: [
        { name: 'pages', type: 'Number', value: String(1 + (hash(world.seed, id, slot.index, 'pages') % 4)) },
        ...expiryMetadata(world.seed, id, slot.index, g),
      ],
    };
  });
}

/** One status change of a generated document. */
export interface WorldChange {
  /** When it happened (ms). */
  at: number;
  customerId: string;
  purpose: string;
  documentType: string;
  name: string;
  from: string;
  to: string;
  /** The expiry date in the document's metadata after the change (`YYYY-MM-DD`, UTC). */
  expiresOn: string;
  /** Why: `settled`, `expired` or `renewed` (a new upload). */
  reason: 'settled' | 'expired' | 'renewed';
}

/** Every status change of customer `id`'s documents in `[from, to)`, oldest first. */
export function worldChanges(world: World, id: string, from: number, to: number): WorldChange[] {
  const changes: WorldChange[] = [];
  for (const slot of slots(world.seed, id)) {
    let g = generationAt(world, id, slot.index, from);
    const base = { customerId: id, purpose: slot.purpose, documentType: slot.documentType, name: slot.name };
    for (;;) {
      const end = g.nextAt ?? Infinity;
      const moments: Array<[number, WorldChange['reason']]> = [[g.settledAt, 'settled']];
      if (g.outcome === 'verified') moments.push([g.expiresAt, 'expired']);
      for (const [at, reason] of moments) {
        if (at >= from && at < to && at < end) changes.push({ ...base, at, from: statusAt(g, at - 1), to: statusAt(g, at), expiresOn: g.expiresOn, reason });
      }
      if (g.nextAt === null || g.nextAt >= to) break;
      const next = generation(world.seed, id, slot.index, g.number + 1, g.nextAt);
      if (g.nextAt >= from) changes.push({ ...base, at: g.nextAt, from: statusAt(g, g.nextAt), to: statusAt(next, g.nextAt), expiresOn: next.expiresOn, reason: 'renewed' });
      g = next;
    }
  }
  return changes.filter((c) => c.from !== c.to).sort((a, b) => a.at - b.at);
}

const GIVEN = ['Ada', 'Bruno', 'Chiara', 'Dmitri', 'Elif', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas', 'Keiko', 'Luca', 'Mara', 'Nils', 'Olga', 'Pavel'];
const FAMILY = ['Abara', 'Berg', 'Costa', 'Dumont', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ivanova', 'Jansen', 'Kowalski', 'Lindqvist', 'Moreau', 'Novak', 'Okafor', 'Petrov'];
const TRADE = ['Northwind', 'Bluefin', 'Copperleaf', 'Driftwood', 'Evergreen', 'Foxglove', 'Granite', 'Harbour', 'Ironbark', 'Juniper'];
const TRADE_KIND = ['Trading', 'Logistics', 'Holdings', 'Payments', 'Ventures', 'Foods'];
const FORMS = ['Ltd', 'GmbH', 'S.A.', 'B.V.', 'AB'];

export interface SandboxCustomerDetails {
  customer: {
    id: string;
    customerType: 'INDIVIDUAL' | 'ORGANIZATION';
    customerName: string;
    customerStatus: string;
    person: { fullName: string; email: string; password: string; pinCode: string };
  };
}

/**
 * A getDetailsById answer for customer `id`: a believable name (a person or a company), and,
 * as in the real API, the person's password and PIN — which a client must never keep.
 */
export function generatedDetails(seed: number, id: string, name?: string): SandboxCustomerDetails {
  const pick = <T>(list: readonly T[], what: string): T => list[hash(seed, id, what) % list.length] as T;
  const fullName = `${pick(GIVEN, 'given')} ${pick(FAMILY, 'family')}`;
  const organization = hash(seed, id, 'kind') % 3 === 0;
  const customerName = name ?? (organization ? `${pick(TRADE, 'trade')} ${pick(TRADE_KIND, 'trade-kind')} ${pick(FORMS, 'form')}` : fullName);
  return {
    customer: {
      id,
      customerType: organization ? 'ORGANIZATION' : 'INDIVIDUAL',
      customerName,
      customerStatus: 'ACTIVE',
      person: {
        fullName,
        email: `${fullName.toLowerCase().replace(/\s+/g, '.')}@example.test`,
        password: `sandbox-password-${hash(seed, id, 'password').toString(36)}`,
        pinCode: String(1000 + (hash(seed, id, 'pin') % 9000)),
      },
    },
  };
}
