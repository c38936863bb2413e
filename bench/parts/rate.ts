// rate: two real workers sharing CYREXA_MAX_RPS=--rate-limit against a sandbox that refuses
// above it in any second; --rate-seconds measured by the sandbox's own counters.
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { cleanUp, log, newRun, round, sandboxStats, seed, startSandbox, startWorkers, workerEnv, type Figures } from '../support.ts';

export interface RateOptions {
  rateLimit: number;
  seconds: number;
}

export async function rate({ rateLimit, seconds }: RateOptions): Promise<Figures> {
  // Enough customers that the scan outlasts the measurement.
  const count = Math.ceil(rateLimit * (seconds + 20));
  log(`rate: ${count} customers, limit ${rateLimit}/s, two workers, ${seconds} s measured`);
  // An ordinary scan (snapshots exist), not a first one: what the workers do day after day.
  const run = newRun('bench_rate');
  const children: ChildProcess[] = [];
  try {
    await seed(run, count);
    const sandbox = await startSandbox(['--customers', String(count), '--rate-limit', String(rateLimit)]);
    children.push(sandbox.child);
    const workers = await startWorkers(2, workerEnv(run, sandbox.url, { CYREXA_MAX_RPS: String(rateLimit), SCAN_EVERY_SECONDS: '86400' }), children);
    // Let both workers take up the scan before the clock starts.
    await delay(3_000);
    const before = await sandboxStats(sandbox.url);
    const started = performance.now();
    await delay(seconds * 1000);
    const after = await sandboxStats(sandbox.url);
    const elapsed = (performance.now() - started) / 1000;
    for (const [i, w] of workers.entries()) if (w.exitCode !== null) throw new Error(`worker ${i + 1} exited (${w.exitCode}) during the measurement`);
    const answered = after.ok - before.ok;
    if (answered < rateLimit * seconds * 0.5) throw new Error(`only ${answered} requests answered in ${seconds} s: the scan did not run at the limit`);
    const observed = answered / elapsed;
    return { rateLimit, rateSeconds: round(elapsed, 1), rateObservedPerSecond: round(observed, 1), rateRatio: round(observed / rateLimit, 3), rate429: after.refused - before.refused };
  } finally {
    await cleanUp(run, children);
  }
}
