// Prisma's schema engine (its WebAssembly build, driven through the pg driver adapter), run in
// a worker thread that is terminated when its one task is done: the engine leaves a 10 s timer
// behind, which would keep a finished command alive, and its memory goes with the thread.
// Imports packages only, so that Node runs this file as it is in development (type stripping).
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, DriverAdapterError } from '@prisma/driver-adapter-utils';
import { SchemaEngine, type MigrationList } from '@prisma/schema-engine-wasm';

export type EngineTask =
  | { kind: 'apply'; databaseUrl: string; migrationsList: MigrationList }
  | { kind: 'diff'; databaseUrl: string; fromSchema: string | null; toSchema: string };

export type EngineReply = { ok: true; value: unknown } | { ok: false; message: string };

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

/**
 * Prisma's pg adapter runs a migration script by splitting it at every `;` — inside a comment, a
 * string or a function body too — and sending the pieces one by one. A script is sent whole
 * instead, as Prisma's native engine (`prisma migrate deploy`) does: Postgres parses it, and
 * runs its statements as one implicit transaction.
 */
class WholeScriptPg extends PrismaPg {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    super(pool);
    this.pool = pool;
  }

  override async connect(): ReturnType<PrismaPg['connect']> {
    const adapter = await super.connect();
    adapter.executeScript = async (script: string) => {
      try {
        await this.pool.query(script);
      } catch (error) {
        // In the shape the engine reports (the adapter's own errors): Postgres's code and words.
        const e = error as Partial<pg.DatabaseError> & Error;
        if (typeof e.code !== 'string') throw error;
        throw new DriverAdapterError({ kind: 'postgres', code: e.code, severity: e.severity ?? 'ERROR', message: e.message, detail: e.detail, column: e.column, hint: e.hint });
      }
    };
    return adapter;
  }
}

async function run(task: EngineTask): Promise<unknown> {
  // Our own pool, ended afterwards: the engine holds Prisma's session advisory lock on one of its
  // connections, and a pool left open would keep that lock from the next replica.
  const pool = new pg.Pool({ connectionString: task.databaseUrl, connectionTimeoutMillis: 10_000, max: 2 });
  pool.on('error', () => undefined);
  pool.on('connect', (connection) => connection.on('error', () => undefined));
  const schema = task.kind === 'diff' ? task.toSchema : undefined;
  const engine = await SchemaEngine.new({ datamodels: schema === undefined ? undefined : [['schema.prisma', schema]] }, () => undefined, bindMigrationAwareSqlAdapterFactory(new WholeScriptPg(pool)));
  try {
    if (task.kind === 'apply') {
      const result = await engine.applyMigrations({ migrationsList: task.migrationsList, filters: { externalTables: [], externalEnums: [] } });
      return result.appliedMigrationNames;
    }
    const result = await engine.diff({
      from: task.fromSchema === null ? { tag: 'empty' } : { tag: 'schemaDatamodel', files: [{ path: 'from.prisma', content: task.fromSchema }] },
      to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: task.toSchema }] },
      script: true,
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    return result.exitCode === 2 ? (result.stdout ?? '') : null;
  } finally {
    engine.free();
    await pool.end();
  }
}

if (parentPort) {
  const port = parentPort;
  run(workerData as EngineTask).then(
    (value) => port.postMessage({ ok: true, value } satisfies EngineReply),
    (error: unknown) => port.postMessage({ ok: false, message: describe(error) } satisfies EngineReply),
  );
}
