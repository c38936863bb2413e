import { describe, expect, it } from 'vitest';
import type { SandboxDocument } from '../../src/sandbox/generator.js';
import { scanFixture } from '../support/scan-fixture.js';

// Customers with thousands of documents (issue 9, item 2): a batch's memory is bounded by
// documents, not customers, so these scan under the product's own heap flags (`scan` runs as a
// child process through bin/kyc-monitor). Their peak RSS is measured by `npm run bench`.

const f = scanFixture();

async function scan(): Promise<Record<string, number | string>> {
  const result = await f.scanJson();
  if (!result.json) throw new Error(`scan printed nothing (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
  return result.json as Record<string, number | string>;
}

async function track(ids: string[]): Promise<void> {
  await f.t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })) });
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

describe('customers with thousands of documents', () => {
  it('200 customers with 200 documents each scan within the product heap limits', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `m-${String(i).padStart(3, '0')}`);
    await track(ids);
    for (const id of ids) f.sandbox.setDocuments(id, documents(id, 200, 50));
    expect(await scan()).toMatchObject({ status: 'completed', checked: 200, changes: 40_000, alerts: 800 });
    expect(await f.t.db.documentSnapshot.count()).toBe(40_000);
  });

  it('20 customers with 5,000 documents each scan within the product heap limits', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `big-${i}`);
    await track(ids);
    for (const id of ids) f.sandbox.setDocuments(id, documents(id, 5_000, 1_000));
    // The first scan is the heavy one (every document new); an unchanged scan of the same
    // customers is measured by `npm run bench` (memory part).
    expect(await scan()).toMatchObject({ status: 'completed', checked: 20, changes: 100_000, alerts: 100 });
  });
});
