// scaleout: one real worker, then two, each finishing a queued scan of the same
// --scale-out-customers at --scale-out-latency-ms (rate limit off); the ratio of their durations.
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ScanQueues } from '../../dist/schedule/queues.js';
import { cleanUp, log, newRun, round, seed, startSandbox, startWorkers, stop, TENANT, trackGeneratedCustomers, workerEnv, type Figures } from '../support.ts';

export interface ScaleOutOptions {
  customers: number;
  latencyMs: number;
  concurrency: number;
}

interface ScanRow {
  status: string;
  ms: number;
  checked: number;
  failed: number;
  changes: number;
}

export async function scaleOut({ customers, latencyMs, concurrency }: ScaleOutOptions): Promise<Figures> {
  log(`scaleout: ${customers} customers, latency ${latencyMs} ms, concurrency ${concurrency} per worker`);
  const run = newRun('bench_scale');
  // Migrated, with no customers yet: the measured scans are the ones queued below, once every
  // worker is up.
  await trackGeneratedCustomers(run, 0);
  const children: ChildProcess[] = [];
  const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
  const queues = new ScanQueues(redis, run.prefix, 30_000);
  const db = new pg.Client({ connectionString: run.databaseUrl });
  await db.connect();
  try {
    const sandbox = await startSandbox(['--customers', String(customers), '--latency-ms', String(latencyMs), '--tenant-id', TENANT]);
    children.push(sandbox.child);
    const env = workerEnv(run, sandbox.url, {
      CYREXA_TENANT_ID: TENANT,
      CYREXA_MAX_RPS: '100000',
      CHECK_CONCURRENCY: String(concurrency),
      // A schedule that does not fire during the run.
      SCAN_CRON: '0 0 1 1 *',
      LOG_LEVEL: 'info',
    });
    const durations: Record<number, number> = {};
    for (const count of [1, 2]) {
      const workers = await startWorkers(count, env, children);
      if (count === 1) {
        // The worker looks for a missed schedule tick every few seconds and, with customers
        // tracked and no scan yet, queues a catch-up scan that would take the measured scan's
        // place. A scan of no customers first makes the tick not missed.
        await scanToEnd(db, queues, 'the scan of no customers', 60_000);
        await seed(run, customers);
      }
      const row = await scanToEnd(db, queues, `the scan with ${count} worker(s)`, 15 * 60_000);
      if (row.status !== 'completed' || row.checked !== customers || row.failed !== 0 || row.changes !== 0) {
        throw new Error(`scaleout: the scan with ${count} worker(s) was not a valid measurement: ${JSON.stringify(row)}`);
      }
      durations[count] = row.ms;
      log(`scaleout: ${count} worker(s) scanned ${customers} customers in ${(row.ms / 1000).toFixed(1)} s`);
      await stop(workers);
    }
    const one = durations[1] ?? NaN;
    const two = durations[2] ?? NaN;
    return {
      scaleOutLatencyMs: latencyMs,
      oneWorkerPerSecond: round((customers / one) * 1000),
      twoWorkersPerSecond: round((customers / two) * 1000),
      scaleOutRatio: round(one / two, 3),
    };
  } finally {
    await db.end();
    await queues.close();
    redis.disconnect();
    await cleanUp(run, children);
  }
}

/** Queues a manual scan and waits until the scan it started has ended. */
async function scanToEnd(db: pg.Client, queues: ScanQueues, what: string, timeoutMs: number): Promise<ScanRow> {
  const job = await queues.scans.add('scan', { trigger: 'manual' }, { removeOnComplete: 100 });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const result = await db.query(
      `SELECT status, checked, failed, changes, extract(epoch from finished_at - started_at) * 1000 AS ms FROM scans WHERE trigger_key = $1 AND status <> 'running'`,
      [`job-${job.id}`],
    );
    if (result.rows[0]) return { ...result.rows[0], ms: Number(result.rows[0].ms) };
    // A job the workers finished without a scan of its own was skipped: another scan was running.
    if ((await job.getState()) === 'completed' && !(await scanStarted(db, job.id))) throw new Error(`scaleout: ${what} did not run: another scan was running`);
    await delay(100);
  }
  throw new Error(`scaleout: ${what} did not finish within ${timeoutMs / 60_000} minutes`);
}

async function scanStarted(db: pg.Client, jobId: string | undefined): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM scans WHERE trigger_key = $1', [`job-${jobId}`]);
  return result.rows.length > 0;
}
