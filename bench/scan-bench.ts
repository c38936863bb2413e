// npm run bench [-- --only throughput,latency,memory,rate,scaleout --json ...]
//
// Every performance figure of kyc-monitor, measured in one run on this machine: real sandbox over
// HTTP, real Postgres and Redis, the real scan code path (`scan`'s in-process scan, or real
// `kyc-monitor worker` processes). Ratios compare figures taken in the same run. Any part that
// goes wrong aborts the run; a part not run leaves its keys out rather than print a number.
//
// This file only parses the options, runs the parts and prints what they measured; each part is
// a file of bench/parts/, and what they share is bench/support.ts.
//
// Parts (all by default, or those named by --only):
//   throughput  --customers (20,000) at --latency-ms (0): the ceiling (the same HTTP client
//               fetching the same customers at the same concurrency, no database or queue), an
//               unchanged scan, and a scan where every tenth customer changed one status.
//   latency     --bound-customers (20,000) at --bound-latency-ms (20): ceiling and unchanged scan, twice each.
//   memory      peak RSS of the scans named by --docs-per-customer (generated,200x200,20x5000):
//               `generated` is an unchanged scan of --memory-customers (200,000) with the
//               sandbox's own 3–5 documents each; `N` is --memory-customers customers with N
//               documents each, `CxN` C customers with N each, both a first scan then an unchanged one.
//   rate        two workers with CYREXA_MAX_RPS=--rate-limit against a sandbox refusing above it,
//               --rate-seconds measured by the sandbox.
//   scaleout    one worker, then two, scanning --scale-out-customers (20,000) at
//               --scale-out-latency-ms (50), rate limit off.
//   export      `kyc-monitor export` of --export-records (1,000,000) case timeline records: time, peak RSS.
//   scale       --scale-customers (1,000,000) tracked: `track import` of them all, `status`,
//               `track list --failing` and `cases list` as processes, database size, and the peak
//               RSS of a full scan (bench/parts/scale.ts).
//   detection   time to alert, simulated (no services): --detection-customers (100,000) of the
//               sandbox's world over --detection-days (30) at --detection-rps (10), checked by a
//               daily cron scan, a continuous round robin and the continuous mode's policy.
//   realrun     the same confirmed for real: a sandbox at --realrun-time-scale (240) × real time,
//               a real worker in continuous mode at --realrun-rps (250), --realrun-customers
//               (10,000), --realrun-hours (24) of world time (~7 real minutes); its p95 times to
//               alert against the simulation's with the same parameters (bench/parts/realrun.ts).
// --concurrency (20) is CHECK_CONCURRENCY of every scan, and the ceiling's.
import { parseArgs } from 'node:util';
import { detection } from './parts/detection.ts';
import { exportPart } from './parts/export.ts';
import { latency } from './parts/latency.ts';
import { memory, type MemoryScan } from './parts/memory.ts';
import { rate } from './parts/rate.ts';
import { realRun } from './parts/realrun.ts';
import { scale } from './parts/scale.ts';
import { scaleOut } from './parts/scaleout.ts';
import { throughput } from './parts/throughput.ts';
import { log, round, size, type Figures } from './support.ts';

const PARTS = ['throughput', 'latency', 'memory', 'rate', 'scaleout', 'export', 'scale', 'detection', 'realrun'] as const;
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
    'docs-per-customer': { type: 'string', default: 'generated,200x200,20x5000' },
    'rate-limit': { type: 'string', default: '200' },
    'rate-seconds': { type: 'string', default: '30' },
    'scale-out-customers': { type: 'string', default: '20000' },
    'scale-out-latency-ms': { type: 'string', default: '50' },
    'export-records': { type: 'string', default: '1000000' },
    'scale-customers': { type: 'string', default: '1000000' },
    'detection-customers': { type: 'string', default: '100000' },
    'detection-days': { type: 'string', default: '30' },
    'detection-rps': { type: 'string', default: '10' },
    'realrun-customers': { type: 'string', default: '10000' },
    'realrun-time-scale': { type: 'string', default: '240' },
    'realrun-rps': { type: 'string', default: '250' },
    'realrun-hours': { type: 'string', default: '24' },
    json: { type: 'boolean', default: false },
  },
});

