// scale: a million tracked customers (--scale-customers, 1,000,000), in a database of the run's own.
//   1. `kyc-monitor track import` of a file of every id into an empty tracked list (`import1MSeconds`).
//      One id in a hundred is not a sandbox customer (`cust-000099-gone`: imported by mistake,
//      or deleted at Cyrexa since), scattered through the list: the sandbox answers 404 for them.
//   2. Snapshots of the sandbox customers written in bulk (support's seedSnapshots), and cases
//      in bulk: open and acknowledged ones for documents in an alert status, resolved ones.
//   3. One full scan of every customer in a process of its own (`peakRssMb1M`): nothing
//      changes, and exactly the customers unknown to the sandbox fail (they are the failing list).
//   4. After VACUUM ANALYZE: `status`, `status --json`, `track list --failing` and `cases list`
//      as a user runs them (a process each, Node start-up included: the median of three), and the
//      size of the database per customer (`dbBytesPerCustomer`). `status` on the empty database
//      (before the import) is the same command's fixed cost (`statusSecondsEmpty`). Then the same
//      four without Node's start-up (bench/command-child.ts: the command's modules loaded first,
//      then the command function timed): `…CommandSeconds1M`.
//   5. Continuous mode's due times spread as a day of checking leaves them (the policy's four
//      priorities, due over the next 24 hours, a tick's worth overdue), then the tick's choice of
//      the customers due now (src/sql/insert-tick-scan.ts dueCustomersSql, a budget of
//      tickBudget(10/s, 1 min) = 540): the median of five (`dueQuerySeconds1M`).
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { customerIdFor } from '../../dist/sandbox/generator.js';
import { createDatabase } from '../../dist/store/database.js';
import { migrate } from '../../dist/store/migrations.js';
import { dueCustomersSql } from '../../dist/sql/insert-tick-scan.js';
import { tickBudget } from '../../dist/domain/check-policy.js';
import { cleanUp, log, newRun, root, round, scanExpecting, seedSnapshots, startSandbox, TENANT, type BenchRun, type Figures } from '../support.ts';

/** The Node flags `bin/kyc-monitor` runs the CLI with, for the command measured without start-up. */
const NODE_FLAGS = (process.env.KYC_MONITOR_NODE_FLAGS ?? readFileSync(`${root}/bin/node-flags`, 'utf8')).trim().split(/\s+/).filter(Boolean);

export interface ScaleOptions {
  customers: number;
  concurrency: number;
}

