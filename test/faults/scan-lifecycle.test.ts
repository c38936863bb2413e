import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { baseEnv, runCli, startCli, type RunningCli } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/servers.js';
import { TestSmtpServer } from '../support/smtp.js';
import { until } from '../support/worker.js';

// Scans that tell the truth (issue 9, items 14–17): a scan in which every check failed for one
// reason is a failed scan; Ctrl-C records an interrupted scan; a killed scan blocks nobody for
// longer than its lease; the database lets one scan run at a time; Redis down is one clear line.
// The CLI runs as a child process against the sandbox, real Postgres, Redis and SMTP.

let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
let prefix: string;
const running: RunningCli[] = [];

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
  prefix = testQueuePrefix();
  sandbox.clearFailures();
  sandbox.options.latencyMs = 0;
});
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  await t.drop();
});

function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: prefix,
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    // Retries of transient API failures start after 50 ms instead of 500 (CYREXA_RETRY_BASE_MS).
    CYREXA_RETRY_BASE_MS: '50',
    CYREXA_ACCESS_TOKEN: 'lifecycle-token',
    CYREXA_MAX_RPS: '2000',
    CYREXA_TIMEOUT_MS: '2000',
    SMTP_URL: smtp.url,
    ALERT_TO: 'compliance@example.com',
    OPS_ALERT_TO: 'ops@example.com',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    SCAN_LEASE_SECONDS: '2',
    ...extra,
  });
}

async function track(ids: string[], status = 'verified'): Promise<void> {
  await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })) });
  for (const id of ids) sandbox.setDocuments(id, [{ purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}.pdf`, verificationResponse: 'ok', status }]);
}

const ids = (n: number, p = 'c') => Array.from({ length: n }, (_, i) => `${p}-${String(i).padStart(4, '0')}`);

async function scanJson(extra: Record<string, string | undefined> = {}) {
  const result = await runCli(['scan', '--json'], env(extra));
  return { ...result, json: result.stdout.trim() ? (JSON.parse(result.stdout) as Record<string, unknown>) : null };
}

const opsAlerts = async (subject: string) => t.db.alert.findMany({ where: { kind: 'ops', subject: { contains: subject } }, orderBy: { id: 'asc' } });

describe('a scan where the checks fail for one reason', () => {
  it('the API unreachable: a failed scan, exit 1, one operations alert per incident, no alert per customer', async () => {
    await track(ids(6));
    const closed = `http://127.0.0.1:${await freePort()}`;
    for (let i = 0; i < 3; i++) {
      const scan = await scanJson({ CYREXA_BASE_URL: closed });
      expect(scan.code, scan.stderr).toBe(1);
      expect(scan.json).toMatchObject({ status: 'failed', customers: 6, checked: 0, failed: 6 });
      expect(String(scan.json?.error)).toMatch(/could not be reached/);
    }
    const incident = await opsAlerts('a scan failed');
    expect(incident).toHaveLength(1);
    expect(incident[0]?.body).toMatch(/^Check CYREXA_BASE_URL/);
    // Three failed scans in a row are that one incident, not news about each customer.
    expect(await t.db.alert.count({ where: { kind: 'ops' } })).toBe(1);

    // Back to normal: a completed scan ends the incident; the next outage is reported again.
    const ok = await scanJson();
    expect(ok.json).toMatchObject({ status: 'completed', checked: 6, failed: 0 });
    expect((await scanJson({ CYREXA_BASE_URL: closed })).code).toBe(1);
    expect(await opsAlerts('a scan failed')).toHaveLength(2);
  });

  it('404 for every customer (a wrong base URL): a failed scan naming the cause', async () => {
    await track(ids(12));
    const scan = await scanJson({ CYREXA_BASE_URL: `${sandbox.url}/wrong/1.0.0` });
    expect(scan.code).toBe(1);
    expect(scan.json).toMatchObject({ status: 'failed', failed: 12 });
    expect(String(scan.json?.error)).toMatch(/404/);
    expect((await opsAlerts('a scan failed'))[0]?.subject).toMatch(/404/);
  });

  it('a few customers failing three scans in a row are reported in one email listing them', async () => {
    const good = ids(17, 'ok');
    await track(good);
    await t.db.trackedCustomer.createMany({ data: ['gone-1', 'gone-2', 'gone-3'].map((customerId) => ({ customerId })) });
    for (let i = 0; i < 4; i++) {
      const scan = await scanJson();
      expect(scan.json).toMatchObject({ status: 'completed', checked: 17, failed: 3 });
    }
    const streak = await t.db.alert.findMany({ where: { kind: 'ops' } });
    expect(streak).toHaveLength(1);
    expect(streak[0]?.subject).toMatch(/3 customer\(s\) failed 3 scans in a row/);
    for (const id of ['gone-1', 'gone-2', 'gone-3']) expect(streak[0]?.body).toContain(id);
  });
});

