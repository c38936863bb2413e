// npm run preview:email — renders the sample alert email (email-sample.ts) to
// docs/alert-email-sample.html (and .txt, docs/kyc-alerts-sample.csv) and the sample summary email
// to docs/summary-email-sample.html (and .txt), and screenshots both with headless Chromium
// (Debian's `chromium` package) at desktop and phone widths: docs/<name>.png, docs/<name>-phone.png.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAlertEmail } from '../dist/domain/alert-email.js';
import { renderSummaryEmail } from '../dist/domain/summary-email.js';
import { SAMPLE_ALERTS, SAMPLE_OPTIONS, SAMPLE_SENT_AT, SAMPLE_SUMMARY, SAMPLE_SUMMARY_AT, sampleFiles, summaryFiles } from './email-sample.ts';

const docs = fileURLToPath(new URL('../docs/', import.meta.url));
mkdirSync(docs, { recursive: true });
const email = renderAlertEmail(SAMPLE_ALERTS, SAMPLE_SENT_AT, SAMPLE_OPTIONS);
for (const [name, content] of Object.entries(sampleFiles(email))) writeFileSync(path.join(docs, name), content);
console.log(`wrote the alert email sample (subject: ${email.subject})`);
const summary = renderSummaryEmail(SAMPLE_SUMMARY, SAMPLE_SUMMARY_AT);
for (const [name, content] of Object.entries(summaryFiles(summary))) writeFileSync(path.join(docs, name), content);
console.log(`wrote the summary email sample (subject: ${summary.subject})`);

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
if (!chromium) {
  console.error('no Chromium found: install it (apt-get install chromium) for the PNG screenshots');
  process.exit(1);
}
const shots = [
  ['alert-email-sample', 'alert-email-sample.png', '1000,640'],
  ['alert-email-sample', 'alert-email-sample-phone.png', '390,1560'],
  ['summary-email-sample', 'summary-email-sample.png', '1000,900'],
  ['summary-email-sample', 'summary-email-sample-phone.png', '390,1900'],
] as const;
for (const [sample, name, size] of shots) {
  const html = path.join(docs, `${sample}.html`);
  const profile = mkdtempSync(path.join(tmpdir(), 'kyc-chromium-'));
  const out = path.join(docs, name);
  const result = spawnSync(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`,
    `--window-size=${size}`, `--screenshot=${out}`, `file://${html}`,
  ], { encoding: 'utf8', timeout: 60_000 });
  rmSync(profile, { recursive: true, force: true });
  if (result.status !== 0 || !existsSync(out)) {
    console.error(`chromium failed (${result.status}): ${result.stderr.slice(-500)}`);
    process.exit(1);
  }
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
