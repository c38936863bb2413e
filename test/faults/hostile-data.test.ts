import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { SandboxDocument } from '../../src/sandbox/generator.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { baseEnv, runCli } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { TestSmtpServer } from '../support/smtp.js';

// One customer must never hurt the others (issue 9, items 1, 2, 4, 6): data Postgres cannot
// store, customers with thousands of documents, an answer that drops every document once, an
// answer for another tenant. `scan` runs as a child process under the product's own heap flags.

let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;

beforeAll(async () => {
  sandbox = await new Sandbox({ customers: 0 }).start();
  smtp = await new TestSmtpServer().start();
});
afterAll(async () => {
  await sandbox.close();
  await smtp.close();
});
beforeEach(async () => {
  t = await createTestDatabase();
  sandbox.clearFailures();
  sandbox.answerAsTenant(null, undefined);
});
afterEach(async () => {
  await t.drop();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    CYREXA_ACCESS_TOKEN: 'hostile-data-token',
    CYREXA_MAX_RPS: '2000',
    SMTP_URL: smtp.url,
    ALERT_TO: 'compliance@example.com',
    OPS_ALERT_TO: 'ops@example.com',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  });
}

async function scan(): Promise<Record<string, number | string>> {
  const result = await runCli(['scan', '--json'], env(), undefined, 180_000);
  if (!result.stdout.trim()) throw new Error(`scan printed nothing (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
  return JSON.parse(result.stdout) as Record<string, number | string>;
}

const documents = (id: string, n: number, expiredEvery = 0): SandboxDocument[] =>
  Array.from({ length: n }, (_, i) => ({
    purpose: i % 3 === 0 ? 'KYB' : 'KYC',
    documentType: i % 2 === 0 ? 'Passport' : 'selfie',
    name: `${id}-document-${i}`,
    location: `https://files.example/${id}/${i}.pdf?sig=${i}`,
    verificationResponse: `checked by the sandbox, document ${i}`,
    status: expiredEvery > 0 && i % expiredEvery === 0 ? 'expired' : 'verified',
    metadata: [],
  }));

async function track(ids: string[]): Promise<void> {
  await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })) });
}

describe('one customer never hurts the others', () => {
  it('a NUL character in document fields is stored as U+FFFD; the whole scan completes', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `n-${String(i).padStart(3, '0')}`);
    await track(ids);
    for (const id of ids) sandbox.setDocuments(id, documents(id, 2));
    sandbox.setDocuments('n-007', [{ purpose: 'KYC', documentType: 'Passport', name: 'pass\u0000port', location: '/x\u0000', verificationResponse: 'nul \u0000 here', status: 'expired', metadata: [] }]);
    const result = await scan();
    expect(result).toMatchObject({ status: 'completed', customers: 250, checked: 250, failed: 0 });
    const stored = await t.db.documentSnapshot.findFirstOrThrow({ where: { customerId: 'n-007' } });
    expect(stored.name).toBe('pass\uFFFDport');
    expect(stored.verificationResponse).toBe('nul \uFFFD here');
    expect(await t.db.alert.count({ where: { customerId: 'n-007' } })).toBe(1);
  });

  it('200 customers with 200 documents each scan within the product heap limits', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `m-${String(i).padStart(3, '0')}`);
    await track(ids);
    for (const id of ids) sandbox.setDocuments(id, documents(id, 200, 50));
    expect(await scan()).toMatchObject({ status: 'completed', checked: 200, changes: 40_000, alerts: 800 });
    expect(await t.db.documentSnapshot.count()).toBe(40_000);
  });

  it('20 customers with 5,000 documents each scan within the product heap limits', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `big-${i}`);
    await track(ids);
    for (const id of ids) sandbox.setDocuments(id, documents(id, 5_000, 1_000));
    // The first scan is the heavy one (every document new); an unchanged scan of the same
    // customers is measured by `npm run bench` (memory part).
    expect(await scan()).toMatchObject({ status: 'completed', checked: 20, changes: 100_000, alerts: 100 });
  });

  it('an answer that drops every document once records nothing; confirmed, it records removals, and a reappearance in the same status does not alert again', async () => {
    await track(['e-1']);
    const full = documents('e-1', 400, 8); // 50 expired
    sandbox.setDocuments('e-1', full);
    expect(await scan()).toMatchObject({ changes: 400, alerts: 50 });
    sandbox.setDocuments('e-1', []);
    expect(await scan()).toMatchObject({ status: 'completed', checked: 1, changes: 0, alerts: 0 });
    sandbox.setDocuments('e-1', full);
    expect(await scan()).toMatchObject({ changes: 0, alerts: 0 });
    // Two empty answers in a row: the documents are gone.
    sandbox.setDocuments('e-1', []);
    expect(await scan()).toMatchObject({ changes: 0 });
    expect(await scan()).toMatchObject({ changes: 400, alerts: 0 });
    // Back in the statuses they had when they went: recorded as appeared, alerted no more.
    sandbox.setDocuments('e-1', full);
    expect(await scan()).toMatchObject({ changes: 400, alerts: 0 });
    expect(await t.db.alert.count({ where: { customerId: 'e-1' } })).toBe(50);
  });

  it('an answer for another tenant fails that check, stores nothing, and raises one operations alert per incident', async () => {
    await track(['t-1', 't-2', 't-3']);
    for (const id of ['t-1', 't-2', 't-3']) sandbox.setDocuments(id, documents(id, 2, 2));
    sandbox.answerAsTenant('t-2', 'someone-elses-tenant');
    expect(await scan()).toMatchObject({ status: 'completed', checked: 2, failed: 1 });
    const customer = await t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId: 't-2' } });
    expect(customer.lastError).toContain('someone-elses-tenant');
    expect(customer.lastError).toContain('sandbox-tenant');
    expect(await t.db.documentSnapshot.count({ where: { customerId: 't-2' } })).toBe(0);
    expect(await t.db.documentEvent.count({ where: { customerId: 't-2' } })).toBe(0);
    expect(await scan()).toMatchObject({ failed: 1 });
    const alerts = await t.db.alert.findMany({ where: { kind: 'ops', subject: { contains: 'another tenant' } } });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.body).toContain('someone-elses-tenant');
  });
});
