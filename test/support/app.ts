import { inject } from 'vitest';
import { pino } from 'pino';
import { App } from '../../src/app.js';
import { ALL_SECTIONS, parseConfig } from '../../src/config.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from './db.js';

// The composition root in the test's own process: a database and a queue prefix of its own, a
// sandbox with no customers (the test sets their documents), every section configured.

export interface TestApp {
  t: TestDatabase;
  sandbox: Sandbox;
  app: App;
  close(): Promise<void>;
}

export async function startTestApp(): Promise<TestApp> {
  const t = await createTestDatabase();
  const sandbox = await new Sandbox({ tenantId: 'tenant', accessToken: 'tok-1234', customers: 0 }).start();
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
  const app = await new App(config, pino({ level: 'silent' })).load();
  return {
    t,
    sandbox,
    app,
    async close() {
      await app.close();
      await sandbox.close();
      await t.drop();
    },
  };
}
