import { FAILURE_STREAK } from './scan.js';

// The words of the monitor's own operations emails (SPEC §5): each says in its first line what
// to do, then what happened. One module, so that they read alike.

export interface OpsAlertText {
  subject: string;
  body: string;
}

/** An operations alert that opens an incident of `kind` (no other alert until it ends). */
export interface OpsIncident extends OpsAlertText {
  kind: string;
}

/** Incidents: one alert when one starts, none again until it has ended. */
export const INCIDENT = {
  credentialsRejected: 'credentials-rejected',
  scansFailing: 'scans-failing',
  scanIncomplete: 'scan-incomplete',
  tenantMismatch: 'tenant-mismatch',
  staleCustomers: 'stale-customers',
} as const;

const REASON_WORDS: Record<string, string> = {
  unreachable: 'the Cyrexa API could not be reached',
  timeout: 'the Cyrexa API did not answer in time',
  'http-404': 'the Cyrexa API answered 404 Not Found (a wrong CYREXA_BASE_URL, or customers unknown to Cyrexa)',
  'invalid-response': 'the Cyrexa API answered with bodies that are not getDocuments responses',
  'tenant-mismatch': 'the Cyrexa API answered for another tenant',
  redirect: 'the Cyrexa API answered with redirects (a wrong CYREXA_BASE_URL?)',
  unstorable: 'the database refused to store the results',
  'rate-limit-unavailable': 'Redis (REDIS_URL), which holds the shared rate limit of API requests, did not answer',
};

export function describeReason(reason: string): string {
  const http = /^http-(\d{3})$/.exec(reason);
  return REASON_WORDS[reason] ?? (http ? `the Cyrexa API answered HTTP ${http[1]}` : `checks failed (${reason})`);
}

export function credentialsRejected(detail: string): OpsAlertText {
  return {
    subject: 'kyc-monitor: Cyrexa rejected the API credentials',
    body:
      'Fix CYREXA_ACCESS_TOKEN (or CYREXA_CLIENT_ID / CYREXA_CLIENT_SECRET), CYREXA_TOKEN and CYREXA_TENANT_ID: until then no customer is checked and no document alert can be raised.\n\n' +
      `The Cyrexa API rejected kyc-monitor's credentials (${detail}). Scans resume by themselves once the credentials work; ` +
      'this alert is not repeated until a scan has completed again.',
  };
}

export function scansFailing(scanId: string, reason: string, failed: number, attempted: number, example: string | null): OpsAlertText {
  return {
    subject: `kyc-monitor: a scan failed — ${describeReason(reason)}`,
    body:
      'Check CYREXA_BASE_URL, the network path to the Cyrexa API and its status: while this lasts, document changes go unnoticed.\n\n' +
      `Scan ${scanId} failed: ${failed} of ${attempted} customer checks failed, most because ${describeReason(reason)}` +
      `${example ? ` (for example: ${example})` : ''}. Scans keep running on their schedule; this alert is not repeated until a scan completes.`,
  };
}

export function scanIncomplete(scanId: string, startedAt: Date, why: string): OpsAlertText {
  return {
    subject: 'kyc-monitor: a scan could not complete',
    body:
      'Check the worker logs, Postgres and Redis; the next scan checks every customer again.\n\n' +
      `Scan ${scanId} (started ${startedAt.toISOString()}) did not complete: ${why}. This alert is not repeated until a scan completes.`,
  };
}

export function tenantMismatch(scanId: string, customers: number, example: string | null): OpsAlertText {
  return {
    subject: 'kyc-monitor: the Cyrexa API answered for another tenant',
    body:
      'Check CYREXA_TENANT_ID and CYREXA_BASE_URL with Cyrexa before trusting any document status: answers for another tenant are refused and change nothing.\n\n' +
      `In scan ${scanId}, ${customers} customer check(s) got an answer for another tenant${example ? ` (for example: ${example})` : ''}. ` +
      'This alert is not repeated until a scan sees no such answer.',
  };
}

export function customersFailing(scanId: string, ids: readonly string[], count: number): OpsAlertText {
  const listed = ids.map((id) => `  ${JSON.stringify(id)}`).join('\n');
  const more = count > ids.length ? `\n  … and ${count - ids.length} more: kyc-monitor track list --failing` : '';
  return {
    subject: `kyc-monitor: ${count} customer(s) failed ${FAILURE_STREAK} scans in a row`,
    body:
      'Run `kyc-monitor track list --failing` for each last error; a customer unknown to Cyrexa (404) should be removed with `kyc-monitor track remove`.\n\n' +
      `The documents of these customers could not be checked in the last ${FAILURE_STREAK} scans (the latest: ${scanId}), so changes to them would go unnoticed:\n${listed}${more}\n`,
  };
}

