import { inject } from 'vitest';
import { BATCH_SIZE } from '../../src/scan/lifecycle.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { baseEnv, startCli, type RunningCli } from './cli.js';
import { testQueuePrefix } from './db.js';

// A worker process for fault tests: started, waited on, killed for real.

export function workerEnv(options: { databaseUrl: string; sandboxUrl: string; smtpUrl: string; extra?: Record<string, string | undefined> }): NodeJS.ProcessEnv {
  return baseEnv({
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: options.sandboxUrl,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    // Retries of transient API failures start after 50 ms instead of 500 (CYREXA_RETRY_BASE_MS).
    CYREXA_RETRY_BASE_MS: '50',
    CYREXA_ACCESS_TOKEN: 'fault-access-token',
    CYREXA_MAX_RPS: '500',
    CYREXA_TIMEOUT_MS: '3000',
    SMTP_URL: options.smtpUrl,
    ALERT_TO: 'compliance@example.com',
    OPS_ALERT_TO: 'ops@example.com',
    ALERT_BATCH_SECONDS: '0',
    SCAN_EVERY_SECONDS: '3600',
    HTTP_PORT: '0',
    LOG_LEVEL: 'debug',
    // Production waits (a dead worker's job handed on after 20 s, a dead scan's lease 30 s,
    // alerts a failed delivery pass could not hand back claimable again after 90 s) made short,
    // so that fault tests see recovery in seconds.
    QUEUE_LOCK_SECONDS: '3',
    SCAN_LEASE_SECONDS: '5',
    ALERT_LEASE_SECONDS: '10',
    ...options.extra,
  });
}

export async function startWorker(env: NodeJS.ProcessEnv): Promise<RunningCli> {
  const worker = startCli(['worker'], env);
  await worker.waitForOutput(/"msg":"worker started"/);
  return worker;
}

export async function stopWorker(worker: RunningCli): Promise<number | null> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  return worker.exited;
}

export async function killWorker(worker: RunningCli): Promise<void> {
  worker.child.kill('SIGKILL');
  await worker.exited;
}

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 90_000, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until a scan of `customers` has written a batch and has at least one batch to come. */
export async function untilMidScan(db: PrismaClient, customers: number): Promise<void> {
  await until('the scan half-way', async () => {
    const done = await db.trackedCustomer.count({ where: { lastOutcome: 'ok' } });
    return done >= 1 && done < customers - BATCH_SIZE;
  }, 60_000, 50);
}
