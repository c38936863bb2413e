import { describe, expect, it } from 'vitest';
import { parseSummaryFigures, renderSummaryEmail, summarySubject, type SummaryFigures } from '../../src/domain/summary-email.js';

// The summary email (SPEC §12): every figure, in text and HTML alike; sent when nothing happened.

const quiet: SummaryFigures = {
  periodStart: '2026-11-16T08:00:00.000Z',
  periodEnd: '2026-11-23T08:00:00.000Z',
  scansCompleted: 7,
  scansFailed: 0,
  scansInterrupted: 0,
  customersTracked: 120,
  customersChecked: 120,
  customersNeverChecked: 0,
  customersFailing: 0,
  changes: 0,
  alerts: 0,
  casesOpened: 0,
  casesAcknowledged: 0,
  casesResolved: 0,
  unresolvedByPurpose: [],
  unacknowledged: 0,
  oldestUnacknowledged: [],
  expiringWithin30Days: 0,
  alertsPending: 0,
  alertsFailed: 0,
};
const busy: SummaryFigures = {
  ...quiet,
  scansFailed: 1,
  customersFailing: 2,
  changes: 14,
  alerts: 5,
  casesOpened: 5,
  casesAcknowledged: 2,
  casesResolved: 1,
  unresolvedByPurpose: [{ purpose: 'KYC', underOneDay: 1, oneToSevenDays: 2, overSevenDays: 0 }, { purpose: '<b>KYB</b>', underOneDay: 0, oneToSevenDays: 0, overSevenDays: 1 }],
  unacknowledged: 3,
  oldestUnacknowledged: [{ id: 17, customerId: 'cust-<17>', purpose: 'KYC', documentType: 'Passport', documentName: '<script>x</script>', documentStatus: 'expired', openedAt: '2026-11-14T08:00:00.000Z' }],
  expiringWithin30Days: 4,
  alertsPending: 1,
  alertsFailed: 1,
};
const now = new Date('2026-11-23T08:00:00.000Z');

describe('summary email', () => {
  it('says so when nothing happened, and that it proves the monitor runs', () => {
    expect(summarySubject(quiet)).toBe('KYC summary 2026-11-16 to 2026-11-23: nothing new, the monitor is running');
    const { text } = renderSummaryEmail(quiet, now);
    expect(text).toContain('completed: 7');
    expect(text).toContain('tracked: 120');
    expect(text).toContain('if it stops arriving, the monitor is down');
  });

  it('names what needs attention in the subject, and every figure in both parts', () => {
    expect(summarySubject(busy)).toBe('KYC summary 2026-11-16 to 2026-11-23: 5 alerts, 3 cases awaiting acknowledgement, 2 customers failing, 1 failed scan');
    const { text, html } = renderSummaryEmail(busy, now);
    for (const line of ['failed: 1', 'checked in the period: 120', 'never checked successfully: 0', 'failing now: 2', 'changes recorded: 14', 'alerts raised: 5', 'expiring within 30 days: 4', 'opened: 5', 'acknowledged: 2', 'resolved: 1', 'unresolved now: 4', 'alerts pending: 1', 'alerts failed: 1']) {
      expect(text).toContain(line);
    }
    expect(text).toContain('  KYC: 1 / 2 / 0');
    expect(text).toContain('#17  cust-<17>  Passport "<script>x</script>" (KYC), expired, open for 9d 0h');
    expect(html).toContain('<strong>#17</strong>');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>KYB');
    expect(html).toContain('&lt;b&gt;KYB&lt;/b&gt;');
  });

  it('refuses figures that are not a summary', () => {
    expect(() => parseSummaryFigures('{"alerts": 1}')).toThrow(/summary figures without periodStart/);
    expect(parseSummaryFigures(JSON.stringify(busy))).toEqual(busy);
  });
});
