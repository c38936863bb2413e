import pLimit from 'p-limit';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CyrexaClient } from '../../src/cyrexa/client.js';
import { StaticTokenProvider } from '../../src/cyrexa/token-provider.js';
import { toSnapshot } from '../../src/domain/documents.js';
import { diffDocuments } from '../../src/domain/status-diff.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { checkCustomers } from '../../src/scan/check-customers.js';
import { CheckResultStore, SnapshotConflict } from '../../src/store/check-results.js';
import { CustomerStore } from '../../src/store/customers.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// The store against real Postgres: one transaction per check, nothing half-written.

let t: TestDatabase;
let customers: CustomerStore;
let results: CheckResultStore;
let sandbox: Sandbox;

beforeAll(async () => {
  t = await createTestDatabase();
  customers = new CustomerStore(t.database);
  results = new CheckResultStore(t.database);
  sandbox = await new Sandbox({ customers: 0 }).start();
});
afterAll(async () => {
  await sandbox.close();
  await t.drop();
});
beforeEach(async () => {
  await t.db.alert.deleteMany();
  await t.db.documentEvent.deleteMany();
  await t.db.trackedCustomer.deleteMany();
});

const doc = (status: string, name = 'passport') => ({ purpose: 'KYC', documentType: 'Passport', name, location: `/${name}.pdf`, status, verificationResponse: 'r' });

async function counts(customerId: string) {
  return {
    snapshots: await t.db.documentSnapshot.count({ where: { customerId } }),
    events: await t.db.documentEvent.count({ where: { customerId } }),
    alerts: await t.db.alert.count({ where: { customerId } }),
    version: (await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId } })).snapshotVersion,
  };
}

