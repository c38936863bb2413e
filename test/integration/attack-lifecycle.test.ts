import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import { App } from '../../src/app.js';
import { ALL_SECTIONS, parseConfig } from '../../src/config.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { ScanLifecycle } from '../../src/scan/lifecycle.js';
import { finishScan } from '../../src/sql/finish-scan.js';
import type { Database, SqlClient } from '../../src/store/database.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';

// Attacks on the scan lifecycle's start: what another process does between two statements of
// one start (a real second connection, made to act at that exact point).

let t: TestDatabase;
let sandbox: Sandbox;
let app: App;

beforeAll(async () => {
  t = await createTestDatabase();
  sandbox = await new Sandbox({ tenantId: 'tenant', accessToken: 'tok-1234', customers: 0 }).start();
  const config = parseConfig(
    {
      DATABASE_URL: t.url,
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: testQueuePrefix(),
      CYREXA_BASE_URL: sandbox.url,
      CYREXA_TENANT_ID: 'tenant',
      CYREXA_ACCESS_TOKEN: 'tok-1234',
      CYREXA_MAX_RPS: '1000',
      ALERT_TO: 'c@example.com',
    },
    ALL_SECTIONS,
  );
  app = await new App(config, pino({ level: 'silent' })).load();
});
afterAll(async () => {
  await app.close();
  await sandbox.close();
  await t.drop();
});

/** The product's database, with `afterStatement` run (on its own connection) after each statement matching `pattern`. */
function interleaved(db: Database, pattern: RegExp, afterStatement: () => Promise<void>): Database {
  const wrap = (c: SqlClient): SqlClient => ({
    async query(text, values) {
      const result = await c.query(text, values);
      if (pattern.test(text)) await afterStatement();
      return result as never;
    },
  });
  return {
    prisma: db.prisma,
    close: () => db.close(),
    withClient: (fn) => db.withClient((c) => fn(wrap(c))),
    withTransaction: (fn) => db.withTransaction((c) => fn(wrap(c))),
  };
}

describe('starting a scan while another ends', () => {
  it('the running scan ends between the refused insert and the look at what is in the way: the new scan starts', async () => {
    const first = await app.lifecycle.start('manual', null);
    if (first.kind !== 'started') throw new Error(`unexpected ${first.kind}`);
    let ended = false;
    const db = interleaved(app.db, /INSERT INTO scans/, async () => {
      if (ended) return;
      ended = true;
      await app.db.withClient((c) => finishScan(c, first.scan.id, 'completed', null));
    });
    const lifecycle = new ScanLifecycle({ db, checks: app.checks, ops: app.opsAlerts, log: pino({ level: 'silent' }), leaseMs: 30_000, batchSize: 200 });
    const second = await lifecycle.start('schedule', 'tick-after-the-race');
    expect(ended).toBe(true);
    // Was: "internal: a scan could not be started and nothing is in its way" (the tick lost).
    expect(second.kind).toBe('started');
    if (second.kind === 'started') await app.lifecycle.interrupt(second.scan.id);
  });
});
