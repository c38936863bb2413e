// npm run preview:email — renders a sample alert email to docs/alert-email-sample.html (and
// .txt, .csv) and screenshots it with headless Chromium (Debian's `chromium` package) at desktop
// and phone widths: docs/alert-email-sample.png, docs/alert-email-sample-phone.png.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAlertEmail, type AlertView } from '../dist/domain/alert-email.js';

const docs = fileURLToPath(new URL('../docs/', import.meta.url));
mkdirSync(docs, { recursive: true });
const at = (minutes: number) => new Date(Date.UTC(2026, 10, 25, 6, minutes, 12));
// One of each: a change, a new document, documents already in an alert status at the first check,
// the documented document types, and hostile values (escaped in HTML, neutralised in the CSV).
const sample: AlertView[] = [
  { detectedAt: at(0), customerId: 'cust-000017', purpose: 'KYC', documentType: 'Passport', documentName: 'passport-2019.pdf', previousStatus: 'verified', newStatus: 'expired', verificationResponse: 'Document validity date has passed', baseline: false },
  { detectedAt: at(0), customerId: 'cust-000017', purpose: 'KYC', documentType: 'selfie', documentName: 'selfie.jpg', previousStatus: 'underverification', newStatus: 'declined', verificationResponse: 'Face does not match the ID document', baseline: false },
  { detectedAt: at(1), customerId: 'acme-holdings-ltd', purpose: 'KYB', documentType: 'shareholderStructure', documentName: 'shareholders Q3.pdf', previousStatus: null, newStatus: 'declined', verificationResponse: 'Ultimate beneficial owner missing', baseline: false },
  { detectedAt: at(1), customerId: 'acme-holdings-ltd', purpose: 'KYB', documentType: 'accountAuthority', documentName: 'board-resolution.pdf', previousStatus: null, newStatus: 'expired', verificationResponse: null, baseline: true },
  { detectedAt: at(2), customerId: 'cust-000105', purpose: 'KYC', documentType: 'livelinessDetection', documentName: 'liveness-check.mp4', previousStatus: null, newStatus: 'expired', verificationResponse: 'Liveness check older than 12 months', baseline: true },
  { detectedAt: at(2), customerId: 'cust-000342', purpose: 'PEP&SANCTION', documentType: 'ID front side', documentName: '<b>id</b> "front".png', previousStatus: 'verified', newStatus: 'expired', verificationResponse: '=HYPERLINK("http://example.com") <script>alert(1)</script>', baseline: false },
];
const email = renderAlertEmail(sample, at(3));
const html = path.join(docs, 'alert-email-sample.html');
writeFileSync(html, email.html);
writeFileSync(path.join(docs, 'alert-email-sample.txt'), `Subject: ${email.subject}\n\n${email.text}`);
writeFileSync(path.join(docs, email.attachment.filename.replace(/-\d{8}T\d{6}Z/, '-sample')), email.attachment.content);
console.log(`wrote ${path.relative(process.cwd(), html)} (subject: ${email.subject})`);

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
if (!chromium) {
  console.error('no Chromium found: install it (apt-get install chromium) for the PNG screenshots');
  process.exit(1);
}
for (const [name, size] of [['alert-email-sample.png', '1000,640'], ['alert-email-sample-phone.png', '390,1560']] as const) {
  const profile = mkdtempSync(path.join(tmpdir(), 'kyc-chromium-'));
  const out = path.join(docs, name);
  const result = spawnSync(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`,
    `--window-size=${size}`, `--screenshot=${out}`, `file://${html}`,
  ], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0 || !existsSync(out)) {
    console.error(`chromium failed (${result.status}): ${result.stderr.slice(-500)}`);
    process.exit(1);
  }
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
