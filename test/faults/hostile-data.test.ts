import { describe, expect, it } from 'vitest';
import { manyDocuments, scanFixture } from '../support/scan-fixture.js';

// One customer must never hurt the others (issue 9, items 1, 4, 6): data Postgres cannot store,
// an answer that drops every document once, an answer for another tenant. `scan` runs as a
// child process. Customers with thousands of documents: heavy-customers.test.ts.

const f = scanFixture();

describe('one customer never hurts the others', () => {
  it('a NUL character in document fields is stored as U+FFFD; the whole scan completes', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `n-${String(i).padStart(3, '0')}`);
    await f.trackIds(ids);
    for (const id of ids) f.sandbox.setDocuments(id, manyDocuments(id, 2));
    f.sandbox.setDocuments('n-007', [{ purpose: 'KYC', documentType: 'Passport', name: 'pass\u0000port', location: '/x\u0000', verificationResponse: 'nul \u0000 here', status: 'expired', metadata: [] }]);
    const result = await f.scanSummary();
    expect(result).toMatchObject({ status: 'completed', customers: 250, checked: 250, failed: 0 });
    const stored = await f.t.db.documentSnapshot.findFirstOrThrow({ where: { customerId: 'n-007' } });
    expect(stored.name).toBe('pass\uFFFDport');
    expect(stored.verificationResponse).toBe('nul \uFFFD here');
    expect(await f.t.db.alert.count({ where: { customerId: 'n-007' } })).toBe(1);
  });

  it('an answer that drops every document once records nothing; confirmed, it records removals, and a reappearance in the same status does not alert again', async () => {
    await f.trackIds(['e-1']);
    const full = manyDocuments('e-1', 400, 8); // 50 expired
    f.sandbox.setDocuments('e-1', full);
    expect(await f.scanSummary()).toMatchObject({ changes: 400, alerts: 50 });
    f.sandbox.setDocuments('e-1', []);
    expect(await f.scanSummary()).toMatchObject({ status: 'completed', checked: 1, changes: 0, alerts: 0 });
    f.sandbox.setDocuments('e-1', full);
    expect(await f.scanSummary()).toMatchObject({ changes: 0, alerts: 0 });
    // Two empty answers in a row: the documents are gone.
    f.sandbox.setDocuments('e-1', []);
    expect(await f.scanSummary()).toMatchObject({ changes: 0 });
    expect(await f.scanSummary()).toMatchObject({ changes: 400, alerts: 0 });
    // Back in the statuses they had when they went: recorded as appeared, alerted no more.
    f.sandbox.setDocuments('e-1', full);
    expect(await f.scanSummary()).toMatchObject({ changes: 400, alerts: 0 });
    expect(await f.t.db.alert.count({ where: { customerId: 'e-1' } })).toBe(50);
  });

  it('an answer for another tenant fails that check, stores nothing, and raises one operations alert per incident', async () => {
    await f.trackIds(['t-1', 't-2', 't-3']);
    for (const id of ['t-1', 't-2', 't-3']) f.sandbox.setDocuments(id, manyDocuments(id, 2, 2));
    f.sandbox.answerAsTenant('t-2', 'someone-elses-tenant');
    expect(await f.scanSummary()).toMatchObject({ status: 'completed', checked: 2, failed: 1 });
    const customer = await f.t.db.trackedCustomer.findUniqueOrThrow({ where: { customerId: 't-2' } });
    expect(customer.lastError).toContain('someone-elses-tenant');
    expect(customer.lastError).toContain('sandbox-tenant');
    expect(await f.t.db.documentSnapshot.count({ where: { customerId: 't-2' } })).toBe(0);
    expect(await f.t.db.documentEvent.count({ where: { customerId: 't-2' } })).toBe(0);
    expect(await f.scanSummary()).toMatchObject({ failed: 1 });
    const alerts = await f.t.db.alert.findMany({ where: { kind: 'ops', subject: { contains: 'another tenant' } } });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.body).toContain('someone-elses-tenant');
  });
});
