// latency: --bound-customers at --bound-latency-ms: ceiling and unchanged scan, twice each; a
// scan bound by the API's latency must keep its concurrency busy.
import { ceilingAndUnchangedScans, cleanUp, log, newRun, round, seed, startSandbox, TENANT, type Figures } from '../support.ts';

export interface LatencyOptions {
  customers: number;
  latencyMs: number;
  concurrency: number;
}

export async function latency({ customers, latencyMs, concurrency }: LatencyOptions): Promise<Figures> {
  log(`latency: ${customers} customers, latency ${latencyMs} ms, concurrency ${concurrency}`);
  const sandbox = await startSandbox(['--customers', String(customers), '--latency-ms', String(latencyMs), '--tenant-id', TENANT]);
  const run = newRun('bench');
  try {
    await seed(run, customers);
    const { ceilingPerSecond, scanPerSecond } = await ceilingAndUnchangedScans('latency', run, sandbox.url, customers, concurrency);
    return {
      boundLatencyMs: latencyMs,
      boundCeilingPerSecond: round(ceilingPerSecond),
      boundScanPerSecond: round(scanPerSecond),
      latencyBoundRatio: round(scanPerSecond / ceilingPerSecond, 3),
    };
  } finally {
    await cleanUp(run, [sandbox.child]);
  }
}
