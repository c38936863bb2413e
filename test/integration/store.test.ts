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
  customers = new CustomerStore(t.db);
  results = new CheckResultStore(t.db);
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

  it('a failure half-way through leaves nothing written', async () => {
    await customers.add(['c2']);
    const diff = diffDocuments(null, [doc('expired')]);
    // An alert index with no event makes the last statement of the transaction fail.
    await expect(
      results.save({ customerId: 'c2', expectedVersion: 0, isBaseline: true, scanId: null, next: diff.next, changes: diff.changes, alerting: [0, 5], at: new Date() }),
    ).rejects.toThrow(RangeError);
    expect(await counts('c2')).toEqual({ snapshots: 0, events: 0, alerts: 0, version: 0 });
    expect((await customers.loadStates(['c2'])).get('c2')?.documents).toBeNull();
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
