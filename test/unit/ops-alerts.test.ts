import { describe, expect, it } from 'vitest';
import * as ops from '../../src/domain/ops-alerts.js';

// Issue 11 item 4: every operations email says in its first line what to do (then what happened).

const at = new Date('2026-11-25T06:00:00Z');
const TEXTS: Array<[string, ops.OpsAlertText]> = [
  ['credentials rejected', ops.credentialsRejected('HTTP 401')],
  ['scans failing', ops.scansFailing('scan-1', 'unreachable', 10, 10, 'cust-1: ECONNREFUSED')],
  ['scans failing, HTTP status', ops.scansFailing('scan-1', 'http-503', 10, 10, null)],
  ['scan incomplete', ops.scanIncomplete('scan-1', at, 'its queued work was lost')],
  ['tenant mismatch', ops.tenantMismatch('scan-1', 3, 'cust-1: tenant other')],
  ['customers failing', ops.customersFailing('scan-1', ['cust-1', 'cust-2'], 12)],
  ['SMTP credentials rejected', ops.smtpCredentialsRejected('535 5.7.8 bad credentials')],
  ['recipient refused', ops.recipientRefused('lead@example.com', '550 5.1.1 no such user', 3)],
  ['alert email refused', ops.smtpEmailRefused('554 5.7.1 rejected', 2)],
  ['test email (alerts test)', ops.testEmail(['compliance@example.com', 'lead@example.com'], at)],
];

/** An instruction: it starts with what to do, or says that there is nothing to do. */
const ACTION = /^(Fix|Check|Run|Remove|Nothing to do)\b/;

describe('operations emails', () => {
  it.each(TEXTS)('%s: the first line says what to do', (_name, text) => {
    const [first, blank] = text.body.split('\n');
    expect(first).toMatch(ACTION);
    expect(first).toMatch(/[.:]$/);
    expect(blank).toBe('');
    expect(text.subject).toMatch(/^kyc-monitor[: ]/);
    expect(`${text.subject}\n${text.body}`).not.toMatch(/undefined|null|NaN|\[object/);
  });

  it('the test email names where alert emails go, and when it was sent', () => {
    const text = ops.testEmail(['compliance@example.com', 'lead@example.com'], at);
    expect(text.subject).toBe('kyc-monitor test email');
    expect(text.body).toContain('compliance@example.com, lead@example.com');
    expect(text.body).toContain('2026-11-25T06:00:00.000Z');
  });
});
