import { describe, expect, it } from 'vitest';
import { scanFixture } from '../support/scan-fixture.js';

// Stale customers (SPEC §12): a tracked customer without a successful check for
// STALE_AFTER_HOURS is reported when a scan ends, all of them in one operations alert per
// incident; the incident ends when none is stale, and a new one is reported again.

const f = scanFixture({ ALERT_BATCH_SECONDS: '0', STALE_AFTER_HOURS: '1' });

const staleAlerts = () => f.smtp.messages.filter((m) => /not checked successfully for 1 hours/.test(String(m.parsed.subject)));

describe('stale customers', () => {
  it('one operations alert per incident listing every stale customer, ended when none is left', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await f.t.db.trackedCustomer.createMany({ data: ['ok-1', 'bad-1', 'bad-2'].map((customerId) => ({ customerId, addedAt: twoHoursAgo })) });
    f.sandbox.setDocuments('ok-1', [{ purpose: 'KYC', documentType: 'Passport', name: 'p', location: '/p.pdf', verificationResponse: 'ok', status: 'verified', metadata: [] }]);
    f.sandbox.failNext('bad-1', '404', 100);
    f.sandbox.failNext('bad-2', '404', 100);

    await f.scanSummary();
    expect(staleAlerts()).toHaveLength(1);
    const [alert] = staleAlerts();
    expect(alert?.envelope.to).toEqual(['ops@example.com']);
    expect(alert?.parsed.subject).toBe('kyc-monitor: 2 customer(s) not checked successfully for 1 hours');
    expect(alert?.parsed.text).toContain('"bad-1"');
    expect(alert?.parsed.text).toContain('"bad-2"');
    expect(alert?.parsed.text).not.toContain('"ok-1"');

    // Still stale: the incident is open, nothing more.
    await f.scanSummary();
    expect(staleAlerts()).toHaveLength(1);

    // Both checked again: the incident ends. One goes stale again later: a new incident, a new alert.
    f.sandbox.clearFailures();
    for (const id of ['bad-1', 'bad-2']) f.sandbox.setDocuments(id, [{ purpose: 'KYC', documentType: 'Passport', name: 'p', location: '/p.pdf', verificationResponse: 'ok', status: 'verified', metadata: [] }]);
    await f.scanSummary();
    expect(await f.t.db.opsIncident.count({ where: { kind: 'stale-customers', endedAt: null } })).toBe(0);
    await f.t.db.trackedCustomer.update({ where: { customerId: 'bad-2' }, data: { lastOkAt: twoHoursAgo } });
    f.sandbox.failNext('bad-2', '404', 100);
    await f.scanSummary();
    expect(staleAlerts()).toHaveLength(2);
    expect(staleAlerts()[1]?.parsed.subject).toBe('kyc-monitor: 1 customer(s) not checked successfully for 1 hours');
  });
});
