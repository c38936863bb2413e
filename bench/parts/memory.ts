// memory: peak RSS (maxRSS) of scanning processes, under the product's Node flags.
//   generated      an unchanged scan of N customers with the sandbox's own 3–5 documents each
//                  (snapshots seeded): `peakRssMb<N>`.
//   C × N          C customers with N documents each (bench/docs-sandbox.ts): a first (baseline)
//                  scan, which writes every document, then an unchanged scan:
//                  `peakRssMbDocs<C>x<N>Baseline`, `peakRssMbDocs<C>x<N>`.
import { createDatabase } from '../../dist/store/database.js';
import {
  cleanUp,
  log,
  newRun,
  round,
  scanOnce,
  seed,
  size,
  startSandbox,
  startSandboxWithDocuments,
  TENANT,
  trackGeneratedCustomers,
  vacuumAnalyze,
  type BenchRun,
  type Figures,
} from '../support.ts';

export type MemoryScan = { customers: number; documents: 'generated' } | { customers: number; documents: number };

export interface MemoryOptions {
  scans: readonly MemoryScan[];
  concurrency: number;
}

export async function memory({ scans, concurrency }: MemoryOptions): Promise<Figures> {
  const figures: Figures = {};
  for (const scan of scans) {
    Object.assign(figures, scan.documents === 'generated' ? await generated(scan.customers, concurrency) : await documentHeavy(scan.customers, scan.documents, concurrency));
  }
  return figures;
}

async function generated(customers: number, concurrency: number): Promise<Figures> {
  log(`memory: ${customers} customers`);
  const sandbox = await startSandbox(['--customers', String(customers), '--tenant-id', TENANT]);
  const run = newRun('bench');
  try {
    await seed(run, customers);
    const scan = await scanOnce(run, sandbox.url, customers, concurrency);
    if (scan.summary.changes !== 0) throw new Error(`the memory scan recorded ${scan.summary.changes} changes`);
    log(`memory: ${customers} customers scanned at ${round(scan.perSecond)}/s, peak RSS ${round(scan.peakRssMb)} MB; at the end ${JSON.stringify(scan.memory)}`);
    return { memoryCustomers: customers, [`peakRssMb${size(customers)}`]: round(scan.peakRssMb), memoryScanPerSecond: round(scan.perSecond) };
  } finally {
    await cleanUp(run, [sandbox.child]);
  }
}

async function documentHeavy(customers: number, perCustomer: number, concurrency: number): Promise<Figures> {
  const sandbox = await startSandboxWithDocuments(customers, perCustomer);
  const run = newRun('bench_docs');
  const documents = customers * perCustomer;
  const what = `${customers} customers × ${perCustomer} documents`;
  try {
    log(`memory: ${what} (${sandbox.kbPerAnswer} KB an answer)`);
    await trackGeneratedCustomers(run, customers);
    const baseline = await scanOnce(run, sandbox.url, customers, concurrency);
    if (baseline.summary.changes !== documents) throw new Error(`memory: the first scan of ${what} recorded ${baseline.summary.changes} changes, expected ${documents}`);
    const stored = await liveSnapshots(run);
    if (stored !== documents) throw new Error(`memory: the first scan of ${what} left ${stored} snapshots, expected ${documents}`);
    await vacuumAnalyze(run);
    const unchanged = await scanOnce(run, sandbox.url, customers, concurrency);
    if (unchanged.summary.changes !== 0) throw new Error(`memory: the unchanged scan of ${what} recorded ${unchanged.summary.changes} changes`);
    for (const [name, scan] of [['first', baseline], ['unchanged', unchanged]] as const) {
      log(`memory: ${what}, ${name} scan in ${(scan.ms / 1000).toFixed(1)} s, peak RSS ${round(scan.peakRssMb)} MB; at the end ${JSON.stringify(scan.memory)}`);
    }
    const key = `peakRssMbDocs${customers}x${perCustomer}`;
    return { [`${key}Baseline`]: round(baseline.peakRssMb), [key]: round(unchanged.peakRssMb) };
  } finally {
    await cleanUp(run, [sandbox.child]);
  }
}

async function liveSnapshots(run: BenchRun): Promise<number> {
  const db = createDatabase({ url: run.databaseUrl });
  try {
    const result = await db.withClient((c) => c.query<{ n: string }>('SELECT count(*) AS n FROM document_snapshots WHERE removed_at IS NULL'));
    return Number(result.rows[0]?.n);
  } finally {
    await db.close();
  }
}
