import type { Incident } from '../outbox/incidents.js';

// The operations alerts delivery raises, one per incident (SPEC §5), and what ends each.

export const CREDENTIALS_REJECTED = 'smtp-credentials-rejected';
export const EMAIL_REFUSED = 'smtp-email-refused';
const RECIPIENT_REFUSED = 'recipient-refused:';

export function recipientRefusedKind(recipient: string): string {
  return `${RECIPIENT_REFUSED}${recipient}`;
}

/** Incidents that an email the server accepted for these recipients ends. */
export function endedBySending(recipients: readonly string[]): string[] {
  return [CREDENTIALS_REJECTED, EMAIL_REFUSED, ...recipients.map(recipientRefusedKind)];
}

export function credentialsRejected(error: string): Incident {
  return {
    kind: CREDENTIALS_REJECTED,
    subject: 'kyc-monitor: the mail server rejected its credentials',
    body:
      `The mail server rejected kyc-monitor's SMTP credentials (${error}), so alert emails were held back and retried. ` +
      'None was lost: they are sent as soon as the credentials work. Check the user and password in SMTP_URL.',
  };
}

export function recipientRefused(recipient: string, error: string, alerts: number): Incident {
  return {
    kind: recipientRefusedKind(recipient),
    subject: `kyc-monitor: the mail server refused ${recipient}`,
    body:
      `The mail server refused alert email for ${recipient} for good (${error}). ` +
      `${alerts} alert(s) are marked failed for that recipient; the other recipients got them. ` +
      '`kyc-monitor status` lists every refused recipient. Check ALERT_TO, ALERT_ROUTES and OPS_ALERT_TO, and the mailbox. ' +
      'This is reported once until an email to that address is accepted again.',
  };
}

export function emailRefused(error: string, alerts: number): Incident {
  return {
    kind: EMAIL_REFUSED,
    subject: 'kyc-monitor: alert email refused by the mail server',
    body:
      `The mail server refused an alert email for good (${error}). Its ${alerts} alert(s) are marked failed; ` +
      '`kyc-monitor status` lists them. Check ALERT_FROM and the mail server. This is reported once until the server accepts an email again.',
  };
}
