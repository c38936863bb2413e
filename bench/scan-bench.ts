// npm run bench [-- --customers N --latency-ms N --concurrency N --json]
//
// Measures a scan of N tracked customers against the sandbox over real HTTP, with real
// Postgres and Redis and the real scan code path, next to the ceiling: the same HTTP client
// fetching the same customers at the same concurrency with no database and no queue.
// Every figure printed was measured in this run; anything that goes wrong aborts the run.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { CyrexaClient } from '../dist/cyrexa/client.js';
import { StaticTokenProvider } from '../dist/cyrexa/token-provider.js';
import { customerIdFor, generatedDocuments } from '../dist/sandbox/generator.js';
import { cleanUp, newRun, root, startSandbox, trackGeneratedCustomers } from './support.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '2000' },
    'latency-ms': { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const customers = Number(values.customers);
const latencyMs = Number(values['latency-ms']);
const concurrency = Number(values.concurrency);
for (const [name, n] of [['customers', customers], ['latency-ms', latencyMs], ['concurrency', concurrency]] as const) {
  if (!Number.isInteger(n) || n < (name === 'latency-ms' ? 0 : 1)) throw new Error(`--${name} must be a whole number (got ${n})`);
}

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);
const run = newRun('bench');
const TENANT = 'bench-tenant';
const TOKEN = 'bench-token';

function scanOnce(sandboxUrl: string): Promise<{ ms: number; summary: { checked: number; failed: number; customers: number; changes: number }; p95LatencyMs: number; peakRssMb: number; requests: number; queries: number }> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', `${root}/bench/scan-child.ts`], {
    env: {
      PATH: process.env.PATH,
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
      // Node flags for the scanning process only (V8 heap sizes, --cpu-prof).
      NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`scan process failed (exit ${code})`));
      const result = JSON.parse(out.trim().split('\n').at(-1) ?? '');
      if (result.summary.checked !== customers || result.summary.failed !== 0) {
        return reject(new Error(`scan checked ${result.summary.checked}/${customers} customers with ${result.summary.failed} failures: not a valid measurement`));
      }
      resolve(result);
    });
  });
}

async function ceiling(sandboxUrl: string): Promise<{ ms: number; perSecond: number }> {
  const client = new CyrexaClient({ baseUrl: sandboxUrl, tenantId: TENANT, tokens: new StaticTokenProvider(TOKEN), tokenHeader: undefined, timeoutMs: 10_000 });
  const limit = pLimit(concurrency);
  const started = performance.now();
  let fetched = 0;
  await Promise.all(Array.from({ length: customers }, (_, i) => limit(async () => {
    await client.getDocuments(customerIdFor(i));
    fetched++;
  })));
  const ms = performance.now() - started;
  if (fetched !== customers) throw new Error(`ceiling fetched ${fetched}/${customers}`);
  return { ms, perSecond: (customers / ms) * 1000 };
}

/** Changes one document status of every tenth customer (seed 1, first epoch: the sandbox's data now). */
async function changeTenthOfCustomers(sandboxUrl: string): Promise<number> {
  const statuses = ['verified', 'underverification', 'incomplete', 'expired', 'declined'];
  const limit = pLimit(concurrency);
  const ids = Array.from({ length: Math.floor(customers / 10) }, (_, k) => customerIdFor(k * 10));
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

const sandbox = await startSandbox(['--customers', String(customers), '--latency-ms', String(latencyMs), '--tenant-id', TENANT]);
try {
  log(`database ${new URL(run.databaseUrl).pathname.slice(1)}, ${customers} customers, latency ${latencyMs} ms, concurrency ${concurrency}`);
  await trackGeneratedCustomers(run, customers);
  log('baseline scan (not measured: it writes every snapshot)');
  const baseline = await scanOnce(sandbox.url);
  log('ceiling: raw fetches');
  const raw = await ceiling(sandbox.url);
  log('unchanged scan');
  const unchanged = await scanOnce(sandbox.url);
  if (unchanged.summary.changes !== 0) throw new Error(`the unchanged scan recorded ${unchanged.summary.changes} changes`);
  const unchangedPerSecond = (customers / unchanged.ms) * 1000;
  log('changed scan: one document of every tenth customer changes status');
  const changedCustomers = await changeTenthOfCustomers(sandbox.url);
  const changed = await scanOnce(sandbox.url);
  if (changed.summary.changes !== changedCustomers) throw new Error(`the changed scan recorded ${changed.summary.changes} changes, expected ${changedCustomers}`);
  const changedPerSecond = (customers / changed.ms) * 1000;
  const result = {
    customers,
    latencyMs,
    concurrency,
    ceilingPerSecond: Math.round(raw.perSecond),
    unchangedPerSecond: Math.round(unchangedPerSecond),
    unchangedRatio: Number((unchangedPerSecond / raw.perSecond).toFixed(3)),
    changedPerSecond: Math.round(changedPerSecond),
    changedRatio: Number((changedPerSecond / unchangedPerSecond).toFixed(3)),
    baselinePerSecond: Math.round((customers / baseline.ms) * 1000),
    p95CheckLatencyMs: Number(unchanged.p95LatencyMs.toFixed(2)),
    dbRoundTripsPerCustomer: Number((unchanged.queries / customers).toFixed(3)),
    peakRssMb: Math.round(unchanged.peakRssMb),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(
      [
        `customers            ${result.customers} (latency ${latencyMs} ms, concurrency ${concurrency})`,
        `ceiling              ${result.ceilingPerSecond} customers/s (same HTTP client, no database or queue)`,
        `unchanged scan       ${result.unchangedPerSecond} customers/s`,
        `ratio                ${result.unchangedRatio}`,
        `10 % changed scan    ${result.changedPerSecond} customers/s, ${result.changedRatio} of the unchanged scan`,
        `baseline scan        ${result.baselinePerSecond} customers/s (first scan, writes everything)`,
        `p95 API latency      ${result.p95CheckLatencyMs} ms`,
        `database round trips ${result.dbRoundTripsPerCustomer} per customer (unchanged scan)`,
        `peak RSS (scan)      ${result.peakRssMb} MB`,
      ].join('\n') + '\n',
    );
  }
} finally {
  await cleanUp(run, [sandbox.child]);
}
