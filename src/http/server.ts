import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';
import { settleBefore } from './settle.js';

// /healthz (alive), /readyz (dependencies reachable, migrations applied), /metrics (Prometheus).
// No customer id and no secret ever appears in a metric. Whoever can reach the port learns which
// check failed, never why (an error names hosts, ports, users): the reason goes to the log.
// /metrics serves what it can: a metric that cannot be collected now is left out, not the rest.

/** How long a readiness check may take before it counts as failed. */
export const READY_CHECK_MS = 5_000;

export interface HealthChecks {
  database(): Promise<void>;
  redis(): Promise<void>;
  /** Names of migrations not applied yet. */
  pendingMigrations(): Promise<string[]>;
}

export interface HttpServerOptions {
  /** Default READY_CHECK_MS (tests of a database that does not answer make it short). */
  readyCheckMs?: number;
}

export async function startHttpServer(
  port: number,
  checks: HealthChecks,
  registry: Registry,
  log: Logger,
  options: HttpServerOptions = {},
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const readyCheckMs = options.readyCheckMs ?? READY_CHECK_MS;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, JSON.stringify({ error: 'method not allowed' }));
    if (path === '/healthz') return reply(200, JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      void readiness(checks, readyCheckMs, log).then((result) => {
        const ready = Object.values(result).every((v) => v === 'ok');
        reply(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not ready', checks: result }));
      });
      return;
    }
    if (path === '/metrics') {
      void scrape(registry, log).then((text) => reply(200, text, registry.contentType));
      return;
    }
    reply(404, JSON.stringify({ error: 'not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  log.info({ port: actual }, 'http server listening');
  return {
    server,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Each check's outcome, 'ok' or 'failed'; why one failed is logged, never answered. */
async function readiness(checks: HealthChecks, timeoutMs: number, log: Logger): Promise<Record<'database' | 'redis' | 'migrations', 'ok' | 'failed'>> {
  const check = async (name: string, fn: () => Promise<unknown>): Promise<'ok' | 'failed'> => {
    try {
      await settleBefore(fn(), AbortSignal.timeout(timeoutMs));
      return 'ok';
    } catch (error) {
      log.warn({ check: name, err: errorMessage(error).split('\n')[0]?.slice(0, 300) }, 'readiness check failed');
      return 'failed';
    }
  };
  const [database, redis, migrations] = await Promise.all([
    check('database', () => checks.database()),
    check('redis', () => checks.redis()),
    check('migrations', async () => {
      const pending = await checks.pendingMigrations();
      if (pending.length) throw new Error(`${pending.length} migration(s) pending`);
    }),
  ]);
  return { database, redis, migrations };
}

/**
 * The registry's text, one metric at a time: a metric whose collection fails (a gauge read from
 * a database that is down; those give up after their own deadline) is left out and logged.
 */
async function scrape(registry: Registry, log: Logger): Promise<string> {
  const parts = await Promise.all(
    registry.getMetricsAsArray().map(async ({ name }) => {
      try {
        return await registry.getSingleMetricAsString(name);
      } catch (error) {
        log.warn({ metric: name, err: errorMessage(error).split('\n')[0]?.slice(0, 300) }, 'metric skipped: it could not be collected');
        return null;
      }
    }),
  );
  return `${parts.filter((part) => part !== null).join('\n\n')}\n`;
}
