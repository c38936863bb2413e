import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { prismaClient } from '../support/prisma.js';
import { dropDatabase, migrate } from '../../src/store/migrations.js';
import { runCli, type RunningCli } from '../support/cli.js';
import { PrivatePostgres } from '../support/servers.js';
import { csvRows, TestSmtpServer } from '../support/smtp.js';
import { startWorker, stopWorker, until, untilMidScan, workerEnv } from '../support/worker.js';

// Fault 3: Postgres stopped for 30 s in the middle of a scan, and the worker's connections
// killed with pg_terminate_backend. A private server: the shared one serves the other tests.

const CUSTOMERS = Array.from({ length: 450 }, (_, i) => `p-${String(i).padStart(3, '0')}`);
let server: PrivatePostgres;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
let url: string;
let db: PrismaClient;
let worker: RunningCli | undefined;
let env: NodeJS.ProcessEnv;
let n = 0;

beforeAll(async () => {
  server = await PrivatePostgres.start();
  sandbox = await new Sandbox({ customers: 0, latencyMs: 20 }).start();
  smtp = await new TestSmtpServer().start();
});
afterAll(async () => {
  await sandbox.close();
  await smtp.close();
  await server.destroy();
});
beforeEach(async () => {
  const u = new URL(server.url);
  u.pathname = `/kyc_fault_${++n}`;
  url = u.toString();
  await migrate(url);
  db = prismaClient(url);
  await db.trackedCustomer.createMany({ data: CUSTOMERS.map((customerId) => ({ customerId })) });
  for (const id of CUSTOMERS) {
    sandbox.setDocuments(id, [
      { purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}/p.pdf`, verificationResponse: 'ok', status: 'verified' },
      { purpose: 'KYC', name: 'selfie', documentType: 'selfie', location: `/${id}/s.jpg`, verificationResponse: 'no match', status: 'declined' },
    ]);
  }
  smtp.messages.length = 0;
  // A failed batch is retried every third of the scan lease, 8 times: with a 15 s lease that
  // rides out the outage below (and the server's restart) with room to spare.
  env = workerEnv({ databaseUrl: url, sandboxUrl: sandbox.url, smtpUrl: smtp.url, extra: { CHECK_CONCURRENCY: '8', SCAN_LEASE_SECONDS: '15' } });
});
afterEach(async (ctx) => {
  if (worker && ctx.task.result?.state === 'fail') console.error(worker.output().stderr.slice(-6000));
  if (worker) expect(await stopWorker(worker), 'the worker exits 0 on SIGTERM').toBe(0);
  worker = undefined;
  await db.$disconnect();
  await dropDatabase(url);
});

async function expectScanCompletedOnce(): Promise<void> {
  await until('every alert delivered', async () => (await db.alert.count({ where: { kind: 'document', status: 'sent' } })) === CUSTOMERS.length, 150_000);
  await until('a completed scan', async () => (await db.scan.count({ where: { status: 'completed' } })) >= 1, 60_000);
  expect(worker?.child.exitCode, 'the worker is still running').toBeNull();
  // Nothing half-written, nothing twice: two `appeared` events and one alert per customer.
  const events = await db.documentEvent.groupBy({ by: ['customerId'], _count: true });
  expect(events).toHaveLength(CUSTOMERS.length);
  expect(events.every((e) => e._count === 2)).toBe(true);
  expect(await db.documentSnapshot.count()).toBe(2 * CUSTOMERS.length);
  expect(await db.alert.count({ where: { kind: 'document' } })).toBe(CUSTOMERS.length);
  const rows = smtp.messages
    .filter((m) => m.envelope.to.includes('compliance@example.com'))
    .flatMap((m) => csvRows(m).map((r) => r.customer_id));
  expect(rows.sort()).toEqual(CUSTOMERS);
}

describe('Postgres faults mid-scan', { timeout: 300_000 }, () => {
  it('stopped for a while: no crash, nothing half-written, the scan resumes when it is back', async () => {
    worker = await startWorker(env);
    await untilMidScan(db, CUSTOMERS.length);
    await db.$disconnect();
    await server.stop();
    // Down until the worker has met the outage (a batch job or a lease renewal failed on it).
    await worker.waitForOutput(/job failed|background task failed|could not renew/);
    expect(worker.child.exitCode, 'the worker survived the outage').toBeNull();
    await server.start();
    await expectScanCompletedOnce();
  });

  it("the worker's connections killed with pg_terminate_backend: work goes on", async () => {
    worker = await startWorker(env);
    await untilMidScan(db, CUSTOMERS.length);
    // Three rounds; the pool may not have reconnected by the later ones.
    const killed: number[] = [];
    for (let i = 0; i < 3; i++) {
      const rows = await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'kyc-monitor' AND pid <> pg_backend_pid()`;
      killed.push(Number(rows[0]?.n));
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(killed[0]).toBeGreaterThan(0);
    await expectScanCompletedOnce();
  });

  it('a server that accepts connections but never answers: commands time out with exit 1, no hang', async () => {
    await db.$disconnect();
    await server.freeze(true);
    try {
      const result = await runCli(['status'], env, undefined, 100_000);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/database/i);
    } finally {
      await server.freeze(false);
    }
  });
});
