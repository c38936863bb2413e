import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { baseEnv, startCli, type RunningCli } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { PrivateRedis } from '../support/servers.js';
import { TestSmtpServer } from '../support/smtp.js';
import { until } from '../support/worker.js';

// Attack: Redis (the shared rate limit of `scan`) goes away while a `scan` command runs. Every
// request waits for a rate-limit slot from Redis; ioredis queues commands while it reconnects,
// so without a bound the checks wait for Redis for ever: the scan hangs, and SIGTERM (which
// stops the checks only between requests) is not honoured.

let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
let redis: PrivateRedis;
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
  redis = await PrivateRedis.start();
});
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  await redis.stop();
  await t.drop();
});

const ids = (n: number) => Array.from({ length: n }, (_, i) => `rs-${String(i).padStart(4, '0')}`);

async function track(list: string[]): Promise<void> {
  await t.db.trackedCustomer.createMany({ data: list.map((customerId) => ({ customerId })) });
  for (const id of list) sandbox.setDocuments(id, [{ purpose: 'KYC', name: 'passport', documentType: 'Passport', location: `/${id}.pdf`, verificationResponse: 'ok', status: 'verified' }]);
}

function env(): NodeJS.ProcessEnv {
  return baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    // Retries of transient API failures start after 50 ms instead of 500 (CYREXA_RETRY_BASE_MS).
    CYREXA_RETRY_BASE_MS: '50',
    CYREXA_ACCESS_TOKEN: 'attack-token',
    // One Redis reservation per request or two: the limiter needs Redis all the time.
    CYREXA_MAX_RPS: '100',
    CYREXA_TIMEOUT_MS: '2000',
    CHECK_CONCURRENCY: '4',
    SMTP_URL: smtp.url,
    ALERT_TO: 'compliance@example.com',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    SCAN_LEASE_SECONDS: '2',
  });
}

async function exitWithin(cli: RunningCli, ms: number): Promise<number | null | 'hung'> {
  const gaveUp = new AbortController();
  const code = await Promise.race([cli.exited, delay(ms, 'hung' as const, { signal: gaveUp.signal }).catch(() => 'hung' as const)]);
  gaveUp.abort();
  return code;
}

describe('Redis lost while a scan command runs', { timeout: 90_000 }, () => {
  it('SIGTERM is honoured: the scan ends as interrupted, promptly', async () => {
    await track(ids(300));
    const scan = startCli(['scan', '--json'], env());
    running.push(scan);
    await until('some customers checked', async () => (await t.db.trackedCustomer.count({ where: { lastOutcome: 'ok' } })) >= 20, 60_000, 50);
    await redis.stop();
    await delay(500);
    scan.child.kill('SIGTERM');
    const code = await exitWithin(scan, 20_000);
    expect(code, scan.output().stderr.slice(-2000)).toBe(1);
    const [row] = await t.db.scan.findMany();
    expect(row?.status).toBe('interrupted');
    expect(JSON.parse(scan.output().stdout)).toMatchObject({ status: 'interrupted', checked: row?.checked });
  });

  it('Redis down for good: the scan ends by itself, every customer accounted for, it does not hang', async () => {
    await track(ids(300));
    const scan = startCli(['scan', '--json'], env());
    running.push(scan);
    await until('some customers checked', async () => (await t.db.trackedCustomer.count({ where: { lastOutcome: 'ok' } })) >= 20, 60_000, 50);
    await redis.stop();
    const code = await exitWithin(scan, 45_000);
    expect(code, scan.output().stderr.slice(-2000)).not.toBe('hung');
    const out = JSON.parse(scan.output().stdout) as { status: string; checked: number; failed: number };
    // Completed or failed by the usual verdict (how many were checked before Redis went away).
    expect(['completed', 'failed']).toContain(out.status);
    expect(code).toBe(out.status === 'completed' ? 0 : 1);
    expect(out.checked + out.failed).toBe(300);
    expect(out.failed).toBeGreaterThan(0);
    const failed = await t.db.trackedCustomer.findFirstOrThrow({ where: { lastOutcome: 'failed' } });
    expect(failed.lastFailureReason).toBe('rate-limit-unavailable');
    expect(failed.lastError).toMatch(/Redis, REDIS_URL/);
  });
});