/** A value outside Cyrexa's documented enumerations, seen for the first time (SPEC §12). */
export function apiDrift(field: string, value: string, customerId: string): OpsAlertText {
  return {
    subject: `kyc-monitor: Cyrexa sent an undocumented ${field}: ${JSON.stringify(value.slice(0, 60))}`,
    body:
      `Check whether ALERT_STATUSES (for a status) or the alert routing (ALERT_ROUTES, for a purpose) should know it; Cyrexa may have changed its API.\n\n` +
      `The getDocuments answer for customer ${JSON.stringify(customerId)} had ${field} ${JSON.stringify(value)}, which is not among the values Cyrexa documents. ` +
      'It was stored as sent and is reported once; kyc_monitor_unknown_values_total counts every document that carries such a value.\n',
  };
}

/** Customers without a successful check for STALE_AFTER_HOURS (SPEC §12), in one alert: the first `ids`, and how many. */
export function staleCustomers(ids: readonly string[], count: number, hours: number): OpsAlertText {
  const listed = ids.map((id) => `  ${JSON.stringify(id)}`).join('\n');
  const more = count > ids.length ? `\n  … and ${count - ids.length} more: kyc-monitor track list --failing` : '';
  return {
    subject: `kyc-monitor: ${count} customer(s) not checked successfully for ${hours} hours`,
    body:
      'Run `kyc-monitor track list --failing` for their last errors, and `kyc-monitor status` for the scans; a customer unknown to Cyrexa should be removed with `kyc-monitor track remove`.\n\n' +
      `No check of these customers' documents has succeeded for more than ${hours} hours (STALE_AFTER_HOURS), so changes to them would go unnoticed:\n${listed}${more}\n\n` +
      'This incident ends when every tracked customer has been checked successfully within that time; no other email is sent about it meanwhile.\n',
  };
}

// Delivery (SPEC §5): one incident per kind, ended by the next email the server accepts.

export const SMTP_CREDENTIALS_REJECTED = 'smtp-credentials-rejected';
export const SMTP_EMAIL_REFUSED = 'smtp-email-refused';
const RECIPIENT_REFUSED = 'recipient-refused:';

export function recipientRefusedKind(recipient: string): string {
  return `${RECIPIENT_REFUSED}${recipient}`;
}

/** Incidents that an email the server accepted for these recipients ends. */
export function endedBySending(recipients: readonly string[]): string[] {
  return [SMTP_CREDENTIALS_REJECTED, SMTP_EMAIL_REFUSED, ...recipients.map(recipientRefusedKind)];
}

export function smtpCredentialsRejected(error: string): OpsIncident {
  return {
    kind: SMTP_CREDENTIALS_REJECTED,
    subject: 'kyc-monitor: the mail server rejected its credentials',
    body:
      'Check the user and password in SMTP_URL: until they work, alert emails are held back (none is lost).\n\n' +
      `The mail server rejected kyc-monitor's SMTP credentials (${error}), so alert emails were held back and retried; ` +
      'they are sent as soon as the credentials work. This is reported once until an email is accepted again.',
  };
}

export function recipientRefused(recipient: string, error: string, alerts: number): OpsIncident {
  return {
    kind: recipientRefusedKind(recipient),
    subject: `kyc-monitor: the mail server refused ${recipient}`,
    body:
      `Check ${recipient} in ALERT_TO, ALERT_ROUTES or OPS_ALERT_TO, and that mailbox: it gets no alerts now (\`kyc-monitor status\` lists every refused recipient).\n\n` +
      `The mail server refused alert email for ${recipient} for good (${error}). ` +
      `${alerts} alert(s) are marked failed for that recipient; the other recipients got them. ` +
      'This is reported once until an email to that address is accepted again.',
  };
}

export function smtpEmailRefused(error: string, alerts: number): OpsIncident {
  return {
    kind: SMTP_EMAIL_REFUSED,
    subject: 'kyc-monitor: alert email refused by the mail server',
    body:
      'Check ALERT_FROM and the mail server: an alert email was refused for good (`kyc-monitor status` lists its alerts).\n\n' +
      `The mail server refused an alert email for good (${error}). Its ${alerts} alert(s) are marked failed. ` +
      'This is reported once until the server accepts an email again.',
  };
}

/** `kyc-monitor alerts test`: shows that the mail settings work. */
export function testEmail(recipients: readonly string[], at: Date): OpsAlertText {
  return {
    subject: 'kyc-monitor test email',
    body:
      `Nothing to do: this test email shows that kyc-monitor's mail settings work and that alert emails reach ${recipients.join(', ')}.\n\n` +
      `It was sent by \`kyc-monitor alerts test\` at ${at.toISOString()}, through the same SMTP_URL and from the same ALERT_FROM as every alert email. ` +
      'Alerts for a purpose listed in ALERT_ROUTES go to that purpose\'s recipients, and operations alerts to OPS_ALERT_TO.',
  };
}
