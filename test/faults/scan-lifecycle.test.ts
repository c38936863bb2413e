import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { freePort } from '../support/servers.js';
import { scanFixture } from '../support/scan-fixture.js';
import { until } from '../support/worker.js';

// Scans that end the way they really ended (issue 9, items 15–17): Ctrl-C records an interrupted
// scan; a killed scan blocks nobody for longer than its lease; the database lets one scan run at
// a time; Redis down is one clear line. The CLI runs as a child process.

const f = scanFixture({ SCAN_LEASE_SECONDS: '2' });
const ids = (n: number, p = 'c') => Array.from({ length: n }, (_, i) => `${p}-${String(i).padStart(4, '0')}`);

describe('scans that end the way they really ended', () => {
  it('Ctrl-C on scan records an interrupted scan with what it really checked', async () => {
    await f.track(ids(400));
    f.sandbox.options.latencyMs = 30;
    const scan = startCli(['scan', '--json'], f.env({ CHECK_CONCURRENCY: '4' }));
    f.running.push(scan);
    await until('some customers checked', async () => (await f.t.db.trackedCustomer.count({ where: { lastOutcome: 'ok' } })) >= 20, 60_000, 50);
    scan.child.kill('SIGINT');
    expect(await scan.exited).toBe(1);
    const [row] = await f.t.db.scan.findMany();
    expect(row?.status).toBe('interrupted');
    const checked = await f.t.db.trackedCustomer.count({ where: { lastScanId: row?.id, lastOutcome: 'ok' } });
    expect(checked).toBeLessThan(400);
    expect(row?.checked).toBe(checked);
    const out = JSON.parse(scan.output().stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ status: 'interrupted', checked });
  });

  it('a killed scan blocks the next one only until its lease runs out, and is recorded as interrupted (abandoned)', async () => {
    await f.track(ids(400));
    f.sandbox.options.latencyMs = 30;
    const killed = startCli(['scan', '--json'], f.env({ CHECK_CONCURRENCY: '4' }));
    f.running.push(killed);
    await until('some customers checked', async () => (await f.t.db.trackedCustomer.count({ where: { lastOutcome: 'ok' } })) >= 20, 60_000, 50);
    killed.child.kill('SIGKILL');
    await killed.exited;
    f.sandbox.options.latencyMs = 0;
    // Refused while the dead scan's lease (2 s here) runs, then taken over by a new scan.
    let next = await f.scanJson();
    await until('the dead scan to stop blocking', async () => {
      if (next.code === 0) return true;
      expect(next.stderr).toMatch(/still running/);
      next = await f.scanJson();
      return next.code === 0;
    }, 30_000, 250);
    expect(next.json).toMatchObject({ status: 'completed', checked: 400 });
    const dead = await f.t.db.scan.findFirstOrThrow({ where: { id: { not: String(next.json?.scanId) } } });
    expect(dead.status).toBe('interrupted');
    expect(dead.error).toMatch(/^abandoned/);
    expect(dead.checked).toBeGreaterThanOrEqual(20);
    expect(dead.checked).toBeLessThan(400);
  });

  it('several scans started at once never overlap: the database lets one run', async () => {
    await f.track(ids(200));
    f.sandbox.options.latencyMs = 5;
    const results = await Promise.all(Array.from({ length: 4 }, () => f.scanJson()));
    const started = results.filter((r) => r.code === 0);
    expect(started.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => x.code !== 0)) expect(r.stderr).toMatch(/still running/);
    const scans = await f.t.db.scan.findMany({ orderBy: { startedAt: 'asc' } });
    expect(scans).toHaveLength(started.length);
    for (let i = 1; i < scans.length; i++) expect(scans[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(scans[i - 1]!.finishedAt!.getTime());
  });
});

describe('Redis unreachable', () => {
  it('scan and worker exit 1 with one line naming the address and REDIS_URL; SIGTERM ends a worker that is starting', async () => {
    const port = await freePort();
    const redisUrl = `redis://127.0.0.1:${port}`;
    // They give up after REDIS_CONNECT_TIMEOUT_SECONDS (10 s unless set; 2 here). runCli gives
    // up (and fails the test) on a command still running after 30 s: a hang.
    const env = f.env({ REDIS_URL: redisUrl, REDIS_CONNECT_TIMEOUT_SECONDS: '2' });
    const [scan, worker] = await Promise.all([runCli(['scan'], env, undefined, 30_000), runCli(['worker'], env, undefined, 30_000)]);
    expect(scan.code).toBe(1);
    expect(scan.stderr).toContain(`Redis unreachable at 127.0.0.1:${port} (REDIS_URL): no connection within 2 s`);
    expect(scan.stderr).not.toMatch(/\n\s+at |ECONNREFUSED.*\n.*ECONNREFUSED/);
    expect(worker.code).toBe(1);
    expect(worker.stderr).toContain(`Redis unreachable at 127.0.0.1:${port} (REDIS_URL)`);

    const starting = startCli(['worker'], f.env({ REDIS_URL: redisUrl }));
    f.running.push(starting);
    // Trying to connect: ioredis reports each refusal.
    await starting.waitForOutput(/"msg":"redis connection error"/);
    starting.child.kill('SIGTERM');
    // Honoured while it still waits for Redis (neither after its 10 s connection attempt nor never).
    const gaveUp = new AbortController();
    const code = await Promise.race([starting.exited, delay(15_000, 'hung' as const, { signal: gaveUp.signal }).catch(() => 'stopped' as const)]);
    gaveUp.abort();
    expect(code).toBe(1);
    expect(starting.output().stderr).toContain('stopped while starting (redis)');
    expect(starting.output().stderr).not.toContain('Redis unreachable');
  });
});
