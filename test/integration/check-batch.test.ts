import pLimit from 'p-limit';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkBatch, type CheckDependencies } from '../../src/check/check-batch.js';
import { writeResults, writeWithFallback, type CheckResult } from '../../src/check/write-results.js';
import { CyrexaClient } from '../../src/cyrexa/client.js';
import { StaticTokenProvider } from '../../src/cyrexa/token-provider.js';
import type { ApiDocument } from '../../src/domain/documents.js';
import { diffDocuments } from '../../src/domain/status-diff.js';
import { DEFAULT_EXPIRY_METADATA_NAMES } from '../../src/domain/expiry.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { Secrets } from '../../src/secrets.js';
import { pageActiveCustomers } from '../../src/sql/page-active-customers.js';
import { CustomerStore } from '../../src/store/customers.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// Checking a batch against real Postgres and a real HTTP server: one transaction for everything
// a write records, nothing half-written, a customer the database refuses failing alone, and
// memory bounded by documents (slices of states, writes of bounded size).

let t: TestDatabase;
let customers: CustomerStore;
let sandbox: Sandbox;

beforeAll(async () => {
  t = await createTestDatabase();
  customers = new CustomerStore(t.database);
  sandbox = await new Sandbox({ customers: 0 }).start();
});
afterAll(async () => {
  await sandbox.close();
  await t.drop();
});
beforeEach(async () => {
  await t.reset();
  sandbox.clearFailures();
});

const doc = (status: string, name = 'passport') => ({ purpose: 'KYC', documentType: 'Passport', name, location: `/${name}.pdf`, status, verificationResponse: 'r' });

const isAlertStatus = (status: string) => ['expired', 'declined'].includes(status.trim().toLowerCase());

function deps(overrides: Partial<CheckDependencies> = {}): CheckDependencies {
  return {
    db: t.database,
    source: new CyrexaClient({ baseUrl: sandbox.url, tenantId: 'sandbox-tenant', tokens: new StaticTokenProvider('tok'), tokenHeader: 'tok', timeoutMs: 2_000 }),
    rules: { statuses: ['expired', 'declined'], onBaseline: true },
    expiry: { names: new Set(DEFAULT_EXPIRY_METADATA_NAMES), timeZone: 'UTC' },
    log: pino({ level: 'silent' }),
    secrets: new Secrets([]),
    limit: pLimit(4),
    leaseMs: 30_000,
    ...overrides,
  };
}

async function counts(customerId: string) {
  return {
    snapshots: await t.db.documentSnapshot.count({ where: { customerId, removedAt: null } }),
    events: await t.db.documentEvent.count({ where: { customerId } }),
    alerts: await t.db.alert.count({ where: { customerId } }),
    version: (await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId } })).snapshotVersion,
  };
}

function baseline(customerId: string, docs: ApiDocument[], alerting?: boolean[]): CheckResult {
  const diff = diffDocuments(null, docs);
  return { kind: 'changed', customerId, expectedVersion: 0, baseline: true, diff, alerting: alerting ?? diff.changes.map((c) => c.newStatus === 'expired' || c.newStatus === 'declined') };
}

async function newScan(): Promise<string> {
  const scan = await t.db.scan.create({ data: { id: crypto.randomUUID(), trigger: 'manual', status: 'running', runningSlot: 1, leaseUntil: new Date(Date.now() + 60_000), enumerated: true, batchesTotal: 1 } });
  return scan.id;
}

