import type { AlertView, RenderedEmail, RenderOptions } from '../src/domain/alert-email.js';

// The sample alert email of docs/ (npm run preview:email writes it; a unit test checks that the
// files there are what the renderer makes of it today).

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 25, 6, minutes, 12));
export const SAMPLE_SENT_AT = at(3);

// One of each: a change, a new document, documents already in an alert status at the first check,
// document types in words, customers with their names (from getDetailsById) and one whose name
// could not be had (its id alone), and hostile values (escaped in HTML, neutralised in the CSV).
export const SAMPLE_ALERTS: AlertView[] = [
  { detectedAt: at(0), customerId: 'cust-000017', purpose: 'KYC', documentType: 'Passport', documentName: 'passport-2019.pdf', customerName: 'Jane Doe', previousStatus: 'verified', newStatus: 'expired', verificationResponse: 'Document validity date has passed', baseline: false },
  { detectedAt: at(0), customerId: 'cust-000017', purpose: 'KYC', documentType: 'selfie', documentName: 'selfie.jpg', customerName: 'Jane Doe', previousStatus: 'underverification', newStatus: 'declined', verificationResponse: 'Face does not match the ID document', baseline: false },
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