function wholeNumber(option: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min) throw new Error(`--${option} must be a whole number of at least ${min} (got ${text})`);
  return n;
}
const whole = (name: keyof typeof values, min: number) => wholeNumber(name, String(values[name]), min);
const customers = whole('customers', 10);
const latencyMs = whole('latency-ms', 0);
const concurrency = whole('concurrency', 1);
const boundCustomers = whole('bound-customers', 10);
const boundLatencyMs = whole('bound-latency-ms', 1);
const memoryCustomers = whole('memory-customers', 10);
const memoryScans = parseMemoryScans(String(values['docs-per-customer']));
const rateLimit = whole('rate-limit', 1);
const rateSeconds = whole('rate-seconds', 1);
const scaleOutCustomers = whole('scale-out-customers', 10);
const scaleOutLatencyMs = whole('scale-out-latency-ms', 0);
const exportRecords = whole('export-records', 10);
const scaleCustomers = whole('scale-customers', 1000);
const detectionCustomers = whole('detection-customers', 1);
const detectionDays = whole('detection-days', 1);
const detectionRps = whole('detection-rps', 1);
const realRunOptions = { customers: whole('realrun-customers', 100), timeScale: whole('realrun-time-scale', 2), rps: whole('realrun-rps', 1), hours: whole('realrun-hours', 1) };
const parts = String(values.only)
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
for (const part of parts) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--only: unknown part "${part}" (parts: ${PARTS.join(', ')})`);

/** `generated`, `N` (--memory-customers × N documents) or `CxN`, comma-separated; each at most once. */
function parseMemoryScans(text: string): MemoryScan[] {
  const scans: MemoryScan[] = [];
  const seen = new Set<string>();
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [c, n] = item.includes('x') ? item.split('x') : [String(memoryCustomers), item];
    const scan: MemoryScan =
      item === 'generated'
        ? { customers: memoryCustomers, documents: 'generated' }
        : { customers: wholeNumber('docs-per-customer (customers of CxN)', c ?? '', 1), documents: wholeNumber('docs-per-customer (documents of N or CxN)', n ?? '', 1) };
    const key = `${scan.customers}x${scan.documents}`;
    if (seen.has(key)) throw new Error(`--docs-per-customer names ${item} twice (${text})`);
    seen.add(key);
    scans.push(scan);
  }
  if (scans.length === 0) throw new Error('--docs-per-customer names no scan (generated, N or CxN, comma-separated)');
  return scans;
}

const runners: Record<Part, () => Promise<Figures>> = {
  throughput: () => throughput({ customers, latencyMs, concurrency }),
  latency: () => latency({ customers: boundCustomers, latencyMs: boundLatencyMs, concurrency }),
  memory: () => memory({ scans: memoryScans, concurrency }),
  rate: () => rate({ rateLimit, seconds: rateSeconds }),
  scaleout: () => scaleOut({ customers: scaleOutCustomers, latencyMs: scaleOutLatencyMs, concurrency }),
  export: () => exportPart({ records: exportRecords }),
  scale: () => scale({ customers: scaleCustomers, concurrency }),
  detection: async () => detection({ customers: detectionCustomers, days: detectionDays, rps: detectionRps }),
  realrun: () => realRun(realRunOptions),
};
const result: Record<string, number | string[]> = { parts };
try {
  for (const part of PARTS) {
    if (!parts.includes(part)) continue;
    Object.assign(result, await runners[part]());
  }
} catch (error) {
  // Not a result (the run is aborted), but what the parts before measured need not be run again to be seen.
  if (Object.keys(result).length > 1) log(`aborted; figures measured before: ${JSON.stringify(result)}`);
  throw error;
}
// The one figure taken from two parts: memory at --memory-customers against memory at --customers.
const small = result[`peakRssMb${size(customers)}`];
const large = result[`peakRssMb${size(memoryCustomers)}`];
if (typeof small === 'number' && typeof large === 'number') result.memoryGrowthRatio = round(large / small, 3);

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const width = Math.max(...Object.keys(result).map((k) => k.length));
  for (const [key, value] of Object.entries(result)) process.stdout.write(`${key.padEnd(width)} ${Array.isArray(value) ? value.join(', ') : value}\n`);
}
