import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Worker } from 'node:worker_threads';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import type { EngineReply, EngineTask } from './schema-engine-worker.js';

// Migrations are kept in Prisma Migrate's folder format and applied with Prisma's own schema
// engine (its WebAssembly build, driven through the pg driver adapter), so `prisma migrate deploy`
// and `kyc-monitor migrate` are interchangeable and share the `_prisma_migrations` bookkeeping.

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
export const SCHEMA_FILE = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));

/** Arbitrary constant: replicas starting together apply migrations one at a time. */
const MIGRATION_LOCK_ID = 0x6b79636d; // "kycm"

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const lockPath = path.join(dir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  const directories = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      directories.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(path.join(dir, name, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (error: Error) => ({ tag: 'error' as const, value: error.message }),
          ),
        },
      })),
    ),
  };
}

/**
 * A connection of its own for one short task. A server that ends it meanwhile (a restart, an
 * administrator's pg_terminate_backend) fails the task's query; without a listener the 'error'
 * event would also end the process.
 */
function connection(url: string, connectTimeoutMs: number): pg.Client {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => undefined);
  return client;
}

/** Runs one schema engine task in a worker thread of its own (see schema-engine-worker.ts). */
async function runEngine<T>(task: EngineTask): Promise<T> {
  // Development runs the TypeScript source (Node strips the types), production the built file.
  const file = new URL(import.meta.url.endsWith('.ts') ? './schema-engine-worker.ts' : './schema-engine-worker.js', import.meta.url);
  const worker = new Worker(file, { workerData: task, stderr: true });
  try {
    const reply = await new Promise<EngineReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the schema engine thread exited (${code}) without an answer`)));
    });
    if (!reply.ok) throw new MigrationError(`schema engine failed: ${reply.message}`);
    return reply.value as T;
  } finally {
    await worker.terminate();
  }
}

/** Creates the database named in the URL when it does not exist (several replicas may race). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (name === '' || name === 'postgres') return false;
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = connection(admin.toString(), 10_000);
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return true;
    } catch (error) {
      // 42P04 duplicate_database, 23505 unique_violation: another replica created it first.
      const code = (error as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
  } finally {
    await client.end();
  }
}

export interface MigrateResult {
  createdDatabase: boolean;
  applied: string[];
}

/** Creates the database if needed and applies pending migrations, one replica at a time. */
export async function migrate(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  const createdDatabase = await ensureDatabase(databaseUrl);
  const migrationsList = await loadMigrations(dir);
  const lock = connection(databaseUrl, 10_000);
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const applied = await runEngine<string[]>({ kind: 'apply', databaseUrl, migrationsList });
    return { createdDatabase, applied };
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.end();
  }
}

/** Names of migrations in the folder that the database has not applied (for readiness checks). */
export async function pendingMigrations(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrationsList = await loadMigrations(dir);
  const client = connection(databaseUrl, 5_000);
  await client.connect();
  try {
    const table = await client.query("SELECT to_regclass('_prisma_migrations') AS t");
    const applied = new Set<string>();
    if (table.rows[0]?.t) {
      const rows = await client.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      );
      for (const row of rows.rows) applied.add(row.migration_name);
    }
    return migrationsList.migrationDirectories.map((d) => d.path).filter((name) => !applied.has(name));
  } finally {
    await client.end();
  }
}

/**
 * The schema that the migrations in the folder produce, kept beside them: Prisma's own
 * `createMigration` needs a shadow database and introspection, which the WebAssembly engine
 * cannot do through the pg adapter here, so new migrations are diffed from this copy instead.
 */
export const MIGRATED_SCHEMA_FILE = path.join(MIGRATIONS_DIR, 'schema.migrated.prisma');

/**
 * Development tool: the SQL that takes `fromSchema` (null: an empty database) to `toSchema`, or
 * null when they agree. The engine insists on a connection (`databaseUrl`) but reads nothing there.
 */
export async function diffSchemas(databaseUrl: string, fromSchema: string | null, toSchema: string): Promise<string | null> {
  return runEngine<string | null>({ kind: 'diff', databaseUrl, fromSchema, toSchema });
}

/**
 * Drops a database (tests, the bench). Not by force: a session still connected a while after
 * its owner was done with it (`graceMs`; a killed process's session takes a moment to end) is a
 * leaked pool or a process left running, and is reported as such, naming the sessions, after the
 * database was dropped anyway.
 */
export async function dropDatabase(databaseUrl: string, graceMs = 10_000): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const client = connection(url.toString(), 10_000);
  await client.connect();
  try {
    const drop = `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}`;
    const giveUpAt = Date.now() + graceMs;
    for (;;) {
      try {
        await client.query(drop);
        return;
      } catch (error) {
        // 55006 object_in_use: "database … is being accessed by other users".
        if ((error as { code?: string }).code !== '55006') throw error;
        if (Date.now() >= giveUpAt) break;
        await sleep(100);
      }
    }
    const { rows } = await client.query<{ pid: number; application_name: string; state: string | null; backend_start: Date }>(
      'SELECT pid, application_name, state, backend_start FROM pg_stat_activity WHERE datname = $1',
      [name],
    );
    await client.query(`${drop} WITH (FORCE)`);
    const sessions = rows.map((r) => `pid ${r.pid} (${r.application_name || 'no application name'}, ${r.state ?? 'no state'}, since ${r.backend_start.toISOString()})`);
    throw new Error(`database ${name} still had ${rows.length} session(s) ${graceMs} ms after its users were done: ${sessions.join('; ')} (a pool not closed, or a process left running)`);
  } finally {
    await client.end();
  }
}
