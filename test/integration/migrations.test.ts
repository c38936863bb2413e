import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject, describe, expect, it } from 'vitest';
import { migrate, pendingMigrations, dropDatabase, diffSchemas, ensureDatabase, loadMigrations, SCHEMA_FILE } from '../../src/store/migrations.js';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Migrations through Prisma's WebAssembly schema engine (an internal API, pinned in
// package.json): this test is what tells us an upgrade broke it.

function freshUrl(): string {
  const url = new URL(inject('templateDatabaseUrl'));
  url.pathname = `/kyc_test_${inject('runId')}_m${randomBytes(3).toString('hex')}`;
  return url.toString();
}

describe('migrations', () => {
  it('creates the database, applies every migration once, with Prisma bookkeeping', async () => {
    const url = freshUrl();
    try {
      const first = await migrate(url);
      expect(first.createdDatabase).toBe(true);
      const all = (await loadMigrations()).migrationDirectories.map((d) => d.path);
      expect(first.applied).toEqual(all);
      expect(await migrate(url)).toEqual({ createdDatabase: false, applied: [] });
      expect(await pendingMigrations(url)).toEqual([]);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const rows = await client.query('SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name');
        expect(rows.rows.map((r: { migration_name: string }) => r.migration_name)).toEqual(all);
        expect(rows.rows.every((r: { checksum: string; finished_at: Date | null }) => r.checksum.length === 64 && r.finished_at !== null)).toBe(true);
        const tables = await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
        expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual(
          expect.arrayContaining(['alerts', 'document_events', 'document_snapshots', 'scan_batches', 'scans', 'tracked_customers']),
        );
      } finally {
        await client.end();
      }
    } finally {
      await dropDatabase(url);
    }
  });

  it('sends each migration to Postgres whole, as `prisma migrate deploy` does; a failing one is named and leaves nothing behind', async () => {
    // Prisma's pg adapter would split this script at every `;`: in the comment, the string and
    // the function body. The timeline's append-only trigger is written like this.
    const dir = await mkdtemp(path.join(tmpdir(), 'kyc-migrations-'));
    const url = freshUrl();
    try {
      await writeFile(path.join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
      await mkdir(path.join(dir, '20260101000000_whole'));
      await writeFile(
        path.join(dir, '20260101000000_whole', 'migration.sql'),
        `-- a comment; with a semicolon\nCREATE TABLE t (v text DEFAULT 'a;b');\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND\n$$;\n`,
      );
      expect((await migrate(url, dir)).applied).toEqual(['20260101000000_whole']);
      const row = await withClient(url, async (c) => (await c.query<{ v: string; f: number }>("INSERT INTO t DEFAULT VALUES RETURNING v, f() AS f")).rows[0]);
      expect(row).toEqual({ v: 'a;b', f: 1 });

      // A script whose second statement fails: the first is undone too (one implicit transaction).
      await mkdir(path.join(dir, '20260102000000_broken'));
      await writeFile(path.join(dir, '20260102000000_broken', 'migration.sql'), 'CREATE TABLE u (id int);\nALTER TABLE missing ADD COLUMN x int;\n');
      const failure = await migrate(url, dir).then(() => null, (error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toContain('20260102000000_broken');
      expect((failure as Error).message).toContain('No such table: missing');
      const u = await withClient(url, async (c) => (await c.query("SELECT to_regclass('public.u') AS u")).rows[0]);
      expect(u).toEqual({ u: null });
    } finally {
      await dropDatabase(url);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('dropDatabase refuses to hide a session left connected: it drops the database and names the session', async () => {
    const url = freshUrl();
    await ensureDatabase(url);
    const leaked = new pg.Client({ connectionString: url, application_name: 'leaky-test-pool' });
    await leaked.connect();
    leaked.on('error', () => undefined); // the forced drop ends it
    try {
      await expect(dropDatabase(url, 300)).rejects.toThrow(/still had 1 session\(s\) 300 ms after its users were done: pid \d+ \(leaky-test-pool, idle/);
      const admin = new pg.Client({ connectionString: inject('templateDatabaseUrl') });
      await admin.connect();
      try {
        const name = new URL(url).pathname.slice(1);
        expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount).toBe(0);
      } finally {
        await admin.end();
      }
    } finally {
      await leaked.end().catch(() => undefined);
    }
  });

  it('is safe when several replicas migrate a new database at once', async () => {
    const url = freshUrl();
    try {
      const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
      expect(results.flatMap((r) => r.applied)).toHaveLength((await loadMigrations()).migrationDirectories.length);
      expect(await pendingMigrations(url)).toEqual([]);
    } finally {
      await dropDatabase(url);
    }
  });

  it('schema.prisma describes exactly the database the migrations make (drift check)', async () => {
    // One database from the migrations, one from schema.prisma as Prisma renders it; their
    // catalogs must agree. CHECK constraints and partial indexes live in the migrations only
    // (Prisma's schema language has neither), so they are compared with the list the code
    // relies on instead.
    const migrated = freshUrl();
    const rendered = freshUrl();
    try {
      await migrate(migrated);
      await ensureDatabase(rendered);
      const sql = await diffSchemas(rendered, null, await readFile(SCHEMA_FILE, 'utf8'));
      await withClient(rendered, (c) => c.query(sql ?? ''));
      const [a, b] = await Promise.all([catalog(migrated), catalog(rendered)]);
      const partial = a.structure.filter((line) => / WHERE /.test(line));
      expect(partial).toEqual([
        "cases CREATE INDEX cases_open_follow_up_idx ON public.cases USING btree (opened_at) WHERE ((state)::text = 'open'::text)",
        "cases CREATE UNIQUE INDEX cases_unresolved_identity_key ON public.cases USING btree (customer_id, purpose, document_type, document_name) WHERE ((state)::text <> 'resolved'::text)",
        'ops_incidents CREATE UNIQUE INDEX ops_incidents_open_kind_key ON public.ops_incidents USING btree (kind) WHERE (ended_at IS NULL)',
        "tracked_customers CREATE INDEX tracked_customers_failing_idx ON public.tracked_customers USING btree (customer_id) WHERE ((last_outcome)::text = 'failed'::text)",
      ]);
      expect(a.structure.filter((line) => !partial.includes(line))).toEqual(b.structure);
      expect(b.checks).toEqual([]);
      expect(a.checks).toEqual([
        'alert_deliveries.alert_deliveries_status_check',
        'alerts.alerts_kind_check',
        'alerts.alerts_shape_check',
        'alerts.alerts_status_check',
        'case_events.case_events_kind_check',
        'cases.cases_acknowledged_check',
        'cases.cases_resolution_check',
        'cases.cases_resolved_check',
        'cases.cases_state_check',
        'document_events.document_events_kind_check',
        'scans.scans_running_slot_check',
        'scans.scans_status_check',
        'scans.scans_trigger_check',
        'silences.silences_period_check',
        'silences.silences_removed_check',
        'tracked_customers.tracked_customers_due_priority_check',
        'tracked_customers.tracked_customers_last_outcome_check',
        'unknown_values.unknown_values_field_check',
      ]);
      // The timeline's append-only guard (a PL/pgSQL function: its body's `;` reach Postgres whole).
      expect(b.triggers).toEqual([]);
      expect(a.triggers).toEqual(['case_events.case_events_append_only', 'case_events.case_events_no_truncate']);
    } finally {
      await Promise.all([dropDatabase(migrated), dropDatabase(rendered)]);
    }
  });
});

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Tables, columns, indexes and constraints of the public schema, as sorted lines of text. */
async function catalog(url: string): Promise<{ structure: string[]; checks: string[]; triggers: string[] }> {
  return withClient(url, async (c) => {
    const columns = await c.query<{ line: string }>(`
      SELECT format('%s.%s %s%s%s', table_name, column_name, data_type, CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END,
                    coalesce(' default ' || column_default, '')) AS line
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
    const indexes = await c.query<{ line: string }>(`
      SELECT format('%s %s', tablename, indexdef) AS line FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`);
    const constraints = await c.query<{ line: string; type: string }>(`
      SELECT format('%s.%s %s', t.relname, k.conname, pg_get_constraintdef(k.oid)) AS line, k.contype AS type
      FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'`);
    const triggers = await c.query<{ line: string }>(`
      SELECT format('%s.%s', t.relname, g.tgname) AS line FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' AND NOT g.tgisinternal`);
    const checks = constraints.rows.filter((r) => r.type === 'c').map((r) => r.line.split(' ')[0] ?? '');
    const structure = [...columns.rows, ...indexes.rows, ...constraints.rows.filter((r) => r.type !== 'c')].map((r) => r.line);
    return { structure: structure.sort(), checks: checks.sort(), triggers: triggers.rows.map((r) => r.line).sort() };
  });
}
