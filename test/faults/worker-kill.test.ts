import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { csvRows, TestSmtpServer } from '../support/smtp.js';
import { killWorker, startWorker, stopWorker, until, workerEnv } from '../support/worker.js';
import type { RunningCli } from '../support/cli.js';

// Fault 1: the worker process killed with SIGKILL at three points of a scan, then restarted.
// Each point is reached for real: the test holds a Postgres lock (or the SMTP answer) that the
// worker waits on, kills it there, lets go, and starts a new worker.

const CUSTOMERS = ['k-1', 'k-2', 'k-3', 'k-4', 'k-5'];
let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
let lock: pg.Client;
let env: NodeJS.ProcessEnv;
const workers: RunningCli[] = [];

beforeAll(async () => {
  sandbox = await new Sandbox({ customers: 0 }).start();
  smtp = await new TestSmtpServer().start();
});
afterAll(async () => {
  await sandbox.close();
  await smtp.close();
});
beforeEach(async () => {
  t = await createTestDatabase();
  smtp.messages.length = 0;
  smtp.stall = false;
  for (const id of CUSTOMERS) {
    await t.db.trackedCustomer.create({ data: { customerId: id } });
    sandbox.setDocuments(id, [
      { purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}/p.pdf`, verificationResponse: 'ok', status: 'verified' },
      { purpose: 'KYC', name: 'id', documentType: 'ID front side', location: `/${id}/id.pdf`, verificationResponse: 'too old', status: 'expired' },
    ]);
  }
  env = workerEnv({ databaseUrl: t.url, sandboxUrl: sandbox.url, smtpUrl: smtp.url });
  lock = new pg.Client({ connectionString: t.url });
  await lock.connect();
});
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') for (const w of workers) console.error(w.output().stderr.slice(-6000));
  for (const w of workers.splice(0)) await stopWorker(w);
  await lock.end().catch(() => undefined);
  await t.drop();
});

/** Asked on a connection of its own: inside the lock holder's transaction the view is a frozen snapshot. */
async function waitersOnLocks(): Promise<number> {
  const rows = await t.db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  return Number(rows[0]?.n ?? 0);
}

/** The alert rows of each email received, from its CSV attachment. */
function deliveredEmails(): string[][] {
  return smtp.messages.map((m) =>
    csvRows(m).map((r) => `${r.customer_id}:${r.document_name}:${r.new_status}`),
  );
}

async function expectRecoveredScan(maxDuplicateEmails: number, deliveredWithinMs = 120_000): Promise<void> {
  // The same deployment comes back: same database, same queue prefix.
  workers.push(await startWorker(env));
  await until('every alert delivered', async () => (await t.db.alert.count({ where: { kind: 'document', status: 'sent' } })) === CUSTOMERS.length, deliveredWithinMs);
  await until('a completed scan', async () => (await t.db.scan.count({ where: { status: 'completed' } })) >= 1, 120_000);
  // Exactly one `appeared` event per document: nothing recorded twice.
  for (const id of CUSTOMERS) expect(await t.db.documentEvent.count({ where: { customerId: id } }), id).toBe(2);
  expect(await t.db.alert.count({ where: { kind: 'document' } })).toBe(CUSTOMERS.length);
  const emails = deliveredEmails();
  expect(new Set(emails.flat())).toEqual(new Set(CUSTOMERS.map((id) => `${id}:id:expired`)));
  // A duplicate is an email repeating rows an earlier one carried.
  const seen = new Set<string>();
  let repeating = 0;
  for (const rows of emails) {
    if (rows.some((r) => seen.has(r))) repeating++;
    for (const r of rows) seen.add(r);
  }
  expect(repeating).toBeLessThanOrEqual(maxDuplicateEmails);
  if (maxDuplicateEmails === 0) expect(emails.flat()).toHaveLength(CUSTOMERS.length);
}

describe('worker killed with SIGKILL', { timeout: 240_000 }, () => {
  it('(a) after fetching a customer, before its snapshot is written', async () => {
    await lock.query('BEGIN');
    await lock.query("SELECT * FROM tracked_customers WHERE customer_id = 'k-3' FOR UPDATE");
    const worker = await startWorker(env);
    await until('the check of k-3 waiting to write', async () => (await waitersOnLocks()) > 0, 20_000);
    expect(await t.db.documentEvent.count({ where: { customerId: 'k-3' } })).toBe(0);
    await killWorker(worker);
    await lock.query('ROLLBACK');
    await expectRecoveredScan(0);
  });

  it('(b) inside the batch transaction, after its writes, before it counts the batch', async () => {
    // A batch's writes and its count are one transaction: there is no moment at which the
    // snapshots are committed and the batch not counted. The kill comes at the last statement.
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE scan_batches IN ACCESS EXCLUSIVE MODE');
    const worker = await startWorker(env);
    await until('the batch written and waiting to count itself', async () => (await waitersOnLocks()) > 0);
    expect(await t.db.documentEvent.count(), 'nothing visible before the commit').toBe(0);
    await killWorker(worker);
    await lock.query('ROLLBACK');
    await expectRecoveredScan(0);
  });

  it('(c) while sending an email: at most one duplicate', async () => {
    // A short claim lease (ALERT_LEASE_SECONDS): the restarted worker takes the dead worker's
    // alerts over within seconds instead of the production 90 s. The lease also bounds the
    // send (it is aborted before the lease runs out), so it must outlast the kill below.
    env = { ...env, ALERT_LEASE_SECONDS: '8' };
    smtp.stall = true;
    const worker = await startWorker(env);
    await until('an email held by the SMTP server', () => smtp.stalledCount > 0);
    await killWorker(worker);
    // The server accepts the email the dead worker sent: it never learns, so it sends again.
    smtp.stall = false;
    smtp.releaseStalled();
    // Well under the production lease of 90 s: proves the configured lease is the one in force.
    await expectRecoveredScan(1, 60_000);
  });
});
