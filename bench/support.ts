// What the benchmark's parts share: a database and Redis key prefix of the run's own, the
// generated sandbox customers tracked in it, the sandbox as a process, scans and ceilings
// measured in processes of their own, and cleaning all of it up.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pLimit from 'p-limit';
import { parseGetDocuments } from '../dist/cyrexa/schema.js';
import { diffDocuments } from '../dist/domain/status-diff.js';
import { customerIdFor, generatedDocuments, type World } from '../dist/sandbox/generator.js';
import { expiryWarnings } from '../dist/check/check-batch.js';
import { DEFAULT_EXPIRY_METADATA_NAMES, dayIn, readExpiry } from '../dist/domain/expiry.js';
import { parseWarningDays } from '../dist/domain/expiry-warnings.js';
import type { TimeScale } from '../dist/domain/time-scale.js';
import { writeResults, type CheckResult, type DueAt } from '../dist/check/write-results.js';
import { CustomerStore } from '../dist/store/customers.js';
import { createDatabase } from '../dist/store/database.js';
import { dropDatabase, migrate } from '../dist/store/migrations.js';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** What a part returns: figures by key (`bench/check.ts` and docs/PERFORMANCE.md name them). */
export type Figures = Record<string, number>;

export const TENANT = 'bench-tenant';
const TOKEN = 'bench-token';
/** The scan and ceiling processes run with the V8 flags `bin/kyc-monitor` gives the product (plus BENCH_NODE_OPTIONS). */
const NODE_FLAGS = (process.env.KYC_MONITOR_NODE_FLAGS ?? readFileSync(`${root}/bin/node-flags`, 'utf8')).trim().split(/\s+/).filter(Boolean);

export const log = (text: string) => process.stderr.write(`bench: ${text}\n`);
export const round = (n: number, digits = 0) => Number(n.toFixed(digits));
export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
/** 20000 → "20k": the size a memory figure was measured at is part of its key. */
export const size = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

export interface BenchRun {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
}

export function newRun(name: string): BenchRun {
  const runId = randomBytes(4).toString('hex');
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/kyc_${name}_${runId}`;
  return { databaseUrl: url.toString(), redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: `kyc-${name}-${runId}` };
}

/**
 * The sandbox's world as every part sees it: seed 1, generated around the hour the benchmark
 * started, and standing still there (`--time-scale 0`), so an unchanged scan finds it unchanged.
 */
export const WORLD: World = { seed: 1, origin: Math.floor(Date.now() / 3_600_000) * 3_600_000 };

/** The documents of generated customer `id` in the benchmark's world. */
export const worldDocuments = (id: string) => generatedDocuments(WORLD, id, WORLD.origin);

/** Migrates the run's database and tracks the first `customers` generated sandbox customers. */
export async function trackGeneratedCustomers(run: BenchRun, customers: number): Promise<void> {
  await migrate(run.databaseUrl);
  const db = createDatabase({ url: run.databaseUrl });
  try {
    const store = new CustomerStore(db);
    for (let i = 0; i < customers; i += 5000) await store.add(Array.from({ length: Math.min(5000, customers - i) }, (_, k) => customerIdFor(i + k)));
  } finally {
    await db.close();
  }
}

/** Which world seeding reads, at which instant of its time, and (continuous mode) when each customer is due. */
export interface SeedWorld {
  world: World;
  at: number;
  /** Customer number `i`'s next due, from its documents as the check reads them. */
  due?: (documents: ReadonlyArray<{ status: string; expiresOn: string | null }>, i: number) => DueAt;
}

/**
 * Gives the first `customers` tracked customers the snapshots a baseline scan of the sandbox's
 * world would write — expiry dates read and the expiry warnings due that day marked as sent, as the
 * product's check does (default EXPIRY_METADATA_NAMES and EXPIRY_WARNING_DAYS, UTC) — through the
 * product's own diff and write (`writeResults`, 1,000 customers a transaction), without alerts.
 * A baseline scan of 200,000 customers takes minutes; this takes seconds. A later scan that
 * records any change shows the seeding was wrong, and the benchmark fails on that.
 * The world is WORLD at its origin unless `seedWorld` says otherwise.
 */
export async function seedSnapshots(run: BenchRun, customers: number, seedWorld: SeedWorld = { world: WORLD, at: WORLD.origin }): Promise<void> {
  const db = createDatabase({ url: run.databaseUrl });
  try {
    const at = new Date();
    const names = new Set<string>(DEFAULT_EXPIRY_METADATA_NAMES);
    const days = parseWarningDays('30,7');
    if (!days.ok) throw new Error(days.error);
    const rules = { statuses: ['expired', 'declined'], onBaseline: false };
    const today = dayIn(new Date(seedWorld.at), 'UTC');
    const limit = pLimit(4);
    const starts = Array.from({ length: Math.ceil(customers / 1000) }, (_, k) => k * 1000);
    await Promise.all(starts.map((start) => limit(async () => {
      const writes: CheckResult[] = [];
      for (let i = start; i < Math.min(customers, start + 1000); i++) {
        const id = customerIdFor(i);
        const documents = generatedDocuments(seedWorld.world, id, seedWorld.at);
        const read = parseGetDocuments({ documents }, id, 'bench-tenant').map((doc) => ({ ...doc, expiresOn: readExpiry(doc.metadata, names, 'UTC').expiresOn }));
        const baseline = diffDocuments(null, read);
        const warned = expiryWarnings({ expiry: { names, timeZone: 'UTC', warningDays: days.value }, rules }, baseline.next, today);
        const diff = warned === null ? baseline : { ...baseline, next: warned.next };
        const due = seedWorld.due?.(read, i);
        writes.push({ kind: 'changed', customerId: id, expectedVersion: 0, baseline: true, diff, alerting: [], ...(due ? { due } : {}) });
      }
      const tally = await db.withTransaction((c) => writeResults(c, { scanId: null, batchNo: 0, leaseMs: 0, isAlertStatus: () => false }, at, writes, false));
      if (tally.skipped) throw new Error(`seeding snapshots: ${tally.skipped} customers were already written`);
    })));
  } finally {
    await db.close();
  }
  await vacuumAnalyze(run);
}

/**
 * What autovacuum does after a bulk load (it is off on the Postgres of the machine this was
 * written on): without statistics the planner guesses, and scans get slower with table size.
 */
export async function vacuumAnalyze(run: BenchRun): Promise<void> {
  const db = createDatabase({ url: run.databaseUrl });
  try {
    await db.withClient((c) => c.query('VACUUM ANALYZE tracked_customers'));
    await db.withClient((c) => c.query('VACUUM ANALYZE document_snapshots'));
  } finally {
    await db.close();
  }
}

/** Tracks `count` customers in the run's database, with snapshots that match the sandbox now. */
export async function seed(run: BenchRun, count: number): Promise<BenchRun> {
  const started = performance.now();
  await trackGeneratedCustomers(run, count);
  await seedSnapshots(run, count);
  log(`${count} customers tracked and their snapshots written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return run;
}

