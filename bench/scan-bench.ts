// npm run bench [-- --only throughput,latency,memory,rate,scaleout --json ...]
//
// Every performance figure of kyc-monitor, measured in one run on this machine: real sandbox over
// HTTP, real Postgres and Redis, the real scan code path (`scan`'s in-process scan, or real
// `kyc-monitor worker` processes). Ratios compare figures taken in the same run. Any part that
// goes wrong aborts the run; a part not run leaves its keys out rather than print a number.
//
// Parts (all by default, or those named by --only):
//   throughput  --customers (20,000) at --latency-ms (0): the ceiling (the same HTTP client
//               fetching the same customers at the same concurrency, no database or queue), an
//               unchanged scan, and a scan where every tenth customer changed one status.
//   latency     --bound-customers (20,000) at --bound-latency-ms (20): ceiling and unchanged scan, twice each.
//   memory      peak RSS of an unchanged scan of --memory-customers (200,000).
//   rate        two workers with CYREXA_MAX_RPS=--rate-limit against a sandbox refusing above it,
//               --rate-seconds measured by the sandbox.
//   scaleout    one worker, then two, scanning --scale-out-customers (20,000) at
//               --scale-out-latency-ms (50), rate limit off.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import pLimit from 'p-limit';
import { ScanQueues } from '../dist/schedule/queues.js';
import { customerIdFor, generatedDocuments } from '../dist/sandbox/generator.js';
import {
  cleanUp,
  newRun,
  root,
  sandboxStats,
  seedSnapshots,
  startSandbox,
  startWorkers,
  stop,
  trackGeneratedCustomers,
  workerEnv,
  type BenchRun,
} from './support.ts';

const PARTS = ['throughput', 'latency', 'memory', 'rate', 'scaleout'] as const;
type Part = (typeof PARTS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: PARTS.join(',') },
    customers: { type: 'string', default: '20000' },
    'latency-ms': { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '20' },
    'bound-customers': { type: 'string', default: '20000' },
    'bound-latency-ms': { type: 'string', default: '20' },
    'memory-customers': { type: 'string', default: '200000' },
    'rate-limit': { type: 'string', default: '200' },
    'rate-seconds': { type: 'string', default: '30' },
    'scale-out-customers': { type: 'string', default: '20000' },
    'scale-out-latency-ms': { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  },
});

function whole(name: keyof typeof values, min: number): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number of at least ${min} (got ${String(values[name])})`);
  return n;
}
const customers = whole('customers', 10);
const latencyMs = whole('latency-ms', 0);
const concurrency = whole('concurrency', 1);
const boundCustomers = whole('bound-customers', 10);
const boundLatencyMs = whole('bound-latency-ms', 1);
const memoryCustomers = whole('memory-customers', 10);
const rateLimit = whole('rate-limit', 1);
const rateSeconds = whole('rate-seconds', 1);
const scaleOutCustomers = whole('scale-out-customers', 10);
const scaleOutLatencyMs = whole('scale-out-latency-ms', 0);
const parts = String(values.only)
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
for (const part of parts) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--only: unknown part "${part}" (parts: ${PARTS.join(', ')})`);

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);
const round = (n: number, digits = 0) => Number(n.toFixed(digits));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
/** 20000 → "20k": the size a memory figure was measured at is part of its key. */
const size = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));
const TENANT = 'bench-tenant';
/** The scan and ceiling processes run with the V8 flags `bin/kyc-monitor` gives the product (plus BENCH_NODE_OPTIONS). */
const NODE_FLAGS = (process.env.KYC_MONITOR_NODE_FLAGS ?? readFileSync(`${root}/bin/node-flags`, 'utf8')).trim().split(/\s+/).filter(Boolean);
const TOKEN = 'bench-token';

interface ScanMeasurement {
  ms: number;
  perSecond: number;
  summary: { checked: number; failed: number; customers: number; changes: number };
  p95LatencyMs: number;
  peakRssMb: number;
  requests: number;
  queries: number;
  /** Mean number of Cyrexa requests in flight over the scan (sum of request times / scan time). */
  meanInFlight: number;
  memory: NodeJS.MemoryUsage;
}