describe('writing what a batch found', () => {
  it('writes outcomes, snapshots, events, alerts and the scan totals in one transaction', async () => {
    await customers.add(['m1', 'm2', 'm3', 'u1', 'f1']);
    const scanId = await newScan();
    const at = new Date('2026-11-25T10:00:00.000Z');
    const results: CheckResult[] = [
      ...['m1', 'm2', 'm3'].map((id, i) => baseline(id, [doc('verified', `a-${id}`), doc(i % 2 ? 'declined' : 'expired', `b-${id}`), { ...doc('incomplete', `c-${id}`), verificationResponse: null } as ApiDocument])),
      { kind: 'unchanged', customerId: 'u1' },
      { kind: 'failed', customerId: 'f1', error: 'getDocuments answered 503', reason: 'http-503' },
    ];
    const tally = await t.database.withTransaction((c) => writeResults(c, { scanId, batchNo: 0, leaseMs: 30_000, isAlertStatus }, at, results, true));
    expect(tally).toMatchObject({ checked: 4, failed: 1, changes: 9, alerts: 3, skipped: 0, scanComplete: true });
    for (const id of ['m1', 'm2', 'm3']) expect(await counts(id)).toEqual({ snapshots: 3, events: 3, alerts: 1, version: 1 });
    for (const alert of await t.db.alert.findMany()) {
      const event = await t.db.documentEvent.findUniqueOrThrow({ where: { id: alert.eventId ?? 0n } });
      expect(event).toMatchObject({ customerId: alert.customerId, name: alert.documentName, newStatus: alert.newStatus, scanId, baseline: true });
      expect(alert).toMatchObject({ kind: 'document', status: 'pending', scanId, detectedAt: at });
    }
    const events = await t.db.documentEvent.findMany({ where: { customerId: 'm2' }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.name, e.newStatus])).toEqual([['a-m2', 'verified'], ['b-m2', 'declined'], ['c-m2', 'incomplete']]);
    expect(await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId: 'f1' } })).toMatchObject({ lastOutcome: 'failed', lastFailureReason: 'http-503', consecutiveFailures: 1, lastScanId: scanId });
    expect(await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId: 'u1' } })).toMatchObject({ lastOutcome: 'ok', lastScanId: scanId, lastCheckedAt: at });
    expect(await t.db.scan.findUniqueOrThrow({ where: { id: scanId } })).toMatchObject({ checked: 4, failed: 1, changes: 9, alerts: 3, batchesDone: 1, failureReasons: { 'http-503': 1 } });
    // The same write again (a batch run again after a crash): every customer was checked by this scan already.
    const again = await t.database.withTransaction((c) => writeResults(c, { scanId, batchNo: 0, leaseMs: 30_000, isAlertStatus }, at, results, true));
    expect(again).toMatchObject({ checked: 0, failed: 0, changes: 0, skipped: 5 });
    expect(await t.db.scan.findUniqueOrThrow({ where: { id: scanId } })).toMatchObject({ checked: 4, batchesDone: 1 });
  });

  it('a customer written by another check since its state was loaded is left out', async () => {
    await customers.add(['c3']);
    const first = baseline('c3', [doc('verified')]);
    await t.database.withTransaction((c) => writeResults(c, { scanId: null, batchNo: 0, leaseMs: 1, isAlertStatus }, new Date(), [first], false));
    const tally = await t.database.withTransaction((c) => writeResults(c, { scanId: null, batchNo: 0, leaseMs: 1, isAlertStatus }, new Date(), [first], false));
    expect(tally).toMatchObject({ checked: 0, skipped: 1 });
    expect(await counts('c3')).toEqual({ snapshots: 1, events: 1, alerts: 0, version: 1 });
  });

  it('a statement failing late leaves nothing written', async () => {
    await customers.add(['c4', 'c5']);
    const good = baseline('c4', [doc('expired')]);
    const bad = baseline('c5', [doc('declined')]);
    // The event insert fails (kind is checked by the database) after outcomes and snapshots were written.
    (bad as { diff: { changes: Array<{ kind: string }> } }).diff.changes[0]!.kind = 'nonsense';
    await expect(t.database.withTransaction((c) => writeResults(c, { scanId: null, batchNo: 0, leaseMs: 1, isAlertStatus }, new Date(), [good, bad], false))).rejects.toThrow(/check constraint/);
    expect(await counts('c4')).toEqual({ snapshots: 0, events: 0, alerts: 0, version: 0 });
  });

  it('when the database refuses one customer, the others are written and that one fails alone, with its reason', async () => {
    await customers.add(['ok-1', 'nul-1', 'ok-2']);
    const scanId = await newScan();
    // A NUL reaching the database (the API client replaces it on the way in; this bypasses that).
    const results = [baseline('ok-1', [doc('expired')]), baseline('nul-1', [doc('expired', 'na\u0000me')]), baseline('ok-2', [doc('verified')])];
    const tally = await writeWithFallback(t.database, { scanId, batchNo: 0, leaseMs: 30_000, isAlertStatus }, new Date(), results, true);
    expect(tally).toMatchObject({ checked: 2, failed: 1, changes: 2, alerts: 1, scanComplete: true });
    expect(await counts('ok-1')).toEqual({ snapshots: 1, events: 1, alerts: 1, version: 1 });
    expect(await counts('ok-2')).toEqual({ snapshots: 1, events: 1, alerts: 0, version: 1 });
    const refused = await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId: 'nul-1' } });
    expect(refused).toMatchObject({ lastOutcome: 'failed', lastFailureReason: 'unstorable', snapshotVersion: 0 });
    expect(refused.lastError).toMatch(/could not be stored.*22021|could not be stored.*0x00/);
    expect(await t.db.scan.findUniqueOrThrow({ where: { id: scanId } })).toMatchObject({ checked: 2, failed: 1, batchesDone: 1 });
  });
});

