import { describe, expect, it } from 'vitest';
import type { SandboxDocument } from '../../src/sandbox/generator.js';
import { runCli } from '../support/cli.js';
import { scanFixture } from '../support/scan-fixture.js';
import { csvRows } from '../support/smtp.js';

// Expiry dates (SPEC §11) end to end: read from each document's metadata by `scan`, stored with
// the snapshot, shown in `history`, the alert email and its CSV (`expires_on`) and `cases`.

const f = scanFixture({ ALERT_BATCH_SECONDS: '0', SCAN_TIMEZONE: 'Europe/Berlin' });

const passport = (status: string, metadata: SandboxDocument['metadata']): SandboxDocument => ({
  purpose: 'KYC',
  documentType: 'Passport',
  name: 'passport',
  location: '/passport.pdf',
  verificationResponse: 'ok',
  status,
  metadata,
});

describe('expiry dates', () => {
  it('are read from the metadata, stored, shown in history, the email, its CSV and the case; a new date alone records no event', async () => {
    await f.trackIds(['e-1', 'e-2', 'e-3']);
    f.sandbox.setDocuments('e-1', [passport('verified', [{ name: 'pages', type: 'Number', value: '3' }, { name: 'Expiry Date', type: 'String', value: '2027-03-31' }])]);
    // Unix seconds of 2027-06-30T22:30:00Z: 1 July in Berlin (SCAN_TIMEZONE).
    f.sandbox.setDocuments('e-2', [passport('verified', [{ name: 'valid_until', type: 'Number', value: '1814394600' }])]);
    f.sandbox.setDocuments('e-3', [passport('verified', [{ name: 'expiry', type: 'String', value: 'next spring' }])]);
    await f.scanSummary();
    const snapshots = await f.t.db.$queryRaw<Array<{ customer_id: string; expires_on: string | null }>>`SELECT customer_id, expires_on::text FROM document_snapshots ORDER BY customer_id`;
    expect(snapshots).toEqual([
      { customer_id: 'e-1', expires_on: '2027-03-31' },
      { customer_id: 'e-2', expires_on: '2027-07-01' },
      { customer_id: 'e-3', expires_on: null },
    ]);

    // The same document with a new expiry date (renewed) and nothing else: stored, no event.
    f.sandbox.setDocuments('e-1', [passport('verified', [{ name: 'Expiry Date', type: 'String', value: '2032-03-31' }])]);
    expect(await f.scanSummary()).toMatchObject({ changes: 0 });
    expect((await f.t.db.$queryRaw<Array<{ expires_on: string }>>`SELECT expires_on::text FROM document_snapshots WHERE customer_id = 'e-1'`)[0]?.expires_on).toBe('2032-03-31');

    f.sandbox.setDocuments('e-1', [passport('expired', [{ name: 'Expiry Date', type: 'String', value: '2032-03-31' }])]);
    const sent = f.smtp.messages.length;
    expect(await f.scanSummary()).toMatchObject({ changes: 1, alerts: 1 });
    const email = f.smtp.messages[sent];
    expect(email?.parsed.text).toContain('(KYC), expires 2032-03-31');
    expect(email?.parsed.html).toContain('expires 2032-03-31');
    expect(csvRows(email!).map((r) => [r.customer_id, r.expires_on])).toEqual([['e-1', '2032-03-31']]);

    const history = await runCli(['history', 'e-1'], f.env());
    expect(history.stdout.split('\n')[0]).toContain('verified → expired, expires 2032-03-31');
    const json = JSON.parse((await runCli(['history', 'e-1', '--json'], f.env())).stdout) as { events: Array<{ expiresOn: string | null }> };
    expect(json.events.map((e) => e.expiresOn)).toEqual(['2032-03-31', '2027-03-31']);
    const [c] = JSON.parse((await runCli(['cases', 'list', '--json'], f.env())).stdout) as Array<{ expiresOn: string | null }>;
    expect(c?.expiresOn).toBe('2032-03-31');
  });
});

describe('expiry warnings in the alert emails', () => {
  it('go out under "Expiring soon", counted apart in the subject, new_status expiring in the CSV; once', async () => {
    await f.trackIds(['w-1', 'w-2']);
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    f.sandbox.setDocuments('w-1', [passport('verified', [{ name: 'Expiry Date', type: 'String', value: soon }])]);
    f.sandbox.setDocuments('w-2', [passport('expired', [{ name: 'Expiry Date', type: 'String', value: '2026-01-31' }])]);
    const sent = f.smtp.messages.length;
    await f.scanSummary();
    const emails = f.smtp.messages.slice(sent);
    expect(emails).toHaveLength(1);
    const email = emails[0];
    expect(email?.parsed.subject).toBe('KYC alert: 1 expired, 1 expiring soon — 2 customers');
    expect(email?.parsed.text).toContain('EXPIRING SOON (1)');
    expect(email?.parsed.text).toMatch(new RegExp(`What happened: Expires on ${soon} \\(in (9|10) days\\), verified now`));
    expect(email?.parsed.html).toContain('Expiring soon (1)');
    expect(csvRows(email!).map((r) => [r.customer_id, r.previous_status, r.new_status, r.expires_on, r.case_id === '' ? '' : 'case'])).toEqual([
      ['w-2', '', 'expired', '2026-01-31', 'case'],
      ['w-1', 'verified', 'expiring', soon, ''],
    ]);
    // Seen again: warned already for this date and threshold.
    await f.scanSummary();
    expect(f.smtp.messages.length).toBe(sent + 1);
  });
});