export async function scale({ customers, concurrency }: ScaleOptions): Promise<Figures> {
  const gone = Math.round(customers / 100);
  const known = customers - gone;
  const cases = { open: Math.round(customers / 500), acknowledged: Math.round(customers / 1000), resolved: Math.round(customers / 200) };
  log(`scale: ${customers} customers (${gone} unknown to the sandbox), ${cases.open + cases.acknowledged + cases.resolved} cases`);
  const sandbox = await startSandbox(['--customers', String(known), '--tenant-id', TENANT]);
  const run = newRun('bench_scale');
  const idsFile = path.join(tmpdir(), `kyc-bench-scale-${process.pid}.txt`);
  try {
    await migrate(run.databaseUrl);
    const statusSecondsEmpty = (await cli(run, ['status'])).seconds;

    await writeIds(idsFile, known, gone);
    const imported = await cli(run, ['track', 'import', idsFile]);
    if (!imported.stdout.includes(`imported ${customers} id(s): ${customers} newly tracked`)) throw new Error(`scale: track import said: ${imported.stdout}`);
    log(`scale: ${customers} ids imported in ${imported.seconds.toFixed(1)} s`);

    let started = performance.now();
    await seedSnapshots(run, known);
    await seedCases(run, cases);
    log(`scale: snapshots of ${known} customers and the cases seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const scan = await scanExpecting(run, sandbox.url, { checked: known, failed: gone }, concurrency);
    if (scan.summary.changes !== 0) throw new Error(`scale: the scan recorded ${scan.summary.changes} changes`);
    log(`scale: ${customers} customers scanned in ${(scan.ms / 1000).toFixed(0)} s (${round(scan.perSecond)}/s), peak RSS ${round(scan.peakRssMb)} MB`);

    started = performance.now();
    const bytes = await sizeAfterVacuum(run);
    log(`scale: VACUUM ANALYZE in ${((performance.now() - started) / 1000).toFixed(1)} s, database ${round(bytes / 2 ** 20)} MB`);

    const statusOk = (out: string) => out.includes(`tracked customers: ${customers}`) && out.includes(`failing customers: ${gone}`);
    const statusJsonOk = (out: string) => {
      const doc = JSON.parse(out) as { trackedCustomers: number; failingCustomers: { count: number }; cases: { open: number; acknowledged: number } };
      return doc.trackedCustomers === customers && doc.failingCustomers.count === gone && doc.cases.open === cases.open && doc.cases.acknowledged === cases.acknowledged;
    };
    // A header line, then one line a customer or case.
    const failingOk = (out: string) => lines(out) === gone + 1 && out.includes('-gone');
    const casesOk = (out: string) => lines(out) === cases.open + cases.acknowledged + 1;
    const status = await median(['status'], statusOk);
    const statusJson = await median(['status', '--json'], statusJsonOk);
    const failing = await median(['track', 'list', '--failing'], failingOk);
    const caseList = await median(['cases', 'list'], casesOk);
    log(`scale: status ${status} s, status --json ${statusJson} s, track list --failing ${failing} s, cases list ${caseList} s (${statusSecondsEmpty.toFixed(2)} s for status on an empty database)`);
    const inside = {
      status: await median([], statusOk, 'status'),
      statusJson: await median([], statusJsonOk, 'status-json'),
      failing: await median([], failingOk, 'failing'),
      cases: await median([], casesOk, 'cases'),
    };
    log(`scale: without Node's start-up: status ${inside.status} s, status --json ${inside.statusJson} s, track list --failing ${inside.failing} s, cases list ${inside.cases} s`);

    const due = await dueQuery(run, customers);
    log(`scale: a tick's choice of ${due.chosen} due customers among ${customers} in ${due.seconds} s`);

    return {
      scaleCustomers: customers,
      dueQuerySeconds1M: due.seconds,
      import1MSeconds: round(imported.seconds, 1),
      statusSeconds1M: status,
      statusJsonSeconds1M: statusJson,
      failingListSeconds1M: failing,
      casesListSeconds1M: caseList,
      statusCommandSeconds1M: inside.status,
      statusJsonCommandSeconds1M: inside.statusJson,
      failingListCommandSeconds1M: inside.failing,
      casesListCommandSeconds1M: inside.cases,
      statusSecondsEmpty: round(statusSecondsEmpty, 2),
      dbBytesPerCustomer: round(bytes / customers),
      peakRssMb1M: round(scan.peakRssMb),
      scaleScanPerSecond: round(scan.perSecond),
    };
  } finally {
    await rm(idsFile, { force: true });
    await cleanUp(run, [sandbox.child]);
  }

  /** The median wall time of three runs of the command, each of whose output must pass `valid`. */
  async function median(args: string[], valid: (stdout: string) => boolean, inProcess?: string): Promise<number> {
    const seconds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { seconds: s, stdout } = await cli(run, args, inProcess);
      if (!valid(stdout)) throw new Error(`scale: \`kyc-monitor ${args.join(' ')}\` printed what it should not:\n${stdout.slice(0, 2000)}`);
      seconds.push(s);
    }
    return round(seconds.sort((a, b) => a - b)[1] ?? 0, 3);
  }
}