describe('checking a batch', () => {
  it('baselines, then records only real changes, and is idempotent', async () => {
    await customers.add(['k1', 'k2']);
    sandbox.setDocuments('k1', [doc('verified'), doc('expired', 'id')]);
    sandbox.setDocuments('k2', [doc('underverification')]);
    const batch = { scanId: null, batchNo: 0, customerIds: ['k1', 'k2'] };
    expect(await checkBatch(deps(), batch)).toMatchObject({ checked: 2, failed: 0, changes: 3, alerts: 1 });
    expect(await checkBatch(deps(), batch)).toMatchObject({ checked: 2, changes: 0, alerts: 0 });
    sandbox.setDocuments('k2', [doc('declined')]);
    expect(await checkBatch(deps(), batch)).toMatchObject({ checked: 2, changes: 1, alerts: 1 });
    expect(await t.db.documentEvent.count()).toBe(4);
  });

  it("reads each document's expiry date; entries that cannot be read are counted, never an error", async () => {
    await customers.add(['x1']);
    const metadata = [{ name: 'expiry', type: 'String', value: 'soon' }, { name: 'Valid To', type: 'Number', value: '1806451200000' }];
    sandbox.setDocuments('x1', [{ ...doc('verified'), metadata }, { ...doc('verified', 'id'), metadata: [{ name: 'expires', type: 'String', value: '31.03.2027' }] }]);
    const unreadable: number[] = [];
    const observer = { observeCheck: () => undefined, observeUnreadableExpiry: (n: number) => void unreadable.push(n) };
    expect(await checkBatch(deps({ observer }), { scanId: null, batchNo: 0, customerIds: ['x1'] })).toMatchObject({ checked: 1, failed: 0 });
    expect(unreadable).toEqual([2]);
    const stored = await t.db.$queryRaw<Array<{ name: string; expires_on: string | null }>>`SELECT name, expires_on::text FROM document_snapshots ORDER BY position`;
    expect(stored).toEqual([{ name: 'passport', expires_on: '2027-03-31' }, { name: 'id', expires_on: null }]);
    // Drift: counted per document and field; without a reporter nothing is queued.
    const unknown: Array<[string, number]> = [];
    sandbox.setDocuments('x1', [{ ...doc('archived'), purpose: 'AML' }, { ...doc('archived', 'id') }]);
    await checkBatch(deps({ observer: { observeCheck: () => undefined, observeUnknownValues: (field: string, n: number) => void unknown.push([field, n]) } }), { scanId: null, batchNo: 0, customerIds: ['x1'] });
    expect(unknown.sort()).toEqual([['purpose', 1], ['status', 2]]);
    expect(await t.db.alert.count({ where: { kind: 'ops' } })).toBe(0);
  });

  it('a failed fetch writes nothing but the outcome and its error', async () => {
    await customers.add(['f1']);
    sandbox.setDocuments('f1', [doc('verified')]);
    const batch = { scanId: null, batchNo: 0, customerIds: ['f1'] };
    await checkBatch(deps(), batch);
    const before = await counts('f1');
    sandbox.setDocuments('f1', [doc('expired')]);
    sandbox.failNext('f1', '404', 1);
    expect(await checkBatch(deps(), batch)).toMatchObject({ checked: 0, failed: 1, changes: 0, alerts: 0 });
    expect(await counts('f1')).toEqual(before);
    const row = await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId: 'f1' } });
    expect(row).toMatchObject({ lastOutcome: 'failed', consecutiveFailures: 1 });
    expect(row.lastError).toMatch(/404/);
    expect(await checkBatch(deps(), batch)).toMatchObject({ checked: 1, changes: 1, alerts: 1 });
  });

  it('skips customers no longer tracked and those this scan already checked; a scan no longer running checks nobody', async () => {
    await customers.add(['s1', 's2']);
    sandbox.setDocuments('s1', [doc('verified')]);
    sandbox.setDocuments('s2', [doc('verified')]);
    await customers.remove(['s2']);
    const scanId = await newScan();
    expect(await checkBatch(deps(), { scanId, batchNo: 0, customerIds: ['s1', 's2', 'never-tracked'] })).toMatchObject({ checked: 1, skipped: 2 });
    sandbox.resetStats();
    expect(await checkBatch(deps(), { scanId, batchNo: 1, customerIds: ['s1'] })).toMatchObject({ checked: 0, skipped: 1 });
    await t.db.scan.update({ where: { id: scanId }, data: { status: 'failed', runningSlot: null } });
    expect(await checkBatch(deps(), { scanId, batchNo: 2, customerIds: ['s1'] })).toBeNull();
    expect(sandbox.stats.requests).toBe(0);
  });

  it('loads states and writes results in slices bounded by documents, with the same outcome', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `d-${String(i).padStart(2, '0')}`);
    await customers.add(ids);
    for (const id of ids) sandbox.setDocuments(id, Array.from({ length: 30 }, (_, i) => doc(i === 0 ? 'expired' : 'verified', `${id}-${i}`)));
    const small = deps({ maxDocumentsLoaded: 70, maxDocumentsPerWrite: 50 });
    const batch = { scanId: null, batchNo: 0, customerIds: ids };
    const queries: string[] = [];
    const counting = { ...t.database, withClient: <T>(fn: Parameters<typeof t.database.withClient<T>>[0]) => t.database.withClient((c) => fn({ query: (text, values) => (queries.push(text), c.query(text, values)) })) };
    expect(await checkBatch({ ...small, db: counting }, batch)).toMatchObject({ checked: 12, changes: 360, alerts: 12 });
    // Baseline: nothing stored yet, so one slice; the writes were split by documents.
    for (const id of ids) sandbox.setDocuments(id, Array.from({ length: 30 }, (_, i) => doc(i === 1 ? 'declined' : 'verified', `${id}-${i}`)));
    queries.length = 0;
    expect(await checkBatch({ ...small, db: counting }, batch)).toMatchObject({ checked: 12, changes: 24, alerts: 12 });
    // 30 documents each, at most 70 loaded at once: slices of two customers.
    expect(queries.filter((q) => q.includes('document_count')).length).toBe(6);
    expect(await t.db.documentSnapshot.count({ where: { removedAt: null } })).toBe(360);
  });
});

