import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { errorMessage } from '../logger.js';

// /healthz (alive), /readyz (dependencies reachable, migrations applied), /metrics (Prometheus).
// No customer id and no secret ever appears in a metric.

export interface HealthChecks {
  database(): Promise<void>;
  redis(): Promise<void>;
  /** Names of migrations not applied yet. */
  pendingMigrations(): Promise<string[]>;
}

export async function startHttpServer(port: number, checks: HealthChecks, registry: Registry, log: Logger): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, JSON.stringify({ error: 'method not allowed' }));
    if (path === '/healthz') return reply(200, JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      void (async () => {
        const result: Record<string, string> = {};
        const check = async (name: string, fn: () => Promise<unknown>) => {
          try {
            await withTimeout(fn(), 5_000);
            result[name] = 'ok';
          } catch (error) {
            result[name] = `failed: ${errorMessage(error).split('\n')[0]?.slice(0, 200)}`;
          }
        };
        await Promise.all([
          check('database', () => checks.database()),
          check('redis', () => checks.redis()),
          check('migrations', async () => {
            const pending = await checks.pendingMigrations();
            if (pending.length) throw new Error(`${pending.length} pending`);
          }),
        ]);
        const ready = Object.values(result).every((v) => v === 'ok');
        reply(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not ready', checks: result }));
      })();
      return;
    }
    if (path === '/metrics') {
      void registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (error: unknown) => reply(500, `# metrics failed: ${errorMessage(error).split('\n')[0]}\n`, 'text/plain'),
      );
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
