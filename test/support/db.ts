import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../src/store/database.js';
import { dropDatabase } from '../../src/store/migrations.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { prismaClient } from './prisma.js';

// A database of one's own, copied from the run's migrated template.

export interface TestDatabase {
  url: string;
  /** The product's database handle (its SQL over one pool). */
  database: Database;
  /** A Prisma client over the same database, for assertions. */
  db: PrismaClient;
  /**
   * Empties every table of the product, between the tests of a file. The cases' timeline refuses
   * deletion (an append-only trigger): this session skips user triggers, which only a superuser
   * (the tests' `postgres`) may do — never the product.
   */
  reset(): Promise<void>;
  drop(): Promise<void>;
}

const TABLES = ['case_events', 'silences', 'cases', 'alert_deliveries', 'ops_incidents', 'alerts', 'document_events', 'document_snapshots', 'scan_batches', 'scans', 'tracked_customers'];

function adminUrl(): string {
  const url = new URL(inject('templateDatabaseUrl'));
  url.pathname = '/postgres';
  return url.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const templateUrl = new URL(inject('templateDatabaseUrl'));
  const template = templateUrl.pathname.slice(1);
  const name = `kyc_test_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(templateUrl);
  url.pathname = `/${name}`;
  const database = createDatabase({ url: url.toString(), poolSize: 5 });
  const db = prismaClient(url.toString());
  return {
    url: url.toString(),
    database,
    db,
    async reset() {
      await database.withTransaction(async (c) => {
        await c.query("SET LOCAL session_replication_role = 'replica'");
        await c.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY`);
      });
    },
    async drop() {
      await db.$disconnect();
      await database.close();
      // Not by force: a session left behind fails the file (a leaked pool or process).
      await dropDatabase(url.toString());
    },
  };
}

export function testQueuePrefix(): string {
  return `kyc-test-${inject('runId')}-${randomBytes(3).toString('hex')}`;
}
