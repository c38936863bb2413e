import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../support/cli.js';
import { scanFixture } from '../support/scan-fixture.js';
import { PrivateRedis } from '../support/servers.js';
import { until } from '../support/worker.js';

// Attack: Redis (the shared rate limit of `scan`) goes away while a `scan` command runs. Every
// request waits for a rate-limit slot from Redis; ioredis queues commands while it reconnects,
// so without a bound the checks wait for Redis for ever: the scan hangs, and SIGTERM (which
// stops the checks only between requests) is not honoured.

// The shared rate limit needs Redis all the time: one reservation per request or two.
const f = scanFixture({ CYREXA_MAX_RPS: '100', CHECK_CONCURRENCY: '4', SCAN_LEASE_SECONDS: '2' });
let redis: PrivateRedis;

beforeEach(async () => {
  redis = await PrivateRedis.start();
});
afterEach(async () => {
  await redis.stop();
});

const ids = (n: number) => Array.from({ length: n }, (_, i) => `rs-${String(i).padStart(4, '0')}`);
const env = () => f.env({ REDIS_URL: redis.url, OPS_ALERT_TO: undefined });

async function exitWithin(cli: RunningCli, ms: number): Promise<number | null | 'hung'> {
  const gaveUp = new AbortController();
  const code = await Promise.race([cli.exited, delay(ms, 'hung' as const, { signal: gaveUp.signal }).catch(() => 'hung' as const)]);
  gaveUp.abort();
  return code;
}

describe('Redis lost while a scan command runs', { timeout: 90_000 }, () => {
  it('SIGTERM is honoured: the scan ends as interrupted, promptly', async () => {
    await f.track(ids(300));
    const scan = startCli(['scan', '--json'], env());
    f.running.push(scan);
    await until('some customers checked', async () => (await f.t.db.trackedCustomer.count({ where: { lastOutcome: 'ok' } })) >= 20, 60_000, 50);
    await redis.stop();
    await delay(500);
    scan.child.kill('SIGTERM');
    const code = await exitWithin(scan, 20_000);
    expect(code, scan.output().stderr.slice(-2000)).toBe(1);
    const [row] = await f.t.db.scan.findMany();
    expect(row?.status).toBe('interrupted');
    expect(JSON.parse(scan.output().stdout)).toMatchObject({ status: 'interrupted', checked: row?.checked });
  });

  it('Redis down for good: the scan ends by itself, every customer accounted for, it does not hang', async () => {
    await f.track(ids(300));
    const scan = startCli(['scan', '--json'], env());
    f.running.push(scan);
    await until('some customers checked', async () => (await f.t.db.trackedCustomer.count({ where: { lastOutcome: 'ok' } })) >= 20, 60_000, 50);
    await redis.stop();
    const code = await exitWithin(scan, 45_000);
    expect(code, scan.output().stderr.slice(-2000)).not.toBe('hung');
    const out = JSON.parse(scan.output().stdout) as { status: string; checked: number; failed: number };
    // Completed or failed by the usual verdict (how many were checked before Redis went away).
    expect(['completed', 'failed']).toContain(out.status);
    expect(code).toBe(out.status === 'completed' ? 0 : 1);
    expect(out.checked + out.failed).toBe(300);
    expect(out.failed).toBeGreaterThan(0);
    const failed = await f.t.db.trackedCustomer.findFirstOrThrow({ where: { lastOutcome: 'failed' } });
    expect(failed.lastFailureReason).toBe('rate-limit-unavailable');
    expect(failed.lastError).toMatch(/Redis, REDIS_URL/);
  });
});
