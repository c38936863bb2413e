// One scan through the real code path (App + runScanInProcess, as `kyc-monitor scan`), in a
// process of its own so that its peak RSS is its own. Prints one JSON line.
import pg from 'pg';
import { App } from '../dist/app.js';
import { parseConfig } from '../dist/config.js';
import { createLogger } from '../dist/logger.js';
import { Secrets } from '../dist/secrets.js';
import { runScanInProcess } from '../dist/scan/run-in-process.js';

// Every statement the scan sends to Postgres (BEGIN and COMMIT included) is one round trip.
let queries = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queries++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const config = parseConfig(process.env, ['database', 'redis', 'cyrexa', 'scan', 'rules', 'mail']);
const latencies: number[] = [];
const app = await new App(config, createLogger('warn', new Secrets(config.secrets)), { onCyrexaAttempt: ({ ms }) => latencies.push(ms) }).load();
try {
  const started = performance.now();
  queries = 0;
  const result = await runScanInProcess(app.lifecycle);
  const ms = performance.now() - started;
  if (result.kind !== 'finished') throw new Error(`scan did not run: ${JSON.stringify(result)}`);
  latencies.sort((a, b) => a - b);
  const p95 = latencies.length ? (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.95))] ?? 0) : 0;
  process.stdout.write(
    `${JSON.stringify({ ms, summary: result.summary, requests: latencies.length, queries, meanInFlight: latencies.reduce((a, b) => a + b, 0) / ms, p95LatencyMs: p95, peakRssMb: process.resourceUsage().maxRSS / 1024, memory: process.memoryUsage() })}\n`,
  );
} finally {
  await app.close();
}
