// npm run bench -- --json | npm run bench:check        (or: npm run bench:check -- result.json)
//
// Compares one `npm run bench -- --json` document with the performance targets (docs/PERFORMANCE.md).
// Prints one line per target; exits 1 when any target is missed or was not measured in that run.
import { readFileSync } from 'node:fs';

type Result = Record<string, unknown>;

interface Target {
  name: string;
  keys: string[];
  /** The measured value in words, and whether it meets the target. */
  check: (r: Record<string, number>) => [string, boolean];
  /** Conditions of the measurement (sizes, latencies) the target is defined for. */
  conditions?: Record<string, number>;
}

/** The simulation's size and budget the time-to-alert targets are defined for. */
const DETECTION = { detectionCustomers: 100_000, detectionDays: 30, detectionRps: 10 };

const TARGETS: Target[] = [
  {
    name: '1 unchanged scan ≥ 0.6 × ceiling (20,000 customers, 0 ms)',
    keys: ['unchangedRatio'],
    conditions: { customers: 20_000, latencyMs: 0 },
    check: (r) => [`${r.unchangedRatio}`, r.unchangedRatio! >= 0.6],
  },
  {
    name: '2 latency-bound scan ≥ 0.95 × ceiling (20 ms)',
    keys: ['latencyBoundRatio'],
    conditions: { boundLatencyMs: 20 },
    check: (r) => [`${r.latencyBoundRatio}`, r.latencyBoundRatio! >= 0.95],
  },
  {
    name: '3 10 % changed ≥ 0.8 × unchanged',
    keys: ['changedRatio'],
    conditions: { customers: 20_000 },
    check: (r) => [`${r.changedRatio}`, r.changedRatio! >= 0.8],
  },
  {
    name: '4 peak RSS at 200k ≤ 250 MB and ≤ 1.1 × at 20k',
    keys: ['peakRssMb20k', 'peakRssMb200k'],
    check: (r) => {
      const growth = r.peakRssMb200k! / r.peakRssMb20k!;
      return [`${r.peakRssMb200k} MB, ${growth.toFixed(3)} × ${r.peakRssMb20k} MB`, r.peakRssMb200k! <= 250 && growth <= 1.1];
    },
  },
  {
    name: '5 rate 0.95–1.0 × 200/s over 30 s, zero 429',
    keys: ['rateObservedPerSecond', 'rate429', 'rateLimit', 'rateSeconds'],
    conditions: { rateLimit: 200 },
    check: (r) => {
      const ratio = r.rateObservedPerSecond! / r.rateLimit!;
      return [`${r.rateObservedPerSecond}/s (${ratio.toFixed(3)}), ${r.rate429} × 429, ${r.rateSeconds} s`, ratio >= 0.95 && ratio <= 1 && r.rate429 === 0 && r.rateSeconds! >= 29.5];
    },
  },
  {
    name: '6 two workers ≥ 1.8 × one (50 ms)',
    keys: ['scaleOutRatio'],
    conditions: { scaleOutLatencyMs: 50 },
    check: (r) => [`${r.scaleOutRatio}`, r.scaleOutRatio! >= 1.8],
  },
  {
    name: '7 database round trips ≤ 0.1 per unchanged customer',
    keys: ['dbRoundTripsPerCustomer'],
    check: (r) => [`${r.dbRoundTripsPerCustomer}`, r.dbRoundTripsPerCustomer! <= 0.1],
  },
  {
    name: '8 peak RSS ≤ 250 MB, 200×200 and 20×5,000 documents',
    keys: ['peakRssMbDocs200x200Baseline', 'peakRssMbDocs200x200', 'peakRssMbDocs20x5000Baseline', 'peakRssMbDocs20x5000'],
    check: (r) => [
      `first / unchanged scan: ${r.peakRssMbDocs200x200Baseline} / ${r.peakRssMbDocs200x200} MB at 200×200, ${r.peakRssMbDocs20x5000Baseline} / ${r.peakRssMbDocs20x5000} MB at 20×5,000`,
      [r.peakRssMbDocs200x200Baseline!, r.peakRssMbDocs200x200!, r.peakRssMbDocs20x5000Baseline!, r.peakRssMbDocs20x5000!].every((mb) => mb <= 250),
    ],
  },
  {
    name: '9 export of 1,000,000 timeline records: peak RSS < 250 MB',
    keys: ['exportPeakRssMb', 'exportSeconds'],
    conditions: { exportRecords: 1_000_000 },
    check: (r) => [`${r.exportPeakRssMb} MB in ${r.exportSeconds} s`, r.exportPeakRssMb! < 250],
  },
  {
    name: '10 track import of 1,000,000 ids ≤ 60 s',
    keys: ['import1MSeconds'],
    conditions: { scaleCustomers: 1_000_000 },
    check: (r) => [`${r.import1MSeconds} s`, r.import1MSeconds! <= 60],
  },
  {
    name: '11 status at 1,000,000 customers ≤ 1 s (process)',
    keys: ['statusSeconds1M', 'statusJsonSeconds1M'],
    conditions: { scaleCustomers: 1_000_000 },
    check: (r) => [`${r.statusSeconds1M} s, --json ${r.statusJsonSeconds1M} s`, r.statusSeconds1M! <= 1 && r.statusJsonSeconds1M! <= 1],
  },
  {
    name: '12 track list --failing at 1,000,000 ≤ 1 s (process)',
    keys: ['failingListSeconds1M'],
    conditions: { scaleCustomers: 1_000_000 },
    check: (r) => [`${r.failingListSeconds1M} s`, r.failingListSeconds1M! <= 1],
  },
  {
    name: '13 cases list at 1,000,000 customers ≤ 1 s (process)',
    keys: ['casesListSeconds1M'],
    conditions: { scaleCustomers: 1_000_000 },
    check: (r) => [`${r.casesListSeconds1M} s`, r.casesListSeconds1M! <= 1],
  },
  {
    name: '14 peak RSS, scan of 1,000,000 customers ≤ 250 MB',
    keys: ['peakRssMb1M'],
    conditions: { scaleCustomers: 1_000_000 },
    check: (r) => [`${r.peakRssMb1M} MB`, r.peakRssMb1M! <= 250],
  },
  {
    name: "15 continuous mode's tick chooses who is due among 1,000,000 customers ≤ 1 s",
    keys: ['dueQuerySeconds1M'],
    conditions: { scaleCustomers: 1_000_000 },
    check: (r) => [`${r.dueQuerySeconds1M} s`, r.dueQuerySeconds1M! <= 1],
  },
  // Time to alert, simulated (`--only detection`): the continuous mode's policy against a daily cron scan.
  {
    name: '16 policy: p95 expiry to alert ≤ 900 s (date known)',
    keys: ['policyP95ExpiredSeconds'],
    conditions: DETECTION,
    check: (r) => [`${r.policyP95ExpiredSeconds} s`, r.policyP95ExpiredSeconds! <= 900],
  },
  {
    name: '17 policy: p95 decline to alert ≤ 0.1 × cron',
    keys: ['policyP95DeclinedSeconds', 'cronP95DeclinedSeconds'],
    conditions: DETECTION,
    check: (r) => {
      const ratio = r.policyP95DeclinedSeconds! / r.cronP95DeclinedSeconds!;
      return [`${r.policyP95DeclinedSeconds} s, ${ratio.toFixed(3)} × ${r.cronP95DeclinedSeconds} s`, ratio <= 0.1];
    },
  },
  {
    name: '18 policy: no customer unchecked over 24 h',
    keys: ['oldestCheckHours'],
    conditions: DETECTION,
    check: (r) => [`${r.oldestCheckHours} h`, r.oldestCheckHours! <= 24],
  },
  {
    name: '19 policy: no second over the request budget',
    keys: ['budgetExceededSeconds'],
    conditions: DETECTION,
    check: (r) => [`${r.budgetExceededSeconds} s`, r.budgetExceededSeconds === 0],
  },
  // The simulation confirmed (`--only realrun`): a real worker against a sandbox at a faster time scale.
  {
    name: "20 real run: p95s of time to alert within 25 % of the simulation's",
    keys: ['realVsSimulatedP95Ratio', 'realVsSimulatedP95ExpiredRatio', 'realVsSimulatedP95DeclinedRatio'],
    check: (r) => [
      `expired ${r.realVsSimulatedP95ExpiredRatio} ×, declined ${r.realVsSimulatedP95DeclinedRatio} × the simulation's`,
      r.realVsSimulatedP95Ratio! >= 0.75 && r.realVsSimulatedP95Ratio! <= 1.25,
    ],
  },
];