/** Runs a bench child script with the product's Node flags; resolves with the JSON line it prints last. */
function runChild<T>(script: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<T> {
  const child = spawn(process.execPath, [...NODE_FLAGS, '--disable-warning=ExperimentalWarning', `${root}/bench/${script}`, ...args], {
    // BENCH_NODE_OPTIONS: Node flags for the measured processes only (--cpu-prof, heap experiments).
    env: { PATH: process.env.PATH, NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${what} process failed (exit ${code})`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T);
    });
  });
}

/** One scan through `scan`'s code path in a process of its own (bench/scan-child.ts). */
async function scanOnce(run: BenchRun, sandboxUrl: string, expected: number): Promise<ScanMeasurement> {
  const result = await runChild<Omit<ScanMeasurement, 'perSecond'>>(
    'scan-child.ts',
    [],
    {
      DATABASE_URL: run.databaseUrl,
      REDIS_URL: run.redisUrl,
      QUEUE_PREFIX: run.prefix,
      CYREXA_BASE_URL: sandboxUrl,
      CYREXA_TENANT_ID: TENANT,
      CYREXA_ACCESS_TOKEN: TOKEN,
      CYREXA_MAX_RPS: '100000',
      CHECK_CONCURRENCY: String(concurrency),
      ALERT_TO: 'bench@example.com',
      LOG_LEVEL: 'warn',
    },
    'scan',
  );
  if (result.summary.checked !== expected || result.summary.failed !== 0) {
    throw new Error(`scan checked ${result.summary.checked}/${expected} customers with ${result.summary.failed} failures: not a valid measurement`);
  }
  return { ...result, perSecond: (expected / result.ms) * 1000 };
}

/** The same HTTP client fetching the same customers at the same concurrency: no database, no queue (bench/ceiling-child.ts). */
async function ceiling(sandboxUrl: string, count: number): Promise<number> {
  const result = await runChild<{ perSecond: number }>('ceiling-child.ts', [sandboxUrl, TENANT, TOKEN, String(count), String(concurrency)], {}, 'ceiling');
  return result.perSecond;
}

/**
 * Ceiling and unchanged scan twice each, interleaved: the machine's pace drifts by ±10 % within
 * minutes, and the means of two are fairer to both than one of each.
 */
async function ceilingAndUnchangedScans(part: string, run: BenchRun, sandboxUrl: string, count: number): Promise<{ ceilingPerSecond: number; scans: ScanMeasurement[]; scanPerSecond: number }> {
  const ceilings: number[] = [];
  const scans: ScanMeasurement[] = [];
  for (let i = 0; i < 2; i++) {
    ceilings.push(await ceiling(sandboxUrl, count));
    const scan = await scanOnce(run, sandboxUrl, count);
    if (scan.summary.changes !== 0) throw new Error(`${part}: an unchanged scan recorded ${scan.summary.changes} changes`);
    log(`${part}: ceiling ${round(ceilings[i]!)}/s, scan ${round(scan.perSecond)}/s with on average ${scan.meanInFlight.toFixed(1)} of ${concurrency} requests in flight, p95 ${scan.p95LatencyMs.toFixed(1)} ms`);
    scans.push(scan);
  }
  return { ceilingPerSecond: mean(ceilings), scans, scanPerSecond: mean(scans.map((s) => s.perSecond)) };
}

/** Tracks `count` customers in the run's database, with snapshots that match the sandbox now. */
async function seed(run: BenchRun, count: number): Promise<BenchRun> {
  const started = performance.now();
  await trackGeneratedCustomers(run, count);
  await seedSnapshots(run, count);
  log(`${count} customers tracked and their snapshots written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return run;
}

/** Changes one document status of every tenth customer (seed 1, first epoch: the sandbox's data now). */
async function changeTenthOfCustomers(sandboxUrl: string, count: number): Promise<number> {
  const statuses = ['verified', 'underverification', 'incomplete', 'expired', 'declined'];
  const limit = pLimit(concurrency);
  const ids = Array.from({ length: Math.floor(count / 10) }, (_, k) => customerIdFor(k * 10));
  await Promise.all(ids.map((id) => limit(async () => {
    const documents = generatedDocuments(1, id, 0);
    const first = documents[0];
    if (!first) throw new Error(`${id} has no documents`);
    first.status = statuses[(statuses.indexOf(first.status) + 1) % statuses.length] ?? 'verified';
    const response = await fetch(`${sandboxUrl}/_sandbox/customers/${id}/documents`, { method: 'PUT', body: JSON.stringify({ documents }) });
    if (!response.ok) throw new Error(`setting the documents of ${id} failed: ${response.status}`);
  })));
  return ids.length;
}

async function throughput(): Promise<Record<string, number>> {
  log(`throughput: ${customers} customers, latency ${latencyMs} ms, concurrency ${concurrency}`);
  const sandbox = await startSandbox(['--customers', String(customers), '--latency-ms', String(latencyMs), '--tenant-id', TENANT]);
  const run = await seed(newRun('bench'), customers);
  try {
    const { ceilingPerSecond, scans, scanPerSecond } = await ceilingAndUnchangedScans('throughput', run, sandbox.url, customers);
    const unchanged = { ...scans[1]!, perSecond: scanPerSecond, peakRssMb: Math.max(...scans.map((s) => s.peakRssMb)) };
    const changedCustomers = await changeTenthOfCustomers(sandbox.url, customers);
    const changed = await scanOnce(run, sandbox.url, customers);
    if (changed.summary.changes !== changedCustomers) throw new Error(`the changed scan recorded ${changed.summary.changes} changes, expected ${changedCustomers}`);
    return {
      customers,
      latencyMs,
      concurrency,
      ceilingPerSecond: round(ceilingPerSecond),
      unchangedPerSecond: round(unchanged.perSecond),
      unchangedRatio: round(unchanged.perSecond / ceilingPerSecond, 3),
      changedPerSecond: round(changed.perSecond),
      changedRatio: round(changed.perSecond / unchanged.perSecond, 3),
      p95CheckLatencyMs: round(unchanged.p95LatencyMs, 2),
      dbRoundTripsPerCustomer: round(unchanged.queries / customers, 3),
      [`peakRssMb${size(customers)}`]: round(unchanged.peakRssMb),
    };
  } finally {
    await cleanUp(run, [sandbox.child]);
  }
}

async function latencyBound(): Promise<Record<string, number>> {
  log(`latency: ${boundCustomers} customers, latency ${boundLatencyMs} ms, concurrency ${concurrency}`);
  const sandbox = await startSandbox(['--customers', String(boundCustomers), '--latency-ms', String(boundLatencyMs), '--tenant-id', TENANT]);
  const run = await seed(newRun('bench'), boundCustomers);
  try {
    const { ceilingPerSecond, scanPerSecond } = await ceilingAndUnchangedScans('latency', run, sandbox.url, boundCustomers);
    return {
      boundLatencyMs,
      boundCeilingPerSecond: round(ceilingPerSecond),
      boundScanPerSecond: round(scanPerSecond),
      latencyBoundRatio: round(scanPerSecond / ceilingPerSecond, 3),
    };
  } finally {
    await cleanUp(run, [sandbox.child]);
  }
}

async function memory(): Promise<Record<string, number>> {
  log(`memory: ${memoryCustomers} customers`);
  const sandbox = await startSandbox(['--customers', String(memoryCustomers), '--tenant-id', TENANT]);
  const run = await seed(newRun('bench'), memoryCustomers);
  try {
    const scan = await scanOnce(run, sandbox.url, memoryCustomers);
    if (scan.summary.changes !== 0) throw new Error(`the memory scan recorded ${scan.summary.changes} changes`);
    log(`memory: ${memoryCustomers} customers scanned at ${round(scan.perSecond)}/s, peak RSS ${round(scan.peakRssMb)} MB; at the end ${JSON.stringify(scan.memory)}`);
    return { memoryCustomers, [`peakRssMb${size(memoryCustomers)}`]: round(scan.peakRssMb), memoryScanPerSecond: round(scan.perSecond) };
  } finally {
    await cleanUp(run, [sandbox.child]);
  }
}

/** The sandbox refuses above --rate-limit in any second; two workers share CYREXA_MAX_RPS=--rate-limit. */
async function rate(): Promise<Record<string, number>> {
  // Enough customers that the scan outlasts the measurement.
  const count = Math.ceil(rateLimit * (rateSeconds + 20));
  log(`rate: ${count} customers, limit ${rateLimit}/s, two workers, ${rateSeconds} s measured`);
  // An ordinary scan (snapshots exist), not a first one: what the workers do day after day.
  const run = await seed(newRun('bench_rate'), count);
  const children: ChildProcess[] = [];
  try {
    const sandbox = await startSandbox(['--customers', String(count), '--rate-limit', String(rateLimit)]);
    children.push(sandbox.child);
    const workers = await startWorkers(2, workerEnv(run, sandbox.url, { CYREXA_MAX_RPS: String(rateLimit), SCAN_EVERY_SECONDS: '86400' }), children);
    // Let both workers take up the scan before the clock starts.
    await new Promise((r) => setTimeout(r, 3_000));
    const before = await sandboxStats(sandbox.url);
    const started = performance.now();
    await new Promise((r) => setTimeout(r, rateSeconds * 1000));
    const after = await sandboxStats(sandbox.url);
    const elapsed = (performance.now() - started) / 1000;
    for (const [i, w] of workers.entries()) if (w.exitCode !== null) throw new Error(`worker ${i + 1} exited (${w.exitCode}) during the measurement`);
    const answered = after.ok - before.ok;
    if (answered < rateLimit * rateSeconds * 0.5) throw new Error(`only ${answered} requests answered in ${rateSeconds} s: the scan did not run at the limit`);
    const observed = answered / elapsed;
    return { rateLimit, rateSeconds: round(elapsed, 1), rateObservedPerSecond: round(observed, 1), rateRatio: round(observed / rateLimit, 3), rate429: after.refused - before.refused };
  } finally {
    await cleanUp(run, children);
  }
}

/** One worker, then two, each finishing a queued scan of the same customers; the ratio of their durations. */
async function scaleOut(): Promise<Record<string, number>> {
  log(`scaleout: ${scaleOutCustomers} customers, latency ${scaleOutLatencyMs} ms, concurrency ${concurrency} per worker`);
  const run = newRun('bench_scale');
  // Tracked but not yet seeded when the first worker starts, so that it queues no catch-up scan:
  // the measured scans are the ones queued below, once every worker is up.
  await trackGeneratedCustomers(run, 0);
  const children: ChildProcess[] = [];
  const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
  const queues = new ScanQueues(redis, run.prefix);
  const db = new pg.Client({ connectionString: run.databaseUrl });
  await db.connect();
  try {
    const sandbox = await startSandbox(['--customers', String(scaleOutCustomers), '--latency-ms', String(scaleOutLatencyMs), '--tenant-id', TENANT]);
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
      if (count === 1) await seed(run, scaleOutCustomers);
      const job = await queues.scans.add('scan', { trigger: 'manual' }, { removeOnComplete: 100 });
      let row: { status: string; ms: number; checked: number; failed: number; changes: number } | undefined;
      const deadline = Date.now() + 15 * 60_000;
      while (Date.now() < deadline) {
        const result = await db.query(
          `SELECT status, checked, failed, changes, extract(epoch from finished_at - started_at) * 1000 AS ms FROM scans WHERE trigger_key = $1 AND status <> 'running'`,
          [`job-${job.id}`],
        );
        if (result.rows[0]) {
          row = { ...result.rows[0], ms: Number(result.rows[0].ms) };
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!row) throw new Error(`scaleout: the scan with ${count} worker(s) did not finish within 15 minutes`);
      if (row.status !== 'completed' || row.checked !== scaleOutCustomers || row.failed !== 0 || row.changes !== 0) {
        throw new Error(`scaleout: the scan with ${count} worker(s) was not a valid measurement: ${JSON.stringify(row)}`);
      }
      durations[count] = row.ms;
      log(`scaleout: ${count} worker(s) scanned ${scaleOutCustomers} customers in ${(row.ms / 1000).toFixed(1)} s`);
      await stop(workers);
    }
    const one = durations[1] ?? NaN;
    const two = durations[2] ?? NaN;
    return {
      scaleOutLatencyMs,
      oneWorkerPerSecond: round((scaleOutCustomers / one) * 1000),
      twoWorkersPerSecond: round((scaleOutCustomers / two) * 1000),
      scaleOutRatio: round(one / two, 3),
    };
  } finally {
    await db.end();
    await queues.close();
    redis.disconnect();
    await cleanUp(run, children);
  }
}

const runners: Record<Part, () => Promise<Record<string, number>>> = { throughput, latency: latencyBound, memory, rate, scaleout: scaleOut };
const result: Record<string, number | string[]> = { parts };
for (const part of PARTS) {
  if (!parts.includes(part)) continue;
  Object.assign(result, await runners[part]());
}
const small = result[`peakRssMb${size(customers)}`];
const large = result[`peakRssMb${size(memoryCustomers)}`];
if (typeof small === 'number' && typeof large === 'number') result.memoryGrowthRatio = round(large / small, 3);

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  for (const [key, value] of Object.entries(result)) process.stdout.write(`${key.padEnd(26)} ${Array.isArray(value) ? value.join(', ') : value}\n`);
}
