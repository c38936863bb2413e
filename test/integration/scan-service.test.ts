import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import { App } from '../../src/app.js';
import { ALL_SECTIONS, parseConfig } from '../../src/config.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { runScanInProcess } from '../../src/scan/run-scan.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';

// Whole scans through the composition root: totals, operations alerts, paging over batches.

let t: TestDatabase;
let sandbox: Sandbox;
let app: App;

beforeAll(async () => {
  t = await createTestDatabase();
  sandbox = await new Sandbox({ tenantId: 'tenant', accessToken: 'tok-1234', customers: 0 }).start();
  const config = parseConfig(
    {
      DATABASE_URL: t.url,
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: testQueuePrefix(),
      CYREXA_BASE_URL: sandbox.url,
      CYREXA_TENANT_ID: 'tenant',
      CYREXA_ACCESS_TOKEN: 'tok-1234',
      CYREXA_MAX_RPS: '1000',
      ALERT_TO: 'c@example.com',
    },
    ALL_SECTIONS,
  );
  app = new App(config, pino({ level: 'silent' }));
});
afterAll(async () => {
  await app.close();
  await sandbox.close();
  await t.drop();
});
beforeEach(() => sandbox.clearFailures());

const doc = (status: string) => [{ purpose: 'KYC', name: 'p', documentType: 'Passport', location: '/p', verificationResponse: '', status, metadata: [] }];

describe('scans', () => {
  it('pages over several batches and totals the scan', async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `b-${String(i).padStart(3, '0')}`);
    await app.customers.add(ids);
    for (const id of ids) sandbox.setDocuments(id, doc(id === 'b-007' ? 'expired' : 'verified'));
    const result = await runScanInProcess(app.scanService);
    expect(result.kind).toBe('finished');
    if (result.kind !== 'finished') return;
    expect(result.summary).toMatchObject({ status: 'completed', customers: 450, checked: 450, failed: 0, changes: 450, alerts: 1 });
    const scan = await t.db.scan.findUniqueOrThrow({ where: { id: result.summary.scanId } });
    expect(scan).toMatchObject({ batchesTotal: 3, batchesDone: 3, enumerated: true, trigger: 'manual' });
    await app.customers.remove(ids);
  });

  it('a customer failing three scans in a row raises one operations alert', async () => {
    await app.customers.add(['gone-1']);
    for (let i = 0; i < 4; i++) {
      const result = await runScanInProcess(app.scanService);
      expect(result.kind === 'finished' && result.summary.failed).toBe(1);
    }
    const ops = await t.db.alert.findMany({ where: { kind: 'ops', subject: { contains: 'three scans' } } });
    expect(ops).toHaveLength(1);
    expect(ops[0]?.body).toContain('gone-1');
    await app.customers.remove(['gone-1']);
  });

  it('rejected credentials stop the scan with one operations alert per incident', async () => {
    await app.customers.add(['a-1', 'a-2', 'a-3']);
    for (const id of ['a-1', 'a-2', 'a-3']) sandbox.setDocuments(id, doc('verified'));
    sandbox.failNext(null, '401', 1000);
    for (let i = 0; i < 2; i++) {
      const result = await runScanInProcess(app.scanService);
      expect(result.kind === 'finished' && result.summary.status).toBe('failed');
    }
    expect(await t.db.alert.count({ where: { kind: 'ops', subject: { contains: 'rejected the API credentials' } } })).toBe(1);
    expect(await t.db.documentEvent.count({ where: { customerId: { in: ['a-1', 'a-2', 'a-3'] } } })).toBe(0);
    sandbox.clearFailures();
    const ok = await runScanInProcess(app.scanService);
    expect(ok.kind === 'finished' && ok.summary).toMatchObject({ status: 'completed', checked: 3 });
    // A new incident after a good scan is reported again.
    sandbox.failNext(null, '401', 1000);
    await runScanInProcess(app.scanService);
    expect(await t.db.alert.count({ where: { kind: 'ops', subject: { contains: 'rejected the API credentials' } } })).toBe(2);
  });

  it('a scan that stopped making progress is abandoned with an operations alert', async () => {
    const started = await app.scanService.start('manual', null);
    if (started.kind !== 'started') throw new Error(`unexpected ${started.kind}`);
    await t.db.scan.update({ where: { id: started.scan.id }, data: { heartbeatAt: new Date(Date.now() - 10 * 60_000) } });
    const next = await app.scanService.start('schedule', 'tick-after-stale');
    expect(next.kind).toBe('started');
    expect(await t.db.scan.findUniqueOrThrow({ where: { id: started.scan.id } })).toMatchObject({ status: 'abandoned' });
    const ops = await t.db.alert.findFirstOrThrow({ where: { kind: 'ops', dedupeKey: `scan-incomplete:${started.scan.id}` } });
    expect(ops.subject).toBe('kyc-monitor: a scan could not complete');
    if (next.kind === 'started') await app.scans.finish(next.scan.id, 'failed', 'test');
  });

  it('a second scan started while one runs is skipped', async () => {
    const first = await app.scanService.start('manual', null);
    expect(first.kind).toBe('started');
    expect(await app.scanService.start('schedule', 'tick-1')).toMatchObject({ kind: 'skipped' });
    if (first.kind === 'started') await app.scans.finish(first.scan.id, 'failed', 'test');
    const again = await app.scanService.start('schedule', 'tick-2');
    expect(again.kind).toBe('started');
    // The same tick delivered twice resumes its scan instead of starting another.
    expect(await app.scanService.start('schedule', 'tick-2')).toMatchObject({ kind: 'resumed' });
    if (again.kind === 'started') await app.scans.finish(again.scan.id, 'failed', 'test');
    expect(await app.scanService.start('schedule', 'tick-2')).toMatchObject({ kind: 'finished' });
  });
});