/** Figures printed with the targets' verdicts but with no target of their own: a missing one fails nothing. */
const REPORTED: Array<{ name: string; key: string; unit: string }> = [{ name: 'database size at 1,000,000 customers', key: 'dbBytesPerCustomer', unit: 'bytes a customer' }];

const path = process.argv[2];
const text = path ? readFileSync(path, 'utf8') : readFileSync(0, 'utf8');
const line = text.trim().split('\n').at(-1) ?? '';
let result: Result;
try {
  result = JSON.parse(line) as Result;
} catch {
  process.stderr.write(`bench:check: expected the JSON line of \`npm run bench -- --json\`, got: ${line.slice(0, 200)}\n`);
  process.exit(2);
}

let failed = 0;
for (const target of TARGETS) {
  const needed = [...target.keys, ...Object.keys(target.conditions ?? {})];
  const missing = needed.filter((k) => typeof result[k] !== 'number');
  let verdict: string;
  let ok = false;
  if (missing.length) {
    verdict = `not measured (no ${missing.join(', ')})`;
  } else {
    const wrong = Object.entries(target.conditions ?? {}).filter(([k, v]) => result[k] !== v);
    if (wrong.length) {
      verdict = `measured under other conditions (${wrong.map(([k, v]) => `${k} ${String(result[k])}, target needs ${v}`).join('; ')})`;
    } else {
      const [value, met] = target.check(result as Record<string, number>);
      verdict = value;
      ok = met;
    }
  }
  if (!ok) failed++;
  process.stdout.write(`${ok ? 'pass' : 'FAIL'}  ${target.name.padEnd(52)} ${verdict}\n`);
}
for (const { name, key, unit } of REPORTED) {
  const value = result[key];
  process.stdout.write(`info  ${name.padEnd(52)} ${typeof value === 'number' ? `${value} ${unit}` : 'not measured'}\n`);
}
process.stdout.write(failed ? `${failed} of ${TARGETS.length} targets missed\n` : `all ${TARGETS.length} targets met\n`);
process.exit(failed ? 1 : 0);
