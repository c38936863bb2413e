// throughput: --customers at --latency-ms: the ceiling (the same HTTP client fetching the same
// customers at the same concurrency, no database or queue), an unchanged scan, and a scan where
// every tenth customer changed one status.
import pLimit from 'p-limit';
import { customerIdFor } from '../../dist/sandbox/generator.js';
import { ceilingAndUnchangedScans, cleanUp, log, newRun, round, scanOnce, seed, size, startSandbox, TENANT, worldDocuments, type Figures } from '../support.ts';

export interface ThroughputOptions {
  customers: number;
  latencyMs: number;
  concurrency: number;
}

export async function throughput({ customers, latencyMs, concurrency }: ThroughputOptions): Promise<Figures> {
  log(`throughput: ${customers} customers, latency ${latencyMs} ms, concurrency ${concurrency}`);
  const sandbox = await startSandbox(['--customers', String(customers), '--latency-ms', String(latencyMs), '--tenant-id', TENANT]);
  const run = newRun('bench');
  try {
    await seed(run, customers);
    const { ceilingPerSecond, scans, scanPerSecond } = await ceilingAndUnchangedScans('throughput', run, sandbox.url, customers, concurrency);
    const unchanged = { ...scans[1]!, perSecond: scanPerSecond, peakRssMb: Math.max(...scans.map((s) => s.peakRssMb)) };
    const changedCustomers = await changeTenthOfCustomers(sandbox.url, customers, concurrency);
    const changed = await scanOnce(run, sandbox.url, customers, concurrency);
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

/** Changes one document status of every tenth customer (of the benchmark's world: the sandbox's data now). */
async function changeTenthOfCustomers(sandboxUrl: string, count: number, concurrency: number): Promise<number> {
  const statuses = ['verified', 'underverification', 'incomplete', 'expired', 'declined'];
  const limit = pLimit(concurrency);
  const ids = Array.from({ length: Math.floor(count / 10) }, (_, k) => customerIdFor(k * 10));
  await Promise.all(ids.map((id) => limit(async () => {
    const documents = worldDocuments(id);
    const first = documents[0];
    if (!first) throw new Error(`${id} has no documents`);
    first.status = statuses[(statuses.indexOf(first.status) + 1) % statuses.length] ?? 'verified';
    const response = await fetch(`${sandboxUrl}/_sandbox/customers/${id}/documents`, { method: 'PUT', body: JSON.stringify({ documents }) });
    if (!response.ok) throw new Error(`setting the documents of ${id} failed: ${response.status}`);
  })));
  return ids.length;
}