describe('CheckResultStore', () => {
  it('writes snapshots, events and alerts together', async () => {
    await customers.add(['c1']);
    const diff = diffDocuments(null, [doc('verified'), doc('expired', 'id')]);
    await results.save({ customerId: 'c1', expectedVersion: 0, isBaseline: true, scanId: null, next: diff.next, changes: diff.changes, alerting: [1], at: new Date() });
    expect(await counts('c1')).toEqual({ snapshots: 2, events: 2, alerts: 1, version: 1 });
    const alert = await t.db.alert.findFirstOrThrow({ where: { customerId: 'c1' } });
    const event = await t.db.documentEvent.findUniqueOrThrow({ where: { id: alert.eventId ?? 0n } });
    expect(event).toMatchObject({ kind: 'appeared', newStatus: 'expired', name: 'id', baseline: true });
    const states = await customers.loadStates(['c1']);
    expect(states.get('c1')?.documents?.map((d) => d.status)).toEqual(['verified', 'expired']);
  });

  it('refuses an alert index with no change before writing anything', async () => {
    await customers.add(['c2']);
    const diff = diffDocuments(null, [doc('expired')]);
    await expect(
      results.save({ customerId: 'c2', expectedVersion: 0, isBaseline: true, scanId: null, next: diff.next, changes: diff.changes, alerting: [0, 5], at: new Date() }),
    ).rejects.toThrow(RangeError);
    expect(await counts('c2')).toEqual({ snapshots: 0, events: 0, alerts: 0, version: 0 });
    expect((await customers.loadStates(['c2'])).get('c2')?.documents).toBeNull();
  });

  it('a statement failing late in the transaction leaves nothing written', async () => {
    await customers.add(['c4', 'c5']);
    const first = diffDocuments(null, [doc('verified')]);
    await results.save({ customerId: 'c4', expectedVersion: 0, isBaseline: true, scanId: null, next: first.next, changes: first.changes, alerting: [], at: new Date() });
    const before = { c4: await counts('c4'), c5: await counts('c5') };
    const change = diffDocuments({ documents: first.next, removed: first.removed, emptyPending: first.emptyPending }, [doc('expired')]);
    const baseline = diffDocuments(null, [doc('declined')]);
    // The claim, the snapshot delete and insert succeed; the event insert fails (kind is VARCHAR(16)).
    const broken = { ...baseline.changes[0]!, kind: 'k'.repeat(40) } as unknown as (typeof baseline.changes)[number];
    await expect(
      results.saveMany([
        { customerId: 'c4', expectedVersion: 1, isBaseline: false, scanId: null, next: change.next, changes: change.changes, alerting: [0], at: new Date() },
        { customerId: 'c5', expectedVersion: 0, isBaseline: true, scanId: null, next: baseline.next, changes: [broken], alerting: [0], at: new Date() },
      ]),
    ).rejects.toThrow(/too long|value/);
    expect({ c4: await counts('c4'), c5: await counts('c5') }).toEqual(before);
    expect((await customers.loadStates(['c4'])).get('c4')?.documents?.map((d) => d.status)).toEqual(['verified']);
  });

  it('writes many customers at once: a conflicting one is left out, every alert names its own event', async () => {
    const ids = ['m1', 'm2', 'm3', 'm4'];
    await customers.add(ids);
    const scanId = '00000000-0000-4000-8000-000000000001';
    const at = new Date('2026-11-25T10:00:00.000Z');
    const writes = ids.map((id, i) => {
      const diff = diffDocuments(null, [doc('verified', `a-${id}`), doc(i % 2 ? 'declined' : 'expired', `b-${id}`), { ...doc('incomplete', `c-${id}`), verificationResponse: null }]);
      return { customerId: id, expectedVersion: 0, isBaseline: true, scanId, next: diff.next, changes: diff.changes, alerting: [1], at };
    });
    // m3 was written by another check after our diff: its write is a conflict.
    await results.save({ ...writes[2]!, changes: [], alerting: [] });
    const { conflicts } = await results.saveMany(writes);
    expect(conflicts).toEqual(['m3']);
    for (const id of ['m1', 'm2', 'm4']) expect(await counts(id)).toEqual({ snapshots: 3, events: 3, alerts: 1, version: 1 });
    expect(await counts('m3')).toEqual({ snapshots: 3, events: 0, alerts: 0, version: 1 });
    for (const alert of await t.db.alert.findMany()) {
      const event = await t.db.documentEvent.findUniqueOrThrow({ where: { id: alert.eventId ?? 0n } });
      expect(event).toMatchObject({ customerId: alert.customerId, name: alert.documentName, newStatus: alert.newStatus, scanId, baseline: true });
      expect(event.name).toBe(`b-${alert.customerId}`);
      expect(alert).toMatchObject({ kind: 'document', status: 'pending', scanId, detectedAt: at });
    }
    // Events of one customer keep the order of its documents.
    const events = await t.db.documentEvent.findMany({ where: { customerId: 'm2' }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.name, e.newStatus, e.verificationResponse])).toEqual([
      ['a-m2', 'verified', 'r'],
      ['b-m2', 'declined', 'r'],
      ['c-m2', 'incomplete', null],
    ]);
    const row = await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId: 'm1' } });
    expect(row).toMatchObject({ lastScanId: scanId, lastOutcome: 'ok', baselineAt: at, lastCheckedAt: at, consecutiveFailures: 0 });
  });

  it('refuses a write computed from an outdated snapshot', async () => {
    await customers.add(['c3']);
    const diff = diffDocuments(null, [doc('verified')]);
    const write = { customerId: 'c3', expectedVersion: 0, isBaseline: true, scanId: null, next: diff.next, changes: diff.changes, alerting: [], at: new Date() };
    await results.save(write);
    await expect(results.save(write)).rejects.toBeInstanceOf(SnapshotConflict);
    expect(await counts('c3')).toEqual({ snapshots: 1, events: 1, alerts: 0, version: 1 });
  });
});

