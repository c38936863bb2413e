import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { endIncident, raiseIncident, type Incident } from '../../src/outbox/incidents.js';
import type { SqlClient } from '../../src/sql/client.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { until } from '../support/worker.js';

// One operations alert per incident (SPEC §5), decided by the database: real Postgres, real
// concurrent transactions.

let t: TestDatabase;
const incident: Incident = { kind: 'recipient-refused:kyc@example.com', subject: 'kyc-monitor: the mail server refused kyc@example.com', body: 'details' };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});
beforeEach(async () => {
  await t.db.opsIncident.deleteMany();
  await t.db.alert.deleteMany();
});

async function connect(): Promise<pg.Client & SqlClient> {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  return client as pg.Client & SqlClient;
}

describe('raiseIncident / endIncident', () => {
  it('queues the operations alert with the incident, and nothing while it is open', async () => {
    expect(await t.database.withClient((c) => raiseIncident(c, incident))).toBe(true);
    expect(await t.database.withClient((c) => raiseIncident(c, incident))).toBe(false);
    const [alert] = await t.db.alert.findMany();
    expect(alert).toMatchObject({ kind: 'ops', status: 'pending', subject: incident.subject, body: 'details' });
    expect(await t.db.opsIncident.findMany()).toEqual([expect.objectContaining({ kind: incident.kind, endedAt: null, alertId: alert?.id })]);
    // Another kind is another incident.
    expect(await t.database.withClient((c) => raiseIncident(c, { ...incident, kind: 'smtp-credentials-rejected' }))).toBe(true);
    expect(await t.db.alert.count()).toBe(2);
  });

  it('raise, end, raise: two incidents, two alerts', async () => {
    expect(await t.database.withClient((c) => raiseIncident(c, incident))).toBe(true);
    await t.database.withClient((c) => endIncident(c, incident.kind));
    await t.database.withClient((c) => endIncident(c, incident.kind)); // nothing open: nothing to do
    expect(await t.database.withClient((c) => raiseIncident(c, incident))).toBe(true);
    expect(await t.db.alert.count({ where: { kind: 'ops' } })).toBe(2);
    const incidents = await t.db.opsIncident.findMany({ orderBy: { id: 'asc' } });
    expect(incidents.map((i) => i.endedAt === null)).toEqual([false, true]);
  });

  it('two transactions raising at once: the second waits for the first and queues nothing', async () => {
    const a = await connect();
    const b = await connect();
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      expect(await raiseIncident(a, incident)).toBe(true);
      const second = raiseIncident(b, incident);
      await until('the second raise waiting on the first', async () => {
        const rows = await t.db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
        return Number(rows[0]?.n ?? 0) > 0;
      }, 20_000, 50);
      await a.query('COMMIT');
      expect(await second).toBe(false);
      await b.query('COMMIT');
    } finally {
      await a.end();
      await b.end();
    }
    expect(await t.db.alert.count()).toBe(1);
    expect(await t.db.opsIncident.count()).toBe(1);
  });

  it('ten replicas raising at once queue one alert', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => t.database.withTransaction((c) => raiseIncident(c, incident))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await t.db.alert.count()).toBe(1);
  });

  it('is part of the caller\'s transaction: rolled back, nothing stays', async () => {
    await expect(
      t.database.withTransaction(async (c) => {
        expect(await raiseIncident(c, incident)).toBe(true);
        throw new Error('the caller fails afterwards');
      }),
    ).rejects.toThrow('the caller fails afterwards');
    expect(await t.db.alert.count()).toBe(0);
    expect(await t.db.opsIncident.count()).toBe(0);
    expect(await t.database.withClient((c) => raiseIncident(c, incident))).toBe(true);
  });
});
