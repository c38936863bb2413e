import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { baseEnv, runCli } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { csvRows, TestSmtpServer, type ReceivedMail } from '../support/smtp.js';
import { visibleText } from '../support/html.js';

// The alert email as it reaches a mail server (SPEC §5, issue 11): `scan` as a child process
// against the sandbox and a real SMTP server; the subject, both parts and the CSV, as a
// compliance officer's mail client gets them. The steps build on each other.

let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
let env: NodeJS.ProcessEnv;

const doc = (purpose: string, documentType: string, name: string, status: string, verificationResponse = `${name}: ${status}`) => ({
  purpose,
  documentType,
  name,
  location: `/files/${name}`,
  verificationResponse,
  status,
  metadata: [],
});

const CSV_HEADER = 'detected_at,customer_id,purpose,document_type,document_name,previous_status,new_status,verification_response,expires_on,case_id';

async function scanAndReceive(): Promise<ReceivedMail> {
  const before = smtp.messages.length;
  const result = await runCli(['scan', '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  await smtp.waitFor(before + 1);
  expect(smtp.messages).toHaveLength(before + 1);
  const mail = smtp.messages.at(-1);
  if (!mail) throw new Error('no email');
  return mail;
}

beforeAll(async () => {
  t = await createTestDatabase();
  sandbox = await new Sandbox({ customers: 0 }).start();
  smtp = await new TestSmtpServer().start();
  env = baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    CYREXA_ACCESS_TOKEN: 'email-test-token',
    SMTP_URL: smtp.url,
    ALERT_TO: 'compliance@example.com',
    HTTP_PORT: '0',
  });
  await t.db.trackedCustomer.createMany({ data: [{ customerId: 'cust-10' }, { customerId: 'cust-9' }, { customerId: 'acme-ltd' }] });
});
afterAll(async () => {
  await sandbox.close();
  await smtp.close();
  await t.drop();
});

describe('the alert email in a real mail server', () => {
  it('at the first check: documents already in an alert status, said so, most severe first', async () => {
    sandbox.setDocuments('cust-10', [doc('KYC', 'Passport', 'passport.pdf', 'verified'), doc('KYC', 'ID front side', 'id-front.png', 'expired', 'Document validity date has passed')]);
    sandbox.setDocuments('cust-9', [doc('KYC', 'livelinessDetection', 'liveness.mp4', 'declined', 'Face does not match')]);
    sandbox.setDocuments('acme-ltd', [doc('KYB', 'shareholderStructure', 'shareholders.pdf', 'verified')]);
    const mail = await scanAndReceive();

    expect(mail.envelope.to).toEqual(['compliance@example.com']);
    expect(mail.parsed.subject).toBe('KYC alert: 1 declined, 1 expired — 2 customers');
    const text = mail.parsed.text ?? '';
    const html = visibleText(mail.parsed.html);
    for (const part of [text, html]) {
      expect(part).toContain('Already declined when first checked');
      expect(part).toContain('Already expired when first checked');
      expect(part).toContain('Liveness detection');
      expect(part).toContain('Detected (UTC)');
      expect(part).not.toMatch(/\bnew\b|→|changed to a status/i);
      // Declined before expired.
      expect(part.indexOf('liveness.mp4')).toBeLessThan(part.indexOf('id-front.png'));
    }

    const attachment = mail.parsed.attachments[0];
    expect(attachment?.filename).toMatch(/^kyc-alerts-\d{8}T\d{6}Z\.csv$/);
    expect(attachment?.contentType).toBe('text/csv');
    expect(attachment?.content.toString('utf8').split('\r\n')[0]).toBe(CSV_HEADER);
    expect(csvRows(mail)).toEqual([
      expect.objectContaining({ customer_id: 'cust-9', purpose: 'KYC', document_type: 'livelinessDetection', document_name: 'liveness.mp4', previous_status: '', new_status: 'declined', verification_response: 'Face does not match', expires_on: '', case_id: expect.stringMatching(/^[1-9][0-9]*$/) }),
      expect.objectContaining({ customer_id: 'cust-10', document_type: 'ID front side', document_name: 'id-front.png', previous_status: '', new_status: 'expired' }),
    ]);
    expect(csvRows(mail)[0]?.detected_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('later: a status change and a new document, each said so; the purposes in the subject', async () => {
    sandbox.setDocuments('cust-10', [doc('KYC', 'Passport', 'passport.pdf', 'expired'), doc('KYC', 'ID front side', 'id-front.png', 'expired', 'Document validity date has passed')]);
    sandbox.setDocuments('acme-ltd', [doc('KYB', 'shareholderStructure', 'shareholders.pdf', 'verified'), doc('KYB', 'accountAuthority', 'authority.pdf', 'declined')]);
    const mail = await scanAndReceive();

    expect(mail.parsed.subject).toBe('KYC/KYB alert: 1 declined, 1 expired — 2 customers');
    const text = mail.parsed.text ?? '';
    const html = visibleText(mail.parsed.html);
    for (const part of [text, html]) {
      expect(part).toContain('Changed from verified to expired');
      expect(part).toContain('New document, declined');
      expect(part).toContain('Account authority');
      expect(part).not.toContain('when first checked');
    }
    expect(csvRows(mail).map((r) => `${r.customer_id} ${r.document_type} ${r.previous_status}>${r.new_status}`)).toEqual([
      'acme-ltd accountAuthority >declined',
      'cust-10 Passport verified>expired',
    ]);
  });
});
