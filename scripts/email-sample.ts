import type { AlertView, RenderedEmail, RenderOptions } from '../src/domain/alert-email.js';
import type { SummaryFigures } from '../src/domain/summary-email.js';

// The sample alert email of docs/ (npm run preview:email writes it; a unit test checks that the
// files there are what the renderer makes of it today).

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 25, 6, minutes, 12));
export const SAMPLE_SENT_AT = at(3);

// One of each: a change, a new document, documents already in an alert status at the first check,
// document types in words, customers with their names (from getDetailsById) and one whose name
// could not be had (its id alone), and hostile values (escaped in HTML, neutralised in the CSV).
export const SAMPLE_ALERTS: AlertView[] = [
  { detectedAt: at(0), customerId: 'cust-000017', purpose: 'KYC', documentType: 'Passport', documentName: 'passport-2019.pdf', customerName: 'Jane Doe', previousStatus: 'verified', newStatus: 'expired', verificationResponse: 'Document validity date has passed', baseline: false, caseId: 41n, expiresOn: '2026-11-24' },
  { detectedAt: at(0), customerId: 'cust-000017', purpose: 'KYC', documentType: 'selfie', documentName: 'selfie.jpg', customerName: 'Jane Doe', previousStatus: 'underverification', newStatus: 'declined', verificationResponse: 'Face does not match the ID document', baseline: false, caseId: 42n },
  { detectedAt: at(1), customerId: 'acme-holdings-ltd', purpose: 'KYB', documentType: 'shareholderStructure', documentName: 'shareholders Q3.pdf', customerName: 'Acme Holdings Ltd', previousStatus: null, newStatus: 'declined', verificationResponse: 'Ultimate beneficial owner missing', baseline: false },
  { detectedAt: at(1), customerId: 'acme-holdings-ltd', purpose: 'KYB', documentType: 'accountAuthority', documentName: 'board-resolution.pdf', customerName: 'Acme Holdings Ltd', previousStatus: null, newStatus: 'expired', verificationResponse: null, baseline: true },
  { detectedAt: at(2), customerId: 'cust-000105', purpose: 'KYC', documentType: 'livelinessDetection', documentName: 'liveness-check.mp4', previousStatus: null, newStatus: 'expired', verificationResponse: 'Liveness check older than 12 months', baseline: true },
  { detectedAt: at(2), customerId: 'cust-000342', purpose: 'PEP&SANCTION', documentType: 'ID front side', documentName: '<b>id</b> "front".png', customerName: '<i>Mallory</i> & Co', previousStatus: 'verified', newStatus: 'expired', verificationResponse: '=HYPERLINK("http://example.com") <script>alert(1)</script>', baseline: false },
];

/** CUSTOMER_URL_TEMPLATE and ALERT_INSTRUCTIONS as a team would set them. */
export const SAMPLE_OPTIONS: RenderOptions = {
  customerUrlTemplate: 'https://backoffice.example/customers/{id}',
  instructions: 'Ask the customer for a new document within 5 working days and note the case in the CRM. Declined selfies: call the customer before asking again.',
};

/** docs/ file name → content. */
export function sampleFiles(email: RenderedEmail): Record<string, string> {
  return {
    'alert-email-sample.html': email.html,
    'alert-email-sample.txt': `Subject: ${email.subject}\n\n${email.text}`,
    'kyc-alerts-sample.csv': email.attachment.content,
  };
}

/** A summary email's figures: a busy week, with cases awaiting acknowledgement and hostile values. */
export const SAMPLE_SUMMARY: SummaryFigures = {
  periodStart: '2026-11-16T08:00:00.000Z',
  periodEnd: '2026-11-23T08:00:00.000Z',
  scansCompleted: 7,
  scansFailed: 1,
  scansInterrupted: 0,
  customersTracked: 18_240,
  customersChecked: 18_236,
  customersNeverChecked: 4,
  customersFailing: 2,
  changes: 311,
  alerts: 23,
  casesOpened: 21,
  casesAcknowledged: 15,
  casesResolved: 12,
  unresolvedByPurpose: [
    { purpose: 'KYB', underOneDay: 0, oneToSevenDays: 2, overSevenDays: 1 },
    { purpose: 'KYC', underOneDay: 3, oneToSevenDays: 4, overSevenDays: 0 },
  ],
  unacknowledged: 6,
  oldestUnacknowledged: [
    { id: 17, customerId: 'acme-holdings-ltd', purpose: 'KYB', documentType: 'shareholderStructure', documentName: 'shareholders Q3.pdf', documentStatus: 'declined', openedAt: '2026-11-12T06:01:12.000Z' },
    { id: 29, customerId: 'cust-000342', purpose: 'KYC', documentType: 'ID front side', documentName: '<b>id</b> "front".png', documentStatus: 'expired', openedAt: '2026-11-18T06:02:12.000Z' },
    { id: 41, customerId: 'cust-000017', purpose: 'KYC', documentType: 'Passport', documentName: 'passport-2019.pdf', documentStatus: 'expired', openedAt: '2026-11-21T06:00:12.000Z' },
  ],
  expiringWithin30Days: 38,
  alertsPending: 0,
  alertsFailed: 1,
};
export const SAMPLE_SUMMARY_AT = new Date('2026-11-23T08:00:05.000Z');

/** docs/ file name → content, for the summary email. */
export function summaryFiles(email: { subject: string; text: string; html: string }): Record<string, string> {
  return { 'summary-email-sample.html': email.html, 'summary-email-sample.txt': `Subject: ${email.subject}\n\n${email.text}` };
}
