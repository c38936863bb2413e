import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/store/migrations.js';

// One run = one migrated template database and one Redis key prefix, both removed at the end.
// Test files copy the template into a database of their own (test/support/db.ts).

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabaseUrl: string;
    runId: string;
    redisUrl: string;
  }
}

export function serverUrl(database: string): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${database}`;
  return url.toString();
}

export default async function setup(project: TestProject) {
  const runId = randomBytes(4).toString('hex');
  const template = `kyc_test_${runId}_template`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  await migrate(serverUrl(template));
  project.provide('templateDatabaseUrl', serverUrl(template));
  project.provide('runId', runId);
  project.provide('redisUrl', redisUrl);

  return async () => {
    // Every test drops its own database, without FORCE: a session left open fails that test.
    // A database still here was never dropped (a test that forgot): removed, and the run fails.
    const admin = new pg.Client({ connectionString: serverUrl('postgres') });
    await admin.connect();
    const left: string[] = [];
    try {
      const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`kyc_test_${runId}_%`]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
      left.push(...rows.map((r) => r.datname).filter((name) => name !== template));
    } finally {
      await admin.end();
    }
    const redis = new Redis(redisUrl);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `kyc-test-${runId}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    if (left.length > 0) throw new Error(`the run left ${left.length} database(s) behind (a test that does not drop what it creates): ${left.join(', ')}`);
  };
}