describe('paging the tracked customers', () => {
  it('pages active ids in order', async () => {
    await customers.add(Array.from({ length: 25 }, (_, i) => `p-${String(i).padStart(2, '0')}`));
    await customers.remove(['p-03']);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await t.database.withClient((c) => pageActiveCustomers(c, after, 10));
      seen.push(...page);
      if (page.length < 10) break;
      after = page.at(-1) ?? null;
    }
    expect(seen).toHaveLength(24);
    expect(seen).not.toContain('p-03');
    expect([...seen].sort()).toEqual(seen);
  });
});

describe('expiry warnings (SPEC §11)', () => {
  const DAY = 86_400_000;
  const start = Date.parse('2026-12-01T10:00:00Z');
  const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const expiring = (status: string, expiresOn: string, name = 'passport') => ({ ...doc(status, name), metadata: [{ name: 'expiryDate', type: 'String', value: expiresOn }] });
  const warnings = async (customerId: string) =>
    (await t.db.alert.findMany({ where: { customerId, kind: 'expiring' }, orderBy: { id: 'asc' } })).map((a) => [a.documentName, a.subject, a.previousStatus, a.newStatus, a.expiresOn?.toISOString().slice(0, 10)]);
  const at = (days: number) => deps({ expiry: { names: new Set(DEFAULT_EXPIRY_METADATA_NAMES), timeZone: 'UTC', warningDays: { fallback: [30, 7], byPurpose: new Map([['KYB', [90]]]) } }, clock: () => new Date(start + days * DAY) });

  it('warns at 30 and then at 7 days, once each; a renewal re-arms; first seen 5 days before: one 7-day warning', async () => {
    await customers.add(['w1', 'w2']);
    const expiry = dayOf(start + 20 * DAY);
    sandbox.setDocuments('w1', [expiring('verified', expiry), expiring('expired', expiry, 'old-id')]);
    sandbox.setDocuments('w2', [expiring('verified', dayOf(start + 5 * DAY))]);
    const batch = { scanId: null, batchNo: 0, customerIds: ['w1', 'w2'] };
    expect(await checkBatch(at(0), batch)).toMatchObject({ checked: 2 });
    expect(await warnings('w1')).toEqual([['passport', '30', 'verified', 'expiring', expiry]]);
    expect(await warnings('w2')).toEqual([['passport', '7', 'verified', 'expiring', dayOf(start + 5 * DAY)]]);
    // Days pass: nothing until 7 days are left, then the 7-day warning, then nothing.
    for (const day of [1, 10, 12]) await checkBatch(at(day), batch);
    expect(await warnings('w1')).toHaveLength(1);
    await checkBatch(at(13), batch);
    await checkBatch(at(14), batch);
    await checkBatch(at(25), batch);
    expect((await warnings('w1')).map((w) => w[1])).toEqual(['30', '7']);
    expect(await warnings('w2')).toHaveLength(1);
    // Renewed: a new expiry date, a year ahead; warned again at 30 days before it.
    const renewed = dayOf(start + 380 * DAY);
    sandbox.setDocuments('w1', [expiring('verified', renewed), expiring('expired', expiry, 'old-id')]);
    await checkBatch(at(26), batch);
    expect(await warnings('w1')).toHaveLength(2);
    await checkBatch(at(350), batch);
    expect((await warnings('w1')).map((w) => [w[1], w[4]])).toEqual([['30', expiry], ['7', expiry], ['30', renewed]]);
    // No case, no event for a warning; the expired document raised none.
    expect(await t.db.case.count({ where: { customerId: 'w1' } })).toBe(1);
    expect(await t.db.documentEvent.count({ where: { customerId: 'w1', name: 'passport' } })).toBe(1);
  });

  it('thresholds per purpose; a document in an alert status is not warned about; none when off', async () => {
    await customers.add(['w3', 'w4']);
    sandbox.setDocuments('w3', [{ ...expiring('verified', dayOf(start + 60 * DAY)), purpose: 'KYB' }, expiring('declined', dayOf(start + 3 * DAY), 'selfie')]);
    sandbox.setDocuments('w4', [expiring('verified', dayOf(start + 3 * DAY))]);
    await checkBatch(at(0), { scanId: null, batchNo: 0, customerIds: ['w3'] });
    expect((await warnings('w3')).map((w) => [w[0], w[1]])).toEqual([['passport', '90']]);
    await checkBatch(deps(), { scanId: null, batchNo: 0, customerIds: ['w4'] });
    expect(await warnings('w4')).toEqual([]);
  });
});
