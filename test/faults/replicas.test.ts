import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import type { RunningCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { csvRows, TestSmtpServer } from '../support/smtp.js';
import { startWorker, stopWorker, until, workerEnv } from '../support/worker.js';

// Fault 6: two replicas of the worker on one schedule, one database and one Redis. Every
// tick gives at most one scan, every customer is checked once per scan, no alert goes twice.

const CUSTOMERS = Array.from({ length: 300 }, (_, i) => `two-${String(i).padStart(3, '0')}`);
const EXPIRED = new Set(CUSTOMERS.filter((_, i) => i % 10 === 0));
let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
const requests: Array<{ id: string; at: number }> = [];

beforeAll(async () => {
  sandbox = await new Sandbox({ customers: 0, latencyMs: 10 }).start();
  sandbox.onDocumentsRequest = (id) => requests.push({ id, at: Date.now() });
  smtp = await new TestSmtpServer().start();
  t = await createTestDatabase();
  await t.db.trackedCustomer.createMany({ data: CUSTOMERS.map((customerId) => ({ customerId })) });
  for (const id of CUSTOMERS) {
    sandbox.setDocuments(id, [
      { purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}/p.pdf`, verificationResponse: 'ok', status: EXPIRED.has(id) ? 'expired' : 'verified' },
    ]);
  }
});
afterAll(async () => {
  await sandbox.close();
  await smtp.close();
  await t.drop();
});

describe('two replicas at once', { timeout: 240_000 }, () => {
  it('one scan per tick, each customer checked once per scan, each alert sent once', async () => {
    const env = workerEnv({ databaseUrl: t.url, sandboxUrl: sandbox.url, smtpUrl: smtp.url, extra: { SCAN_EVERY_SECONDS: '4', CHECK_CONCURRENCY: '8' } });
    const workers: RunningCli[] = await Promise.all([startWorker(env), startWorker(env)]);
    try {
      await until('three completed scans', async () => (await t.db.scan.count({ where: { status: 'completed' } })) >= 3, 120_000);
      await until('the alerts delivered', async () => (await t.db.alert.count({ where: { kind: 'document', status: 'sent' } })) === EXPIRED.size, 60_000);
    } finally {
      for (const code of await Promise.all(workers.map(stopWorker))) expect(code).toBe(0);
    }
    const scans = await t.db.scan.findMany({ orderBy: { startedAt: 'asc' } });
    const completed = scans.filter((s) => s.status === 'completed');
    expect(scans.filter((s) => s.status === 'failed' || s.status === 'interrupted')).toEqual([]);
    // One scan at a time: each starts after the previous one finished.
    for (let i = 1; i < scans.length; i++) expect(scans[i]?.startedAt.getTime()).toBeGreaterThanOrEqual(scans[i - 1]?.finishedAt?.getTime() ?? Infinity);
    // Each completed scan asked for each customer exactly once.
    for (const scan of completed) {
      const start = scan.startedAt.getTime();
      const end = scan.finishedAt?.getTime() ?? 0;
      const asked = requests.filter((r) => r.at >= start && r.at <= end).map((r) => r.id);
      expect(asked.length, `requests in scan ${scan.id}`).toBe(CUSTOMERS.length);
      expect(new Set(asked).size).toBe(CUSTOMERS.length);
      expect(scan).toMatchObject({ customers: CUSTOMERS.length, checked: CUSTOMERS.length, failed: 0 });
    }
    // Baseline events once, however many replicas and scans.
    expect(await t.db.documentEvent.count()).toBe(CUSTOMERS.length);
    expect(await t.db.alert.count({ where: { kind: 'document' } })).toBe(EXPIRED.size);
    const rows = smtp.messages.flatMap((m) => csvRows(m).map((r) => r.customer_id));
    expect(rows.sort()).toEqual([...EXPIRED].sort());
    // Which replica takes which job is up to BullMQ; both ran the whole time (exit 0 above).
  });
});