/** The ids of the `known` sandbox customers in order, with one unknown id after every ~99th of them. */
async function writeIds(file: string, known: number, gone: number): Promise<void> {
  const out = createWriteStream(file);
  const every = Math.max(1, Math.floor(known / gone));
  let written = 0;
  let chunk = '';
  for (let i = 0; i < known; i++) {
    const id = customerIdFor(i);
    chunk += `${id}\n`;
    if (i % every === every - 1 && written < gone) {
      chunk += `${id}-gone\n`;
      written++;
    }
    if (chunk.length > 64 * 1024) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  for (; written < gone; written++) chunk += `zz-gone-${written}\n`;
  out.end(chunk);
  await once(out, 'close');
}

/**
 * Cases in bulk, over the last 30 days: open and acknowledged ones (one per document identity)
 * for documents in an alert status, as the scan would have opened them, so that the scan keeps
 * them; resolved ones (manual or recovered) for other documents. Each with its timeline's entries.
 */
async function seedCases(run: BenchRun, counts: { open: number; acknowledged: number; resolved: number }): Promise<void> {
  const db = createDatabase({ url: run.databaseUrl });
  try {
    await db.withClient(async (c) => {
      await c.query(
        `INSERT INTO cases (customer_id, purpose, document_type, document_name, document_status, expires_on, state, opened_at, last_alert_at,
                            acknowledged_at, acknowledged_by, last_emailed_at)
         SELECT customer_id, purpose, document_type, name, status, expires_on, CASE WHEN n <= $2::int THEN 'acknowledged' ELSE 'open' END, at, at,
                CASE WHEN n <= $2::int THEN at + interval '2 hours' END, CASE WHEN n <= $2::int THEN 'analyst@example.com' END, at
         FROM (
           SELECT d.*, row_number() OVER (ORDER BY hashtext(d.customer_id), d.id) AS n
           FROM (SELECT DISTINCT ON (customer_id, purpose, document_type, name) * FROM document_snapshots
                 WHERE removed_at IS NULL AND status IN ('expired', 'declined') ORDER BY customer_id, purpose, document_type, name, id) AS d
         ) AS s, LATERAL (SELECT now() - interval '30 days' * (n::float8 / ($1::int + $2::int)) AS at) AS t
         WHERE n <= $1::int + $2::int`,
        [counts.open, counts.acknowledged],
      );
      await c.query(
        `INSERT INTO cases (customer_id, purpose, document_type, document_name, document_status, expires_on, state, opened_at, last_alert_at,
                            resolved_at, resolved_by, resolution, last_emailed_at)
         SELECT customer_id, purpose, document_type, name, 'expired', expires_on, 'resolved', at, at, at + interval '1 day',
                CASE WHEN n % 3 = 0 THEN 'analyst@example.com' ELSE 'system' END, CASE WHEN n % 3 = 0 THEN 'manual' ELSE 'recovered' END, at
         FROM (SELECT d.*, row_number() OVER (ORDER BY hashtext(d.customer_id || 'r'), d.id) AS n FROM document_snapshots AS d) AS s,
              LATERAL (SELECT now() - interval '60 days' * (n::float8 / $1::int) AS at) AS t
         WHERE n <= $1::int`,
        [counts.resolved],
      );
      await c.query(
        `INSERT INTO case_events (case_id, at, kind, actor, details)
         SELECT id, opened_at, 'opened', 'system', '{}'::jsonb FROM cases
         UNION ALL SELECT id, acknowledged_at, 'acknowledged', acknowledged_by, '{}'::jsonb FROM cases WHERE acknowledged_at IS NOT NULL
         UNION ALL SELECT id, resolved_at, 'resolved', resolved_by, jsonb_build_object('resolution', resolution) FROM cases WHERE resolved_at IS NOT NULL
         ORDER BY 2`,
      );
    });
  } finally {
    await db.close();
  }
}

/**
 * Spreads the customers' due times as continuous mode leaves them after a day (priority 1 for
 * one in twenty, 2 for three in ten, 3 for the rest; due times over the next 24 hours, one in
 * 720 two minutes overdue), then times the tick's choice of the customers due now.
 */
async function dueQuery(run: BenchRun, customers: number): Promise<{ seconds: number; chosen: number }> {
  const db = createDatabase({ url: run.databaseUrl });
  try {
    await db.withClient((c) =>
      c.query(`UPDATE tracked_customers SET
                 due_priority = CASE WHEN abs(hashtext(customer_id)) % 100 < 5 THEN 1 WHEN abs(hashtext(customer_id)) % 100 < 35 THEN 2 ELSE 3 END,
                 due_at = CASE WHEN abs(hashtext(customer_id || 'due')) % 720 = 0 THEN now() - interval '2 minutes'
                               ELSE now() + (abs(hashtext(customer_id || 'at')) % 86400) * interval '1 second' END`),
    );
    await db.withClient((c) => c.query('VACUUM ANALYZE tracked_customers'));
    const budget = tickBudget(10, 60_000);
    const times: number[] = [];
    let chosen = 0;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const { rows } = await db.withClient((c) => c.query(dueCustomersSql('$1'), [budget]));
      times.push((performance.now() - started) / 1000);
      chosen = rows.length;
    }
    // A tick's worth is overdue: the budget is filled.
    if (chosen !== Math.min(budget, Math.floor(customers / 720))) log(`scale: the tick chose ${chosen} customers`);
    if (chosen === 0) throw new Error('scale: the tick chose nobody');
    return { seconds: round(times.sort((a, b) => a - b)[2] ?? 0, 3), chosen };
  } finally {
    await db.close();
  }
}

/** What autovacuum would have done by now (it is off here), then the database's size in bytes. */
async function sizeAfterVacuum(run: BenchRun): Promise<number> {
  const db = createDatabase({ url: run.databaseUrl });
  try {
    await db.withClient((c) => c.query('VACUUM ANALYZE'));
    const { rows } = await db.withClient((c) => c.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes'));
    return Number(rows[0]?.bytes);
  } finally {
    await db.close();
  }
}

/** `kyc-monitor <args>` as a user runs it: a process of its own, timed from spawn to exit. */
function cli(run: BenchRun, args: string[], inProcess?: string): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // inProcess: the command's own time, measured inside a process that loaded its modules first.
    const [command, argv] = inProcess
      ? [process.execPath, [...NODE_FLAGS, '--disable-warning=ExperimentalWarning', `${root}/bench/command-child.ts`, inProcess]]
      : [`${root}/bin/kyc-monitor`, args];
    const child = spawn(command, argv, {
      env: { PATH: process.env.PATH, DATABASE_URL: run.databaseUrl, REDIS_URL: run.redisUrl, QUEUE_PREFIX: run.prefix, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('exit', (code) => {
      const inside = /command seconds ([\d.]+)/.exec(err);
      const seconds = inProcess && inside ? Number(inside[1]) : (performance.now() - started) / 1000;
      if (code !== 0 || (inProcess && !inside)) return reject(new Error(`scale: \`kyc-monitor ${args.join(' ')}\` exited ${code}:\n${err}`));
      resolve({ seconds, stdout: Buffer.concat(out).toString() });
    });
  });
}

const lines = (text: string) => text.split('\n').filter(Boolean).length;
