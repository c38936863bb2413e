import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { SCAN_QUEUE } from '../../src/schedule/queues.js';
import type { RunningCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { PrivateRedis } from '../support/servers.js';
import { csvRows, TestSmtpServer } from '../support/smtp.js';
import { startWorker, stopWorker, until, untilMidScan, workerEnv } from '../support/worker.js';

// Fault 2: Redis restarted (without persistence) and Redis flushed in the middle of a scan.
// The worker keeps running; it must notice, register the schedule again and cover every customer.

const CUSTOMERS = Array.from({ length: 650 }, (_, i) => `r-${String(i).padStart(3, '0')}`);
let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
let redis: PrivateRedis;
let worker: RunningCli | undefined;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // Four batches (two in flight at a time), slowed down so that the scan goes on for a while.
  sandbox = await new Sandbox({ customers: 0, latencyMs: 20 }).start();
  smtp = await new TestSmtpServer().start();
  redis = await PrivateRedis.start();
});
afterAll(async () => {
  await sandbox.close();
  await smtp.close();
  await redis.stop();
});
beforeEach(async () => {
  t = await createTestDatabase();
  smtp.messages.length = 0;
  await t.db.trackedCustomer.createMany({ data: CUSTOMERS.map((customerId) => ({ customerId })) });
  for (const id of CUSTOMERS) {
    sandbox.setDocuments(id, [
      { purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}/p.pdf`, verificationResponse: 'ok', status: 'verified' },
      { purpose: 'KYB', name: 'register', documentType: 'registeredAddress', location: `/${id}/r.pdf`, verificationResponse: 'stale', status: 'expired' },
    ]);
  }
  env = workerEnv({ databaseUrl: t.url, sandboxUrl: sandbox.url, smtpUrl: smtp.url, extra: { REDIS_URL: redis.url, CHECK_CONCURRENCY: '8' } });
});
afterEach(async (ctx) => {
  if (worker && ctx.task.result?.state === 'fail') console.error(worker.output().stderr.slice(-6000));
  if (worker) expect(await stopWorker(worker), 'the worker exits 0 on SIGTERM').toBe(0);
  worker = undefined;
  await t.drop();
});

async function scheduleCount(): Promise<number> {
  const queue = new Queue(SCAN_QUEUE, { connection: { url: redis.url }, prefix: env.QUEUE_PREFIX });
  try {
    return await queue.getJobSchedulersCount();
  } finally {
    await queue.close();
  }
}

async function expectEveryCustomerCoveredOnce(): Promise<void> {
  await until('every baseline alert delivered', async () => (await t.db.alert.count({ where: { kind: 'document', status: 'sent' } })) === CUSTOMERS.length, 120_000);
  await until('a completed scan', async () => (await t.db.scan.count({ where: { status: 'completed' } })) >= 1, 60_000);
  expect(worker?.child.exitCode, 'the worker is still running').toBeNull();
  for (const id of CUSTOMERS) expect(await t.db.documentEvent.count({ where: { customerId: id } }), id).toBe(2);
  expect(await t.db.alert.count({ where: { kind: 'document' } })).toBe(CUSTOMERS.length);
  const rows = smtp.messages
    .filter((m) => m.envelope.to.includes('compliance@example.com'))
    .flatMap((m) => csvRows(m).map((r) => r.customer_id));
  expect(rows.sort()).toEqual(CUSTOMERS);
  await until('the schedule registered again', async () => (await scheduleCount()) === 1, 30_000);
}

describe('Redis lost mid-scan', { timeout: 240_000 }, () => {
  it('restarted without persistence: the worker reconnects, re-registers the schedule and completes a scan', async () => {
    worker = await startWorker(env);
    await untilMidScan(t.db, CUSTOMERS.length);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.start();
    await expectEveryCustomerCoveredOnce();
    expect(worker.output().stderr).toMatch(/Redis lost the queues/);
  });

  it('flushed: the worker notices, re-registers the schedule and rescans', async () => {
    worker = await startWorker(env);
    await untilMidScan(t.db, CUSTOMERS.length);
    await redis.flush();
    await expectEveryCustomerCoveredOnce();
    const scans = await t.db.scan.findMany({ orderBy: { startedAt: 'asc' } });
    expect(scans.map((s) => s.status)).toEqual(['failed', 'completed']);
    // The lost scan is reported to operations.
    expect(await t.db.alert.count({ where: { kind: 'ops' } })).toBe(1);
  });
});
