import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import type { RunningCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { TestSmtpServer } from '../support/smtp.js';
import { killWorker, startWorker, stopWorker, until, workerEnv } from '../support/worker.js';

// Reminders sent by real worker processes (SPEC §10): two workers starting at once remind each
// case once; a worker killed with SIGKILL while the SMTP server holds its reminder email (a
// reminder is delivered at least once, and a duplicate is tolerated only when the process dies
// between the server's acceptance and the database update) causes at most one duplicate.

const HOUR = 3_600_000;
let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
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
});
afterEach(async () => {
  for (const w of workers.splice(0)) await killWorker(w);
  await t.drop();
});

/** Open cases of customers no scan looks at (no longer tracked), their alert emailed two hours ago. */
async function openCases(ids: readonly string[]): Promise<void> {
  await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId, active: false })) });
  const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
  await t.db.case.createMany({
    data: ids.map((customerId) => ({ customerId, purpose: 'KYC', documentType: 'Passport', documentName: 'passport', documentStatus: 'expired', openedAt: twoHoursAgo, lastAlertAt: twoHoursAgo, lastEmailedAt: twoHoursAgo })),
  });
}

/** How many reminder emails listed each case. */
function remindedPerCase(): Map<string, number> {
  const perCase = new Map<string, number>();
  for (const m of smtp.messages.filter((x) => /^KYC reminder: /.test(String(x.parsed.subject)))) {
    for (const [, id] of (m.parsed.text ?? '').matchAll(/^- Case #(\d+),/gm)) perCase.set(id as string, (perCase.get(id as string) ?? 0) + 1);
  }
  return perCase;
}

describe('two workers', () => {
  it('starting at once, each looking for due reminders, remind each of 200 open cases exactly once', async () => {
    smtp.messages.length = 0;
    const ids = Array.from({ length: 200 }, (_, i) => `w-${i}`);
    await openCases(ids);
    const env = workerEnv({ databaseUrl: t.url, sandboxUrl: sandbox.url, smtpUrl: smtp.url, extra: { REMIND_EVERY_HOURS: '1', LOG_LEVEL: 'info' } });
    const started = await Promise.all([startWorker(env), startWorker(env)]);
    workers.push(...started);
    await until('200 reminders recorded as sent', async () => (await t.db.alert.count({ where: { kind: 'reminder', status: 'sent' } })) === ids.length, 60_000);
    const perCase = remindedPerCase();
    expect(perCase.size).toBe(ids.length);
    expect([...perCase.values()].every((n) => n === 1)).toBe(true);
    expect(await t.db.alert.count({ where: { kind: 'reminder' } })).toBe(ids.length);
    expect(await t.db.caseEvent.count({ where: { kind: 'reminder' } })).toBe(ids.length);
    for (const w of started) expect(await stopWorker(w)).toBe(0);
    workers.length = 0;
  });
});

describe('worker killed while sending a reminder', () => {
  it('the restarted worker sends it again once: at most one duplicate per case, and no new reminder', async () => {
    smtp.messages.length = 0;
    const ids = ['r-1', 'r-2', 'r-3', 'r-4', 'r-5'];
    await openCases(ids);
    const env = workerEnv({ databaseUrl: t.url, sandboxUrl: sandbox.url, smtpUrl: smtp.url, extra: { REMIND_EVERY_HOURS: '1', ALERT_LEASE_SECONDS: '8', LOG_LEVEL: 'info' } });

    smtp.stall = true;
    const first = await startWorker(env);
    workers.push(first);
    await until('the reminder held by the SMTP server', () => smtp.stalledCount > 0, 60_000);
    await killWorker(first);
    workers.splice(workers.indexOf(first), 1);
    // The server accepts what the dead worker sent: the database never learns.
    smtp.stall = false;
    smtp.releaseStalled();

    const second = await startWorker(env);
    workers.push(second);
    await until('the reminders recorded as sent', async () => (await t.db.alert.count({ where: { kind: 'reminder', status: 'sent' } })) === ids.length, 60_000);
    const perCase = remindedPerCase();
    expect(perCase.size).toBe(ids.length);
    expect(Math.max(...perCase.values())).toBeLessThanOrEqual(2);
    // One reminder per case was queued: the restart queued none (the interval has not passed).
    expect(await t.db.alert.count({ where: { kind: 'reminder' } })).toBe(ids.length);
    expect(await t.db.caseEvent.count({ where: { kind: 'reminder' } })).toBe(ids.length);
    expect(await stopWorker(second)).toBe(0);
    workers.splice(workers.indexOf(second), 1);
  });
});
