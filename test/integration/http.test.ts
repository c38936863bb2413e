import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/http/metrics.js';
import { startHttpServer } from '../../src/http/server.js';

// The HTTP endpoints over real HTTP, with readiness failing for real (a port nobody listens on).

const unreachable = async () => {
  const client = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:1/x', connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
  } finally {
    await client.end().catch(() => undefined);
  }
};

let server: Awaited<ReturnType<typeof startHttpServer>>;
const metrics = new Metrics();

beforeAll(async () => {
  metrics.readFrom({ alertCounts: async () => ({ pending: 2, failed: 1, sent: 7 }), trackedCustomers: async () => 3, lastCompletedScanAt: async () => new Date(1_700_000_000_000) });
  server = await startHttpServer(0, { database: unreachable, redis: async () => undefined, pendingMigrations: async () => ['20990101_next'] }, metrics.registry, pino({ level: 'silent' }));
});
afterAll(() => server.close());

describe('http', () => {
  it('is alive while its dependencies are not, and says what is not ready', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, string> };
    expect(body.checks.database).toMatch(/^failed: .*ECONNREFUSED/);
    expect(body.checks.redis).toBe('ok');
    expect(body.checks.migrations).toBe('failed: 1 pending');
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });

  it('serves Prometheus text with the counters and gauges', async () => {
    metrics.observeCheck('failed', 2);
    metrics.observeRequest(503, 12);
    metrics.observeRequest('timeout', 10_000);
    metrics.observeScan('completed');
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('kyc_monitor_checks_total{outcome="failed"} 2');
    expect(text).toContain('kyc_monitor_cyrexa_request_duration_seconds_count{status="5xx"} 1');
    expect(text).toContain('kyc_monitor_cyrexa_request_duration_seconds_count{status="timeout"} 1');
    expect(text).toContain('kyc_monitor_alerts{status="failed"} 1');
    expect(text).toContain('kyc_monitor_last_completed_scan_timestamp_seconds 1700000000');
    expect(text).toContain('kyc_monitor_scans_total{outcome="completed"} 1');
  });
});
