// npm run bench:rate [-- --rps N --seconds N --customers N --json]
//
// The shared rate limit, measured: the sandbox answers 429 above --rps requests in any second,
// two `kyc-monitor worker` processes scan together with CYREXA_MAX_RPS=--rps, and the sandbox's
// own counters over --seconds give the rate it saw and how many 429s it sent. Real processes,
// real Postgres and Redis; the run fails rather than print a figure it did not measure.
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { cleanUp, newRun, root, startSandbox, trackGeneratedCustomers, waitForOutput } from './support.ts';

const { values } = parseArgs({
  options: {
    rps: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '30' },
    customers: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const rps = Number(values.rps);
const seconds = Number(values.seconds);
// Enough customers that the scan outlasts the measurement.
const customers = Number(values.customers) || Math.ceil(rps * (seconds + 20));
for (const [name, n] of [['rps', rps], ['seconds', seconds], ['customers', customers]] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number (got ${n})`);
}

const log = (text: string) => process.stderr.write(`bench:rate: ${text}\n`);
const run = newRun('bench_rate');
const children: ChildProcess[] = [];

async function sandboxStats(url: string): Promise<{ ok: number; refused: number }> {
  const stats = (await (await fetch(`${url}/_sandbox/stats`)).json()) as { byStatus: Record<string, number> };
  return { ok: stats.byStatus['200'] ?? 0, refused: stats.byStatus['429'] ?? 0 };
}

try {
  log(`${customers} customers, limit ${rps}/s, two workers, ${seconds} s measured`);
  await trackGeneratedCustomers(run, customers);
  const sandbox = await startSandbox(['--customers', String(customers), '--rate-limit', String(rps)]);
  children.push(sandbox.child);
  const sandboxUrl = sandbox.url;
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: run.databaseUrl,
    REDIS_URL: run.redisUrl,
    QUEUE_PREFIX: run.prefix,
    CYREXA_BASE_URL: sandboxUrl,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    CYREXA_ACCESS_TOKEN: 'bench-token',
    CYREXA_MAX_RPS: String(rps),
    SCAN_EVERY_SECONDS: '86400',
    SMTP_URL: 'smtp://127.0.0.1:1',
    ALERT_TO: 'bench@example.com',
    ALERT_ON_BASELINE: 'false',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
  };
  const workers = [0, 1].map(() => spawn(`${root}/bin/kyc-monitor`, ['worker'], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] }));
  children.push(...workers);
  await Promise.all(workers.map((w, i) => waitForOutput(w, /"msg":"worker started"/, `worker ${i + 1}`)));
  // Let both workers take up the scan before the clock starts.
  await new Promise((r) => setTimeout(r, 3_000));
  const before = await sandboxStats(sandboxUrl);
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = await sandboxStats(sandboxUrl);
  const elapsed = (performance.now() - started) / 1000;
  for (const [i, w] of workers.entries()) if (w.exitCode !== null) throw new Error(`worker ${i + 1} exited (${w.exitCode}) during the measurement`);
  const observed = (after.ok - before.ok) / elapsed;
  if (after.ok - before.ok < rps * seconds * 0.5) throw new Error(`only ${after.ok - before.ok} requests answered in ${seconds} s: the scan did not run at the limit`);
  const result = { rateLimit: rps, seconds: Number(elapsed.toFixed(1)), rateObservedPerSecond: Number(observed.toFixed(1)), rateRatio: Number((observed / rps).toFixed(3)), rate429: after.refused - before.refused };
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `limit ${rps}/s, two workers, ${result.seconds} s: sandbox saw ${result.rateObservedPerSecond}/s (${result.rateRatio} of the limit), ${result.rate429} answers 429\n`);
} finally {
  await cleanUp(run, children);
}
