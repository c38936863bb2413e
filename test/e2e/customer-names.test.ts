import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/server.js';
import { generatedDetails } from '../../src/sandbox/generator.js';
import { baseEnv, runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, testQueuePrefix, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/servers.js';
import { csvRows, TestSmtpServer, type ReceivedMail } from '../support/smtp.js';
import { visibleText } from '../support/html.js';

// Who the customer is (issue 11, item 3): the names come from the sandbox's getDetailsById over
// HTTP when an email is rendered, the emails reach a real SMTP server; `scan` and `alerts flush`
// as child processes. The steps build on each other (one database, one sandbox).

const SECRETS = { accessToken: 'names-access-token-6d2f1a', tokenHeader: 'names-token-header-0c9e44' };
const INSTRUCTIONS = 'Open the customer in the back office & ask for a new document within 5 days.\nEscalate <declined> ones to the MLRO.';

let t: TestDatabase;
let sandbox: Sandbox;
let smtp: TestSmtpServer;
let env: NodeJS.ProcessEnv;
const outputs: string[] = [];

const expired = (id: string) => [{ purpose: 'KYC', documentType: 'Passport', name: `${id}.pdf`, location: `/files/${id}`, verificationResponse: 'expired', status: 'expired', metadata: [] }];

async function cli(args: string[], extra: Record<string, string | undefined> = {}): Promise<CliResult> {
  const result = await runCli(args, { ...env, ...extra });
  outputs.push(result.stdout, result.stderr);
  return result;
}

/** Tracks these customers (each with an expired passport), scans, and returns the email. */
async function scanCustomers(ids: string[], extra: Record<string, string | undefined> = {}): Promise<ReceivedMail> {
  for (const id of ids) sandbox.setDocuments(id, expired(id));
  await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })) });
  const before = smtp.messages.length;
  const result = await cli(['scan', '--json'], extra);
  expect(result.code, result.stderr).toBe(0);
  const [mail] = (await smtp.waitFor(before + 1)).slice(before);
  if (!mail) throw new Error('no email');
  // Done with them: the next step's scan sees only its own customers.
  await t.db.trackedCustomer.updateMany({ where: { customerId: { in: ids } }, data: { active: false } });
  return mail;
}

beforeAll(async () => {
  t = await createTestDatabase();
  sandbox = await new Sandbox({ customers: 0, accessToken: SECRETS.accessToken, tokenHeader: SECRETS.tokenHeader }).start();
  smtp = await new TestSmtpServer().start();
  env = baseEnv({
    DATABASE_URL: t.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: testQueuePrefix(),
    CYREXA_BASE_URL: sandbox.url,
    CYREXA_TENANT_ID: 'sandbox-tenant',
    CYREXA_ACCESS_TOKEN: SECRETS.accessToken,
    CYREXA_TOKEN: SECRETS.tokenHeader,
    CYREXA_MAX_RPS: '200',
    SMTP_URL: smtp.url,
    ALERT_TO: 'compliance@example.com',
    CUSTOMER_URL_TEMPLATE: 'https://backoffice.example/customers/{id}?tab=kyc',
    ALERT_INSTRUCTIONS: INSTRUCTIONS,
    LOG_LEVEL: 'debug',
  });
});

afterAll(async () => {
  await sandbox?.close();
  await smtp?.close();
  await t?.drop();
});

