import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import type { SandboxDocument } from '../../src/sandbox/generator.js';
import type { RunningCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { csvRows, TestSmtpServer } from '../support/smtp.js';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/servers.js';
import { startWorker, stopWorker, until, workerEnv } from '../support/worker.js';

// SCAN_MODE=continuous: a tick every TICK_SECONDS checks the customers then due, at most its
// share of CYREXA_MAX_RPS, most urgent first; each check sets when the customer is due next by
// the policy (src/domain/check-policy.ts). Two replicas dispatch each tick once.

const MIN = 60_000;
let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
const requests: Array<{ id: string; at: number }> = [];
const doc = (id: string, status: string, expiresOn?: string): SandboxDocument => ({
  purpose: 'KYC',
  name: 'passport',
  documentType: 'Passport',
  location: `/${id}/p.pdf`,
  verificationResponse: 'ok',
  status,
  metadata: expiresOn ? [{ name: 'expiryDate', type: 'String', value: expiresOn }] : [],
});

beforeAll(async () => {
  sandbox = await new Sandbox({ customers: 0 }).start();
  sandbox.onDocumentsRequest = (id) => requests.push({ id, at: Date.now() });
  smtp = await new TestSmtpServer().start();
});
afterAll(async () => {
  await sandbox.close();
  await smtp.close();
});
beforeEach(async () => {
  await t?.drop();
  t = await createTestDatabase();
  requests.length = 0;
});
afterAll(() => t?.drop());

/** CYREXA_MAX_RPS 10 and a tick a second: 9 customers a tick. */
const env = (extra: Record<string, string> = {}) =>
  workerEnv({ databaseUrl: t.url, sandboxUrl: sandbox.url, smtpUrl: smtp.url, extra: { SCAN_EVERY_SECONDS: undefined, SCAN_MODE: 'continuous', TICK_SECONDS: '1', CYREXA_MAX_RPS: '10', ALERT_BATCH_SECONDS: '0', ...extra } });

describe('continuous mode', { timeout: 180_000 }, () => {
  it('checks everyone once within the budget of each tick, sets when each is due next, and checks a due customer again', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `cont-${String(i).padStart(2, '0')}`);
    await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })) });
    for (const [i, id] of ids.entries()) sandbox.setDocuments(id, [doc(id, i % 3 === 0 ? 'underverification' : 'verified')]);
    const httpPort = await freePort();
    const worker = await startWorker(env({ HTTP_PORT: String(httpPort), LOG_LEVEL: 'info' }));
    try {
      await until('every customer checked', async () => (await t.db.trackedCustomer.count({ where: { lastCheckedAt: { not: null } } })) === ids.length, 60_000);
      // status and /metrics say how checking keeps up.
      const status = await runCli(['status', '--json'], env());
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ schedule: { kind: 'continuous', tickSeconds: 1, everyHours: 24 }, checking: { checksLastHour: ids.length, neverChecked: 0, dueNow: 0 } });
      expect((await runCli(['status'], env())).stdout).toContain('schedule: continuous: a tick every 1 s checks who is due, everyone at least every 24 h\nchecks in the last hour: 30; due now: 0; oldest last check: ');
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toMatch(/^kyc_monitor_checks_last_hour 30$/m);
      expect(metrics).toMatch(/^kyc_monitor_due_customers 0$/m);
      expect(metrics).toMatch(new RegExp(`^kyc_monitor_api_budget_used_ratio ${30 / 36_000}$`, 'm'));
      expect(metrics).toMatch(/^kyc_monitor_oldest_check_timestamp_seconds \d+(\.\d+)?$/m);
      // One request each: nobody is due again within the test but those the test makes due.
      expect(requests.map((r) => r.id).sort()).toEqual(ids);
      const ticks = await t.db.scan.findMany({ where: { trigger: 'continuous' }, orderBy: { startedAt: 'asc' } });
      expect(ticks.length).toBeGreaterThanOrEqual(Math.ceil(ids.length / 9));
      for (const tick of ticks) expect(tick.selection.length).toBeLessThanOrEqual(9);
      expect(ticks.flatMap((s) => s.selection).sort()).toEqual(ids);

      const rows = await t.db.trackedCustomer.findMany({ orderBy: { customerId: 'asc' } });
      for (const [i, row] of rows.entries()) {
        const wait = row.dueAt.getTime() - (row.lastCheckedAt?.getTime() ?? 0);
        // Under verification: again in 20 minutes (priority 1); verified: the routine check, an hour before a day has passed.
        if (i % 3 === 0) expect([row.duePriority, Math.round(wait / MIN)]).toEqual([1, 20]);
        else expect([row.duePriority, Math.round(wait / MIN)]).toEqual([2, 23 * 60]);
      }

      // cont-01 becomes expired and falls due: the next tick checks it, and the alert goes out.
      sandbox.setDocuments('cont-01', [doc('cont-01', 'expired')]);
      await t.db.trackedCustomer.update({ where: { customerId: 'cont-01' }, data: { dueAt: new Date() } });
      await until('the alert delivered', async () => (await t.db.alert.count({ where: { customerId: 'cont-01', kind: 'document', status: 'sent' } })) === 1, 60_000);
      const email = smtp.messages.find((m) => csvRows(m).some((r) => r.customer_id === 'cont-01'));
      expect(csvRows(email!).find((r) => r.customer_id === 'cont-01')).toMatchObject({ previous_status: 'verified', new_status: 'expired' });
      // Expired: watched every 4 hours for its renewal.
      const after = await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId: 'cont-01' } });
      expect(after.duePriority).toBe(3);
      expect(Math.round((after.dueAt.getTime() - (after.lastCheckedAt?.getTime() ?? 0)) / MIN)).toBe(240);
    } finally {
      expect(await stopWorker(worker)).toBe(0);
    }
    expect(requests.filter((r) => r.id === 'cont-01')).toHaveLength(2);
    // A tick a second, yet the log at info tells only what happened: ticks that found changes.
    const { stdout, stderr } = worker.output();
    const log = stdout + stderr;
    expect(log).toContain('"msg":"worker started"');
    expect(log).not.toMatch(/"msg":"scan started"/);
    expect(log).toMatch(/"status":"completed"[^\n]*"changes":[1-9]\d*[^\n]*"trigger":"continuous"[^\n]*"msg":"scan completed"/);
  });

  it('with two replicas, each tick is dispatched once: every customer checked once', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `pair-${String(i).padStart(2, '0')}`);
    await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })) });
    for (const id of ids) sandbox.setDocuments(id, [doc(id, 'verified')]);
    const shared = env();
    const workers: RunningCli[] = await Promise.all([startWorker(shared), startWorker(shared)]);
    try {
      await until('every customer checked', async () => (await t.db.trackedCustomer.count({ where: { lastCheckedAt: { not: null } } })) === ids.length, 90_000);
      // A few ticks more: nobody is due again, nobody is asked twice.
      const last = (await t.db.scan.count({ where: { trigger: 'continuous' } }));
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await t.db.scan.count({ where: { trigger: 'continuous' } })).toBe(last);
    } finally {
      for (const code of await Promise.all(workers.map(stopWorker))) expect(code).toBe(0);
    }
    expect(requests.map((r) => r.id).sort()).toEqual(ids);
    const ticks = await t.db.scan.findMany({ where: { trigger: 'continuous' } });
    expect(ticks.every((s) => s.status === 'completed')).toBe(true);
    for (const tick of ticks) expect(tick.selection.length).toBeLessThanOrEqual(9);
  });
});
