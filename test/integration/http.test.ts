import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Metrics } from '../../src/http/metrics.js';
import { startHttpServer } from '../../src/http/server.js';
import { CustomerStore } from '../../src/store/customers.js';
import { createDatabase, type Database } from '../../src/store/database.js';
import { migrate, pendingMigrations } from '../../src/store/migrations.js';
import { OutboxStore } from '../../src/outbox/store.js';
import { ScanStore } from '../../src/store/scans.js';
import { PrivatePostgres } from '../support/servers.js';

// /healthz, /readyz and /metrics over real HTTP, wired as the worker wires them, against a
// private Postgres that is stopped and frozen for real, and the shared Redis.

let pgServer: PrivatePostgres;
let url: string;
let database: Database;
let redis: Redis;
let server: Awaited<ReturnType<typeof startHttpServer>>;
let base: string;
// A frozen Postgres answers nothing: /readyz and /metrics give up on it after these deadlines,
// shorter here than in production (5 s and 2 s) and still far longer than an answer takes.
const metrics = new Metrics({ collectTimeoutMs: 1_500 });
const logLines: string[] = [];
/** Reads of the customers' figures: one a scrape serves all their gauges. */
let customerReads = 0;

beforeAll(async () => {
  pgServer = await PrivatePostgres.start();
  const u = new URL(pgServer.url);
  u.pathname = '/kyc_http';
  url = u.toString();
  await migrate(url);
  database = createDatabase({ url, poolSize: 4 });
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  const customers = new CustomerStore(database);
  const outbox = new OutboxStore(database);
  const scans = new ScanStore(database);
  await customers.add(['h-1', 'h-2', 'h-3']);
  metrics.readFrom({
    alertCounts: async () => {
      const { pending, failed, sent } = await outbox.counts();
      return { pending, failed, sent };
    },
    customerCounts: () => {
      customerReads++;
      return customers.counts();
    },
    lastCompletedScanAt: async () => (await scans.lastCompleted())?.finishedAt ?? null,
  });
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  server = await startHttpServer(
    0,
    {
      database: async () => {
        await database.withClient((c) => c.query('SELECT 1'));
      },
      redis: async () => {
        await redis.ping();
      },
      pendingMigrations: () => pendingMigrations(url),
    },
    metrics.registry,
    log,
    { readyCheckMs: 2_000 },
  );
  base = `http://127.0.0.1:${server.port}`;
}, 120_000);
afterAll(async () => {
  await server.close();
  await pgServer.freeze(false).catch(() => undefined);
  await database.close();
  redis.disconnect();
  await pgServer.destroy();
});

const logged = (msg: string) => logLines.map((l) => JSON.parse(l) as Record<string, string>).filter((l) => l.msg === msg);

/** A bounded wait, so that an endpoint that hangs fails the test instead of stalling it. */
const get = (path: string) => fetch(`${base}${path}`, { signal: AbortSignal.timeout(30_000) });

describe('http', { timeout: 120_000 }, () => {
  it('answers ready with every check ok, and serves the gauges read from the database', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const ready = await get('/readyz');
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok', migrations: 'ok' } });
    expect(ready.status).toBe(200);
    const reads = customerReads;
    const text = await (await get('/metrics')).text();
    expect(text).toContain('kyc_monitor_tracked_customers 3');
    expect(text).toMatch(/^kyc_monitor_checks_last_hour 0$/m);
    expect(text).toMatch(/^kyc_monitor_due_customers 3$/m);
    expect(customerReads - reads).toBe(1);
    expect(text).toContain('kyc_monitor_alerts{status="pending"} 0');
    expect((await get('/nowhere')).status).toBe(404);
  });

  it('serves Prometheus text with the counters, and process metrics without a doubled prefix', async () => {
    metrics.observeCheck('failed', 2);
    metrics.observeRequest(503, 12);
    metrics.observeRequest('timeout', 10_000);
    metrics.observeScan('completed');
    const response = await get('/metrics');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('kyc_monitor_checks_total{outcome="failed"} 2');
    expect(text).toContain('kyc_monitor_cyrexa_request_duration_seconds_count{status="5xx"} 1');
    expect(text).toContain('kyc_monitor_cyrexa_request_duration_seconds_count{status="timeout"} 1');
    expect(text).toContain('kyc_monitor_scans_total{outcome="completed"} 1');
    expect(text).toMatch(/^kyc_monitor_process_cpu_seconds_total \d/m);
    expect(text).not.toContain('process_process_');
  });

  it('with Postgres stopped: /readyz names the failed checks without details, /metrics serves what it can', async () => {
    await pgServer.stop();
    try {
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      const body = await ready.text();
      expect(JSON.parse(body)).toEqual({ status: 'not ready', checks: { database: 'failed', redis: 'ok', migrations: 'failed' } });
      expect(body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect|postgres/i);
      expect(logged('readiness check failed').map((l) => l.err)).toContainEqual(expect.stringContaining('ECONNREFUSED'));

      const response = await get('/metrics');
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toMatch(/^kyc_monitor_process_cpu_seconds_total \d/m);
      expect(text).toContain('kyc_monitor_checks_total{outcome="failed"} 2');
      expect(text).not.toMatch(/^kyc_monitor_tracked_customers /m);
      expect(logged('metric skipped: it could not be collected').map((l) => l.metric)).toContain('kyc_monitor_tracked_customers');
    } finally {
      await pgServer.start();
    }
  });

  it('with Postgres frozen (connections open, nothing answers): both still answer', async () => {
    // A connection of the pool is open before the freeze: the query hangs rather than fails.
    expect((await get('/readyz')).status).toBe(200);
    await pgServer.freeze(true);
    try {
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks).toEqual({ database: 'failed', redis: 'ok', migrations: 'failed' });
      const response = await get('/metrics');
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toMatch(/^kyc_monitor_process_cpu_seconds_total \d/m);
      expect(text).not.toMatch(/^kyc_monitor_tracked_customers /m);
    } finally {
      await pgServer.freeze(false);
    }
    expect((await (await get('/metrics')).text())).toContain('kyc_monitor_tracked_customers 3');
  });
});
