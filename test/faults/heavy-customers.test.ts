import { describe, expect, it } from 'vitest';
import { manyDocuments, scanFixture } from '../support/scan-fixture.js';

// Customers with thousands of documents (issue 9, item 2): a batch's memory is bounded by
// documents, not customers, so these scan under the product's own heap flags (`scan` runs as a
// child process through bin/kyc-monitor). Their peak RSS is measured by `npm run bench`.

const f = scanFixture();

describe('customers with thousands of documents', () => {
  it('200 customers with 200 documents each scan within the product heap limits', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `m-${String(i).padStart(3, '0')}`);
    await f.trackIds(ids);
    for (const id of ids) f.sandbox.setDocuments(id, manyDocuments(id, 200, 50));
    expect(await f.scanSummary()).toMatchObject({ status: 'completed', checked: 200, changes: 40_000, alerts: 800 });
    expect(await f.t.db.documentSnapshot.count()).toBe(40_000);
  });

  it('20 customers with 5,000 documents each scan within the product heap limits', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `big-${i}`);
    await f.trackIds(ids);
    for (const id of ids) f.sandbox.setDocuments(id, manyDocuments(id, 5_000, 1_000));
    // The first scan is the heavy one (every document new); an unchanged scan of the same
    // customers is measured by `npm run bench` (memory part).
    expect(await f.scanSummary()).toMatchObject({ status: 'completed', checked: 20, changes: 100_000, alerts: 100 });
  });
});
