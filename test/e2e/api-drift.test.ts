import { describe, expect, it } from 'vitest';
import { scanFixture } from '../support/scan-fixture.js';

// API drift (SPEC §12): a status, purpose or documentType outside Cyrexa's documented
// enumerations raises one operations alert per new (field, value) ever seen, naming a customer
// where it appeared; the document is stored as sent.

const f = scanFixture({ ALERT_BATCH_SECONDS: '0' });

const doc = (name: string, status: string, purpose = 'KYC', documentType = 'Passport') => ({ purpose, documentType, name, location: `/${name}.pdf`, verificationResponse: 'ok', status, metadata: [] });
const driftEmails = () => f.smtp.messages.filter((m) => /^kyc-monitor: Cyrexa sent an undocumented /.test(String(m.parsed.subject)));

describe('API drift', () => {
  it('one operations alert per new field and value, ever, however many customers and scans carry it', async () => {
    await f.trackIds(['d-1', 'd-2', 'd-3']);
    f.sandbox.setDocuments('d-1', [doc('a', 'archived'), doc('b', 'verified', 'AML')]);
    f.sandbox.setDocuments('d-2', [doc('a', 'archived', 'AML', 'utilityBill'), doc('b', ' Verified ')]);
    f.sandbox.setDocuments('d-3', [doc('a', 'verified')]);
    await f.scanSummary();
    const subjects = driftEmails().map((m) => String(m.parsed.subject)).sort();
    expect(subjects).toEqual([
      'kyc-monitor: Cyrexa sent an undocumented documentType: "utilityBill"',
      'kyc-monitor: Cyrexa sent an undocumented purpose: "AML"',
      'kyc-monitor: Cyrexa sent an undocumented status: "archived"',
    ]);
    expect(driftEmails().every((m) => m.envelope.to.join() === 'ops@example.com')).toBe(true);
    expect(driftEmails().find((m) => /utilityBill/.test(String(m.parsed.subject)))?.parsed.text).toContain('customer "d-2"');

    // Seen again, by this process or another, on more customers: nothing more. A new value: one more.
    f.sandbox.setDocuments('d-3', [doc('a', 'archived')]);
    await f.scanSummary();
    await f.scanSummary();
    expect(driftEmails()).toHaveLength(3);
    f.sandbox.setDocuments('d-3', [doc('a', 'suspended')]);
    await f.scanSummary();
    expect(driftEmails()).toHaveLength(4);
    expect(await f.t.db.unknownValue.count()).toBe(4);
    // Stored as sent.
    expect((await f.t.db.documentSnapshot.findFirstOrThrow({ where: { customerId: 'd-1', name: 'a' } })).status).toBe('archived');
  });
});
