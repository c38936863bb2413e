import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderAlertEmail } from '../../src/domain/alert-email.js';
import { renderSummaryEmail } from '../../src/domain/summary-email.js';
import { SAMPLE_ALERTS, SAMPLE_OPTIONS, SAMPLE_SENT_AT, SAMPLE_SUMMARY, SAMPLE_SUMMARY_AT, sampleFiles, summaryFiles } from '../../scripts/email-sample.ts';

// The sample email in docs/ (linked from the README) is what the renderer makes today:
// `npm run preview:email` regenerates it (and its screenshots) after a change to the wording.

describe('docs/ alert email samples', () => {
  const files = sampleFiles(renderAlertEmail(SAMPLE_ALERTS, SAMPLE_SENT_AT, SAMPLE_OPTIONS));
  it.each(Object.keys(files))('docs/%s is up to date (else: npm run preview:email)', (name) => {
    expect(readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8')).toBe(files[name]);
  });

  it('shows each kind of alert: a change, a new document, one already in an alert status at the first check', () => {
    const text = files['alert-email-sample.txt'] ?? '';
    expect(text).toContain('Changed from verified to expired');
    expect(text).toContain('New document, declined');
    expect(text).toContain('Already expired when first checked');
  });

  it('names the customers, links them, and carries the team instructions', () => {
    const html = files['alert-email-sample.html'] ?? '';
    expect(files['alert-email-sample.txt']).toContain('Jane Doe (cust-000017)');
    expect(html).toContain('href="https://backoffice.example/customers/acme-holdings-ltd"');
    expect(html).toContain('&lt;i&gt;Mallory&lt;/i&gt; &amp; Co');
    expect(html).toContain('Ask the customer for a new document within 5 working days');
  });
});

describe('docs/ summary email samples', () => {
  const files = summaryFiles(renderSummaryEmail(SAMPLE_SUMMARY, SAMPLE_SUMMARY_AT));
  it.each(Object.keys(files))('docs/%s is up to date (else: npm run preview:email)', (name) => {
    expect(readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8')).toBe(files[name]);
  });
});
