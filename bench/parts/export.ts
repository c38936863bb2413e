// export: `kyc-monitor export` of --export-records (1,000,000) timeline records, seeded in bulk
// (ten entries for each of records / 10 cases, of records / 100 customers), written to a file by
// the real command under the product's Node flags: its time and peak RSS (`exportPeakRssMb`),
// measured by /usr/bin/time. The file must hold every record.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createDatabase } from '../../dist/store/database.js';
import { migrate } from '../../dist/store/migrations.js';
import { cleanUp, log, newRun, root, round, type Figures } from '../support.ts';

export async function exportPart({ records }: { records: number }): Promise<Figures> {
  const run = newRun('bench_export');
  const cases = Math.ceil(records / 10);
  const customers = Math.max(1, Math.ceil(records / 100));
  const out = path.join(tmpdir(), `kyc-bench-export-${process.pid}.jsonl`);
  try {
    await migrate(run.databaseUrl);
    const db = createDatabase({ url: run.databaseUrl });
    const started = performance.now();
    try {
      await db.withClient(async (c) => {
        await c.query(`INSERT INTO tracked_customers (customer_id) SELECT 'exp-' || i FROM generate_series(1, $1::int) AS i`, [customers]);
        await c.query(
          `INSERT INTO cases (customer_id, purpose, document_type, document_name, document_status, state, opened_at, last_alert_at)
           SELECT 'exp-' || (1 + i % $2::int), 'KYC', 'Passport', 'document-' || i, 'expired', 'open', t, t
           FROM generate_series(1, $1::int) AS i, LATERAL (SELECT now() - interval '30 days' + i * interval '20 seconds' AS t) AS o`,
          [cases, customers],
        );
        await c.query(
          `INSERT INTO case_events (case_id, at, kind, actor, details)
           SELECT c.id, c.opened_at + k * interval '1 minute', (ARRAY['opened','alert','email','reminder','reminder','note','acknowledged','note','note','resolved'])[k], 'system',
                  jsonb_build_object('note', 'bench entry ' || k, 'recipients', jsonb_build_array('compliance@example.com'), 'messageId', '<' || c.id || '.' || k || '@bench>')
           FROM cases AS c, generate_series(1, 10) AS k
           ORDER BY c.id, k
           LIMIT $1::int`,
          [records],
        );
        // Autovacuum is off here: the planner needs the statistics.
        await c.query('VACUUM ANALYZE tracked_customers, cases, case_events');
      });
    } finally {
      await db.close();
    }
    log(`export: ${records} timeline records seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const measured = await new Promise<{ seconds: number; peakRssMb: number }>((resolve, reject) => {
      const child = spawn('/usr/bin/time', ['-f', 'TIME %e %M', `${root}/bin/kyc-monitor`, 'export', '--out', out], {
        env: { PATH: process.env.PATH, DATABASE_URL: run.databaseUrl, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => {
        const m = /TIME ([\d.]+) (\d+)/.exec(err);
        if (code !== 0 || !m) return reject(new Error(`export failed (exit ${code}): ${err.slice(-500)}`));
        resolve({ seconds: Number(m[1]), peakRssMb: Number(m[2]) / 1024 });
      });
    });
    let lines = 0;
    for await (const _ of createInterface({ input: createReadStream(out), crlfDelay: Infinity })) lines++;
    if (lines !== records) throw new Error(`export wrote ${lines} records, expected ${records}`);
    log(`export: ${records} records in ${measured.seconds} s, peak RSS ${round(measured.peakRssMb)} MB`);
    return { exportRecords: records, exportSeconds: round(measured.seconds), exportPeakRssMb: round(measured.peakRssMb) };
  } finally {
    await rm(out, { force: true });
    await cleanUp(run, []);
  }
}
