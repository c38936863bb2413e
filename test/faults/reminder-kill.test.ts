import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import type { RunningCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { TestSmtpServer } from '../support/smtp.js';
import { killWorker, startWorker, stopWorker, until, workerEnv } from '../support/worker.js';

// A worker killed with SIGKILL while the SMTP server holds its reminder email (SPEC §10: a
// reminder is delivered at least once, and a duplicate is tolerated only when the process dies
// between the server's acceptance and the database update): at most one duplicate per case.

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

describe('worker killed while sending a reminder', () => {
  it('the restarted worker sends it again once: at most one duplicate per case, and no new reminder', async () => {
    // Five open cases whose alert went out two hours ago; their customers are not scanned (no longer tracked).
    const ids = ['r-1', 'r-2', 'r-3', 'r-4', 'r-5'];
    await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId, active: false })) });
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
    await t.db.case.createMany({
      data: ids.map((customerId) => ({ customerId, purpose: 'KYC', documentType: 'Passport', documentName: 'passport', documentStatus: 'expired', openedAt: twoHoursAgo, lastAlertAt: twoHoursAgo, lastEmailedAt: twoHoursAgo })),
    });
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
    const reminders = smtp.messages.filter((m) => /^KYC reminder: /.test(String(m.parsed.subject)));
    const perCase = new Map<string, number>();
    for (const m of reminders) for (const [, id] of (m.parsed.text ?? '').matchAll(/^- Case #(\d+),/gm)) perCase.set(id as string, (perCase.get(id as string) ?? 0) + 1);
    expect(perCase.size).toBe(ids.length);
    expect(Math.max(...perCase.values())).toBeLessThanOrEqual(2);
    // One reminder per case was queued: the restart queued none (the interval has not passed).
    expect(await t.db.alert.count({ where: { kind: 'reminder' } })).toBe(ids.length);
    expect(await t.db.caseEvent.count({ where: { kind: 'reminder' } })).toBe(ids.length);
    expect(await stopWorker(second)).toBe(0);
    workers.splice(workers.indexOf(second), 1);
  });
});
