import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runScanInProcess } from '../../src/scan/run-in-process.js';
import { startTestApp, type TestApp } from '../support/app.js';
import type { TestDatabase } from '../support/db.js';

// The scan lifecycle through the composition root: one running scan decided by the database,
// totals, operations alerts per incident, leases, paging over batches.

let t: TestDatabase;
let sandbox: Sandbox;
let app: App;
let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
  ({ t, sandbox, app } = testApp);
});
afterAll(() => testApp.close());
beforeEach(() => sandbox.clearFailures());

const doc = (status: string) => [{ purpose: 'KYC', name: 'p', documentType: 'Passport', location: '/p', verificationResponse: '', status, metadata: [] }];

describe('scans', () => {
  it('pages over several batches and totals the scan', async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `b-${String(i).padStart(3, '0')}`);
    await app.customers.add(ids);
    for (const id of ids) sandbox.setDocuments(id, doc(id === 'b-007' ? 'expired' : 'verified'));
    const result = await runScanInProcess(app.lifecycle);
    expect(result.kind).toBe('finished');
    if (result.kind !== 'finished') return;
    expect(result.summary).toMatchObject({ status: 'completed', customers: 450, checked: 450, failed: 0, changes: 450, alerts: 1 });
    const scan = await t.db.scan.findUniqueOrThrow({ where: { id: result.summary.scanId } });
    expect(scan).toMatchObject({ batchesTotal: 3, batchesDone: 3, enumerated: true, trigger: 'manual' });
    await app.customers.remove(ids);
  });


  it('rejected credentials stop the scan with one operations alert per incident', async () => {
    await app.customers.add(['a-1', 'a-2', 'a-3']);
    for (const id of ['a-1', 'a-2', 'a-3']) sandbox.setDocuments(id, doc('verified'));
    sandbox.failNext(null, '401', 1000);
    for (let i = 0; i < 2; i++) {
      const result = await runScanInProcess(app.lifecycle);
      expect(result.kind === 'finished' && result.summary.status).toBe('failed');
    }
    expect(await t.db.alert.count({ where: { kind: 'ops', subject: { contains: 'rejected the API credentials' } } })).toBe(1);
    expect(await t.db.documentEvent.count({ where: { customerId: { in: ['a-1', 'a-2', 'a-3'] } } })).toBe(0);
    sandbox.clearFailures();
    const ok = await runScanInProcess(app.lifecycle);
    expect(ok.kind === 'finished' && ok.summary).toMatchObject({ status: 'completed', checked: 3 });
    // A new incident after a good scan is reported again.
    sandbox.failNext(null, '401', 1000);
    await runScanInProcess(app.lifecycle);
    expect(await t.db.alert.count({ where: { kind: 'ops', subject: { contains: 'rejected the API credentials' } } })).toBe(2);
  });

  it('a scan whose lease ran out is abandoned with one operations alert, and a new one starts', async () => {
    const started = await app.lifecycle.start('manual', null);
    if (started.kind !== 'started') throw new Error(`unexpected ${started.kind}`);
    await t.db.scan.update({ where: { id: started.scan.id }, data: { leaseUntil: new Date(Date.now() - 1000) } });
    const next = await app.lifecycle.start('schedule', 'tick-after-stale');
    expect(next.kind).toBe('started');
    expect(await t.db.scan.findUniqueOrThrow({ where: { id: started.scan.id } })).toMatchObject({ status: 'interrupted', runningSlot: null });
    const ops = await t.db.alert.findMany({ where: { kind: 'ops', subject: 'kyc-monitor: a scan could not complete' } });
    expect(ops).toHaveLength(1);
    if (next.kind === 'started') await app.lifecycle.fail(next.scan.id, new Error('test'));
  });

  it('a continuous-mode tick also abandons a scan whose lease ran out, and starts', async () => {
    const started = await app.lifecycle.start('manual', null);
    if (started.kind !== 'started') throw new Error(`unexpected ${started.kind}`);
    await t.db.scan.update({ where: { id: started.scan.id }, data: { leaseUntil: new Date(Date.now() - 1000) } });
    await app.customers.add(['tick-due']);
    const tick = await app.lifecycle.startTick('tick-after-lapsed', 10);
    expect(tick.kind).toBe('started');
    expect(await t.db.scan.findUniqueOrThrow({ where: { id: started.scan.id } })).toMatchObject({ status: 'interrupted', runningSlot: null });
    if (tick.kind === 'started') await app.lifecycle.fail(tick.scan.id, new Error('test'));
  });

  it('one running scan, whoever starts at the same moment: the database decides', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => app.lifecycle.start(i % 2 ? 'manual' : 'schedule', i % 2 ? null : `race-${i}`)));
    expect(results.filter((r) => r.kind === 'started')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'busy')).toHaveLength(9);
    expect(await t.db.scan.count({ where: { status: 'running' } })).toBe(1);
    const winner = results.find((r) => r.kind === 'started');
    if (winner?.kind === 'started') await app.lifecycle.interrupt(winner.scan.id);
  });

  it('a second scan started while one runs is refused; the same tick twice resumes, then finds it ended', async () => {
    const first = await app.lifecycle.start('manual', null);
    expect(first.kind).toBe('started');
    expect(await app.lifecycle.start('schedule', 'tick-1')).toMatchObject({ kind: 'busy' });
    if (first.kind === 'started') await app.lifecycle.interrupt(first.scan.id);
    const again = await app.lifecycle.start('schedule', 'tick-2');
    expect(again.kind).toBe('started');
    expect(await app.lifecycle.start('schedule', 'tick-2')).toMatchObject({ kind: 'resumed' });
    if (again.kind === 'started') await app.lifecycle.fail(again.scan.id, new Error('test'));
    expect(await app.lifecycle.start('schedule', 'tick-2')).toMatchObject({ kind: 'ended' });
  });
});