/**
 * Resolves with the first match of `pattern` in the child's output; rejects if it exits first.
 * Output after the match is drained and dropped: a worker logging a line per change must
 * neither fill its pipe nor cost this process time (a growing buffer searched on every chunk
 * once took enough CPU to disturb the measurements).
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const streams = [child.stdout, child.stderr].filter((s) => s !== null);
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-64 * 1024);
      const match = pattern.exec(out);
      if (!match) return;
      for (const stream of streams) {
        stream.off('data', onData);
        stream.resume();
      }
      child.off('exit', onExit);
      resolve(match);
    };
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready:\n${out.slice(-2000)}`));
    for (const stream of streams) stream.on('data', onData);
    child.on('exit', onExit);
  });
}

/** `kyc-monitor sandbox` on a free port, its world standing still at WORLD's origin for the run (unless `time` says otherwise). */
export async function startSandbox(args: string[], time: TimeScale = { origin: WORLD.origin, scale: 0 }): Promise<{ url: string; child: ChildProcess }> {
  const timeArgs = ['--time-scale', String(time.scale), '--time-origin', new Date(time.origin).toISOString()];
  const child = spawn(`${root}/bin/kyc-monitor`, ['sandbox', '--port', '0', ...timeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = (await waitForOutput(child, /listening on (http:\/\/\S+)/, 'sandbox'))[1] ?? '';
  return { url, child };
}

/**
 * A sandbox whose first `customers` generated customers have `perCustomer` documents each
 * (bench/docs-sandbox.ts: the product's Sandbox with `setDocuments`; its control API takes
 * bodies of at most 1 MB, less than 5,000 documents).
 */
export async function startSandboxWithDocuments(customers: number, perCustomer: number): Promise<{ url: string; child: ChildProcess; kbPerAnswer: number }> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', `${root}/bench/docs-sandbox.ts`, String(customers), String(perCustomer), TENANT], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const match = await waitForOutput(child, /\((\d+) KB an answer\) listening on (http:\/\/\S+)/, 'sandbox');
  return { url: match[2] ?? '', child, kbPerAnswer: Number(match[1]) };
}

/** Stops the given processes and removes the run's database and Redis keys. */
export async function cleanUp(run: BenchRun, children: readonly ChildProcess[]): Promise<void> {
  await stop(children);
  await dropDatabase(run.databaseUrl).catch(() => undefined);
  const redis = new Redis(run.redisUrl);
  try {
    const keys = await redis.keys(`${run.prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** What `kyc-monitor worker` needs to scan the run's customers against the sandbox. */
export function workerEnv(run: BenchRun, sandboxUrl: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: run.databaseUrl,
    REDIS_URL: run.redisUrl,
    QUEUE_PREFIX: run.prefix,
    CYREXA_BASE_URL: sandboxUrl,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    CYREXA_ACCESS_TOKEN: 'bench-token',
    SMTP_URL: 'smtp://127.0.0.1:1',
    ALERT_TO: 'bench@example.com',
    ALERT_ON_BASELINE: 'false',
    HTTP_PORT: '0',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Starts `count` real `kyc-monitor worker` processes and resolves once every one has started. */
export async function startWorkers(count: number, env: NodeJS.ProcessEnv, children: ChildProcess[]): Promise<ChildProcess[]> {
  const workers = Array.from({ length: count }, () => spawn(`${root}/bin/kyc-monitor`, ['worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  children.push(...workers);
  await Promise.all(workers.map((w, i) => waitForOutput(w, /"msg":"worker started"/, `worker ${i + 1}`)));
  return workers;
}

/** Stops processes started for one part of a run (SIGTERM, then waits for them to exit). */
export async function stop(children: readonly ChildProcess[]): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
}

/** The sandbox's own count of getDocuments answers, by status. */
export async function sandboxStats(url: string): Promise<{ ok: number; refused: number }> {
  const stats = (await (await fetch(`${url}/_sandbox/stats`)).json()) as { byStatus: Record<string, number> };
  return { ok: stats.byStatus['200'] ?? 0, refused: stats.byStatus['429'] ?? 0 };
}

export interface ScanMeasurement {
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
    // MALLOC_ARENA_MAX as bin/kyc-monitor sets it for the product.
    env: { PATH: process.env.PATH, NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '', MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`${what} process failed (${signal ? `signal ${signal}` : `exit ${code}`})`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T);
    });
  });
}

/** One scan through `scan`'s code path in a process of its own (bench/scan-child.ts); every customer must be checked. */
export function scanOnce(run: BenchRun, sandboxUrl: string, expected: number, concurrency: number): Promise<ScanMeasurement> {
  return scanExpecting(run, sandboxUrl, { checked: expected, failed: 0 }, concurrency);
}

/** The same HTTP client fetching the same customers at the same concurrency: no database, no queue (bench/ceiling-child.ts). */
async function ceiling(sandboxUrl: string, count: number, concurrency: number): Promise<number> {
  const result = await runChild<{ perSecond: number }>('ceiling-child.ts', [sandboxUrl, TENANT, TOKEN, String(count), String(concurrency)], {}, 'ceiling');
  return result.perSecond;
}

/**
 * Ceiling and unchanged scan twice each, interleaved: the machine's pace drifts by ±10 % within
 * minutes, and the means of two are fairer to both than one of each.
 */
export async function ceilingAndUnchangedScans(
  part: string,
  run: BenchRun,
  sandboxUrl: string,
  count: number,
  concurrency: number,
): Promise<{ ceilingPerSecond: number; scans: ScanMeasurement[]; scanPerSecond: number }> {
  const ceilings: number[] = [];
  const scans: ScanMeasurement[] = [];
  for (let i = 0; i < 2; i++) {
    ceilings.push(await ceiling(sandboxUrl, count, concurrency));
    const scan = await scanOnce(run, sandboxUrl, count, concurrency);
    if (scan.summary.changes !== 0) throw new Error(`${part}: an unchanged scan recorded ${scan.summary.changes} changes`);
    log(`${part}: ceiling ${round(ceilings[i]!)}/s, scan ${round(scan.perSecond)}/s with on average ${scan.meanInFlight.toFixed(1)} of ${concurrency} requests in flight, p95 ${scan.p95LatencyMs.toFixed(1)} ms`);
    scans.push(scan);
  }
  return { ceilingPerSecond: mean(ceilings), scans, scanPerSecond: mean(scans.map((s) => s.perSecond)) };
}

/**
 * One scan through `scan`'s code path in a process of its own (bench/scan-child.ts), where
 * exactly `expected.failed` customers fail (unknown to the sandbox) and the rest are checked.
 */
export async function scanExpecting(run: BenchRun, sandboxUrl: string, expected: { checked: number; failed: number }, concurrency: number): Promise<ScanMeasurement> {
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
  if (result.summary.checked !== expected.checked || result.summary.failed !== expected.failed) {
    throw new Error(`scan checked ${result.summary.checked}/${expected.checked} customers with ${result.summary.failed}/${expected.failed} failures: not a valid measurement`);
  }
  return { ...result, perSecond: ((expected.checked + expected.failed) / result.ms) * 1000 };
}
