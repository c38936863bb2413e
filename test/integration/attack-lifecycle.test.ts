import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { App } from '../../src/app.js';
import { ScanLifecycle } from '../../src/scan/lifecycle.js';
import { finishScan } from '../../src/sql/finish-scan.js';
import type { Database, SqlClient } from '../../src/store/database.js';
import { startTestApp, type TestApp } from '../support/app.js';

// Attacks on the scan lifecycle's start: what another process does between two statements of
// one start (a real second connection, made to act at that exact point).

let app: App;
let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
  ({ app } = testApp);
});
afterAll(() => testApp.close());

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