describe('scans that end the way they really ended', () => {
  it('Ctrl-C on scan records an interrupted scan with what it really checked', async () => {
    await track(ids(400));
    sandbox.options.latencyMs = 30;
    const scan = startCli(['scan', '--json'], env({ CHECK_CONCURRENCY: '4' }));
    running.push(scan);
    await until('some customers checked', async () => (await t.db.trackedCustomer.count({ where: { lastOutcome: 'ok' } })) >= 20, 60_000, 50);
    scan.child.kill('SIGINT');
    expect(await scan.exited).toBe(1);
    const [row] = await t.db.scan.findMany();
    expect(row?.status).toBe('interrupted');
    const checked = await t.db.trackedCustomer.count({ where: { lastScanId: row?.id, lastOutcome: 'ok' } });
    expect(checked).toBeLessThan(400);
    expect(row?.checked).toBe(checked);
    const out = JSON.parse(scan.output().stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ status: 'interrupted', checked });
  });

  it('a killed scan blocks the next one only until its lease runs out, and is recorded as interrupted (abandoned)', async () => {
    await track(ids(400));
    sandbox.options.latencyMs = 30;
    const killed = startCli(['scan', '--json'], env({ CHECK_CONCURRENCY: '4' }));
    running.push(killed);
    await until('some customers checked', async () => (await t.db.trackedCustomer.count({ where: { lastOutcome: 'ok' } })) >= 20, 60_000, 50);
    killed.child.kill('SIGKILL');
    await killed.exited;
    sandbox.options.latencyMs = 0;
    // Refused while the dead scan's lease (2 s here) runs, then taken over by a new scan.
    let next = await scanJson();
    await until('the dead scan to stop blocking', async () => {
      if (next.code === 0) return true;
      expect(next.stderr).toMatch(/still running/);
      next = await scanJson();
      return next.code === 0;
    }, 30_000, 250);
    expect(next.json).toMatchObject({ status: 'completed', checked: 400 });
    const dead = await t.db.scan.findFirstOrThrow({ where: { id: { not: String(next.json?.scanId) } } });
    expect(dead.status).toBe('interrupted');
    expect(dead.error).toMatch(/^abandoned/);
    expect(dead.checked).toBeGreaterThanOrEqual(20);
    expect(dead.checked).toBeLessThan(400);
  });

  it('several scans started at once never overlap: the database lets one run', async () => {
    await track(ids(200));
    sandbox.options.latencyMs = 5;
    const results = await Promise.all(Array.from({ length: 4 }, () => scanJson()));
    const started = results.filter((r) => r.code === 0);
    expect(started.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => x.code !== 0)) expect(r.stderr).toMatch(/still running/);
    const scans = await t.db.scan.findMany({ orderBy: { startedAt: 'asc' } });
    expect(scans).toHaveLength(started.length);
    for (let i = 1; i < scans.length; i++) expect(scans[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(scans[i - 1]!.finishedAt!.getTime());
  });
});

describe('Redis unreachable', () => {
  it('scan and worker exit 1 with one line naming the address and REDIS_URL; SIGTERM ends a worker that is starting', async () => {
    const port = await freePort();
    const redisUrl = `redis://127.0.0.1:${port}`;
    // runCli gives up (and fails the test) on a command still running after 30 s: a hang.
    const [scan, worker] = await Promise.all([runCli(['scan'], env({ REDIS_URL: redisUrl }), undefined, 30_000), runCli(['worker'], env({ REDIS_URL: redisUrl }), undefined, 30_000)]);
    expect(scan.code).toBe(1);
    expect(scan.stderr).toContain(`Redis unreachable at 127.0.0.1:${port} (REDIS_URL)`);
    expect(scan.stderr).not.toMatch(/\n\s+at |ECONNREFUSED.*\n.*ECONNREFUSED/);
    expect(worker.code).toBe(1);
    expect(worker.stderr).toContain(`Redis unreachable at 127.0.0.1:${port} (REDIS_URL)`);

    const starting = startCli(['worker'], env({ REDIS_URL: redisUrl }));
    running.push(starting);
    await new Promise((r) => setTimeout(r, 1_000));
    starting.child.kill('SIGTERM');
    // Honoured while it still waits for Redis (not after its 10 s connection attempt, nor never).
    const gaveUp = new AbortController();
    const code = await Promise.race([starting.exited, delay(15_000, 'hung' as const, { signal: gaveUp.signal }).catch(() => 'stopped' as const)]);
    gaveUp.abort();
    expect(code).not.toBe('hung');
  });
});