describe('customer names in alert emails', () => {
  it('names each customer of the email, as a link to its page; the team instructions lead the email; only the customers emailed are looked up', async () => {
    sandbox.setCustomerName('acme-1', 'Acme <Holdings> & Co');
    await t.db.trackedCustomer.create({ data: { customerId: 'quiet-1' } });
    sandbox.setDocuments('quiet-1', [{ ...expired('quiet-1')[0], status: 'verified' }] as never);
    const mail = await scanCustomers(['acme-1', 'cust.2']);
    await t.db.trackedCustomer.update({ where: { customerId: 'quiet-1' }, data: { active: false } });

    const generated = generatedDetails(1, 'cust.2').customer.customerName;
    const text = mail.parsed.text ?? '';
    const html = String(mail.parsed.html);
    expect(text).toContain('- Customer Acme <Holdings> & Co (acme-1)');
    expect(text).toContain(`- Customer ${generated} (cust.2)`);
    expect(text).toContain('Customer page: https://backoffice.example/customers/acme-1?tab=kyc');
    expect(html).toContain('<a href="https://backoffice.example/customers/acme-1?tab=kyc"');
    expect(html).toContain('Acme &lt;Holdings&gt; &amp; Co</a>');
    expect(html).toContain(`<a href="https://backoffice.example/customers/cust.2?tab=kyc" style="color:#1d4ed8">${generated}</a>`);
    expect(html).not.toContain('<Holdings>');
    // The instructions: in both parts, escaped in HTML, before the documents.
    expect(text).toContain(`WHAT TO DO\n\n${INSTRUCTIONS}\n`);
    expect(text.indexOf('WHAT TO DO')).toBeLessThan(text.indexOf('acme-1'));
    expect(html).toContain('Escalate &lt;declined&gt; ones to the MLRO.');
    expect(visibleText(html)).toContain('What to do Open the customer in the back office & ask for a new document within 5 days. Escalate <declined> ones to the MLRO.');
    // The CSV keeps the raw values only (SPEC's header).
    expect(csvRows(mail).map((r) => r.customer_id).sort()).toEqual(['acme-1', 'cust.2']);
    // One lookup per customer in the email, none for the one without an alert.
    expect(sandbox.stats.detailsRequests).toEqual({ 'acme-1': 1, 'cust.2': 1 });
  });

  it('a details endpoint that fails, has no such customer, or echoes credentials: the id alone, no error in the email, no secret anywhere', async () => {
    sandbox.failDetailsNext('fails-1', '500');
    sandbox.setCustomerName('unknown-1', null);
    sandbox.failDetailsNext('echo-1', 'echo');
    const mail = await scanCustomers(['fails-1', 'unknown-1', 'echo-1']);

    const text = mail.parsed.text ?? '';
    const html = String(mail.parsed.html);
    for (const id of ['fails-1', 'unknown-1', 'echo-1']) {
      expect(text).toMatch(new RegExp(`- Customer ${id} — case #\\d+\\n`));
      expect(html).toContain(`<strong><a href="https://backoffice.example/customers/${id}?tab=kyc" style="color:#1d4ed8">${id}</a></strong>`);
    }
    // Status codes as words: the CSV's file name carries the time to the second (…T133500Z.csv at 13:35:00).
    expect(`${text}${html}`).not.toMatch(/\b(500|404)\b|error|unavailable|REDACTED/i);
    const stored = JSON.stringify(await t.db.$queryRawUnsafe('SELECT a.*, d.* FROM alerts a LEFT JOIN alert_deliveries d ON d.alert_id = a.id'), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    for (const place of [text, html, mail.raw, stored, ...outputs]) {
      for (const secret of Object.values(SECRETS)) expect(place).not.toContain(secret);
      // The person's password and PIN of any customer looked up.
      expect(place).not.toContain('sandbox-password-');
      expect(place).not.toContain('pinCode');
    }
  });

  it('a details endpoint that does not answer holds the email only briefly: it goes out with the ids', { timeout: 45_000 }, async () => {
    // The request timeout alone would hold the email for a minute; the bound on names does not.
    sandbox.failDetailsNext(null, 'timeout', 10);
    const mail = await scanCustomers(['slow-1', 'slow-2'], { CYREXA_TIMEOUT_MS: '120000' });
    sandbox.clearFailures();
    expect(mail.parsed.text).toMatch(/- Customer slow-1 — case #\d+\n/);
    expect(mail.parsed.text).toMatch(/- Customer slow-2 — case #\d+\n/);
  });

  it('`alerts flush` has no Cyrexa settings: the email shows the ids, with their links and the instructions', async () => {
    // Raised by a scan while the mail server is away, sent by alerts flush.
    sandbox.setDocuments('later-1', expired('later-1'));
    await t.db.trackedCustomer.create({ data: { customerId: 'later-1' } });
    const scan = await cli(['scan', '--json'], { SMTP_URL: `smtp://127.0.0.1:${await freePort()}` });
    expect(scan.code, scan.stderr).toBe(0);
    const looked = sandbox.stats.detailsRequests['later-1'] ?? 0;

    const before = smtp.messages.length;
    const flushEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('CYREXA_')));
    const flush = await runCli(['alerts', 'flush'], flushEnv);
    outputs.push(flush.stdout, flush.stderr);
    expect(flush.code, flush.stderr).toBe(0);
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail?.parsed.text).toMatch(/- Customer later-1 — case #\d+\n/);
    expect(mail?.parsed.text).toContain('Customer page: https://backoffice.example/customers/later-1?tab=kyc');
    expect(mail?.parsed.text).toContain('WHAT TO DO');
    expect(sandbox.stats.detailsRequests['later-1'] ?? 0).toBe(looked);
  });
});
