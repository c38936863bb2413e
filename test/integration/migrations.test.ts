import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject, describe, expect, it } from 'vitest';
import { migrate, pendingMigrations, dropDatabase, diffSchemas, loadMigrations, MIGRATED_SCHEMA_FILE, SCHEMA_FILE } from '../../src/store/migrations.js';
import { readFile } from 'node:fs/promises';

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
        const rows = await client.query('SELECT migration_name, checksum, finished_at FROM _prisma_migrations');
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

  it('schema.prisma has no change that a migration lacks (drift check)', async () => {
    const schema = await readFile(SCHEMA_FILE, 'utf8');
    const migrated = await readFile(MIGRATED_SCHEMA_FILE, 'utf8');
    expect(await diffSchemas(inject('templateDatabaseUrl'), migrated, schema)).toBeNull();
  });
});