describe('checkCustomers', () => {
  const deps = () => ({
    source: new CyrexaClient({ baseUrl: sandbox.url, tenantId: 'sandbox-tenant', tokens: new StaticTokenProvider('tok'), tokenHeader: 'tok', timeoutMs: 2_000, maxAttempts: 1 }),
    customers,
    results,
    rules: { statuses: ['expired', 'declined'], onBaseline: true },
    log: pino({ level: 'silent' }),
    limit: pLimit(4),
  });

  it('baselines, then records only real changes, and is idempotent', async () => {
    await customers.add(['k1', 'k2']);
    sandbox.setDocuments('k1', [doc('verified'), doc('expired', 'id')]);
    sandbox.setDocuments('k2', [doc('underverification')]);
    expect(await checkCustomers(deps(), ['k1', 'k2'], null)).toMatchObject({ checked: 2, failed: 0, changes: 3, alerts: 1 });
    expect(await checkCustomers(deps(), ['k1', 'k2'], null)).toMatchObject({ checked: 2, changes: 0, alerts: 0 });
    sandbox.setDocuments('k2', [doc('declined')]);
    expect(await checkCustomers(deps(), ['k1', 'k2'], null)).toMatchObject({ checked: 2, changes: 1, alerts: 1 });
    expect(await t.db.documentEvent.count()).toBe(4);
  });

  it('a failed fetch writes nothing but the last error', async () => {
    await customers.add(['f1']);
    sandbox.setDocuments('f1', [doc('verified')]);
    await checkCustomers(deps(), ['f1'], null);
    const before = await counts('f1');
    sandbox.setDocuments('f1', [doc('expired')]);
    sandbox.failNext('f1', '500', 1);
    expect(await checkCustomers(deps(), ['f1'], null)).toMatchObject({ checked: 0, failed: 1, changes: 0, alerts: 0 });
    expect(await counts('f1')).toEqual(before);
    const row = await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId: 'f1' } });
    expect(row).toMatchObject({ lastOutcome: 'failed', consecutiveFailures: 1 });
    expect(row.lastError).toMatch(/500/);
    // Back to normal: the change is found then.
    expect(await checkCustomers(deps(), ['f1'], null)).toMatchObject({ checked: 1, changes: 1, alerts: 1 });
  });

  it('skips customers no longer tracked and those this scan already checked', async () => {
    await customers.add(['s1', 's2']);
    sandbox.setDocuments('s1', [doc('verified')]);
    sandbox.setDocuments('s2', [doc('verified')]);
    await customers.remove(['s2']);
    const scanId = '00000000-0000-4000-8000-000000000001';
    expect(await checkCustomers(deps(), ['s1', 's2'], scanId)).toMatchObject({ checked: 1, skipped: 1 });
    sandbox.resetStats();
    expect(await checkCustomers(deps(), ['s1'], scanId)).toMatchObject({ checked: 0, skipped: 1 });
    expect(sandbox.stats.requests).toBe(0);
  });
});

describe('CustomerStore paging', () => {
  it('pages active ids in order without loading all', async () => {
    await customers.add(Array.from({ length: 25 }, (_, i) => `p-${String(i).padStart(2, '0')}`));
    await customers.remove(['p-03']);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await customers.pageActiveIds(after, 10);
      seen.push(...page);
      if (page.length < 10) break;
      after = page.at(-1) ?? null;
    }
    expect(seen).toHaveLength(24);
    expect(seen).not.toContain('p-03');
    expect([...seen].sort()).toEqual(seen);
  });

  it('keeps snapshots when a customer is removed and re-added', async () => {
    await customers.add(['r1']);
    const diff = diffDocuments(null, [doc('verified')]);
    await results.save({ customerId: 'r1', expectedVersion: 0, isBaseline: true, scanId: null, next: diff.next, changes: diff.changes, alerting: [], at: new Date() });
    await customers.remove(['r1']);
    expect(await customers.add(['r1'])).toBe(1);
    expect((await customers.loadStates(['r1'])).get('r1')?.documents).toEqual([toSnapshot(doc('verified'), 0)]);
  });
});
