import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type Database = PrismaClient;
export { Prisma } from '../generated/prisma/client.js';

export interface DatabaseOptions {
  url: string;
  /** Pool size; checks write in transactions, so it should exceed the batch jobs in flight. */
  poolSize?: number;
}

/**
 * A Prisma client over a pg pool with timeouts: pg waits forever by default, and a stalled
 * server must turn into an error, not a hung scan.
 */
export function createDatabase(options: DatabaseOptions): Database {
  const adapter = new PrismaPg({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    query_timeout: 60_000,
    statement_timeout: 60_000,
    application_name: 'kyc-monitor',
  });
  return new PrismaClient({ adapter });
}
