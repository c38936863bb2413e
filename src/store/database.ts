import pg from 'pg';
import type { SqlClient } from '../sql/client.js';
import { isConnectionFailure } from './unavailable.js';

export type { SqlClient } from '../sql/client.js';

/**
 * One pg pool for the SQL statements of `src/sql/` (`withClient`, `withTransaction`). Prisma's
 * client, the schema's typed view, is not loaded by the product (its modules would cost every
 * command a tenth of a second of CPU): tests use it for assertions (test/support/prisma.ts).
 */
export interface Database {
  /** Runs `fn` with one pooled connection, released afterwards. */
  withClient<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  withTransaction<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  /** Pool size; checks write in transactions, so it should exceed the batch jobs in flight. */
  poolSize?: number;
}

/**
 * pg waits forever by default: a stalled server must turn into an error, not a hung scan.
 * Every connection of the pool times out its connect, its statements and its queries.
 */
export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    query_timeout: 60_000,
    statement_timeout: 60_000,
    application_name: 'kyc-monitor',
  });
  // A connection the server ends (a restart, pg_terminate_backend) must not crash the process:
  // pg reports it as an 'error' event, on the pool while the connection is idle and on the
  // connection itself while it is checked out between two statements. The statement that tries
  // to use it next fails, and the connection is discarded.
  pool.on('error', () => undefined);
  pool.on('connect', (connection) => connection.on('error', () => undefined));
  const client = (c: pg.PoolClient): SqlClient => ({
    async query<R extends object>(text: string, values: readonly unknown[] = []) {
      const result = await c.query<R>(text, values as unknown[]);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
  });
  const withClient = async <T>(fn: (c: SqlClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(client(c));
    } catch (error) {
      // A connection that failed mid-statement (terminated, timed out) is not given back.
      if (isConnectionFailure(error)) broken = error as Error;
      throw error;
    } finally {
      c.release(broken);
    }
  };
  return {
    withClient,
    withTransaction: (fn) =>
      withClient(async (c) => {
        await c.query('BEGIN');
        try {
          const result = await fn(c);
          await c.query('COMMIT');
          return result;
        } catch (error) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    async close() {
      if (!pool.ended) await pool.end();
    },
  };
}
