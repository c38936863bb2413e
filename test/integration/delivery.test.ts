import { createServer, type AddressInfo, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { AlertDelivery, type DeliveryOptions } from '../../src/alerts/deliver.js';
import { createSmtpMailer, type Mailer } from '../../src/alerts/mailer.js';
import { OutboxStore } from '../../src/store/outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { TestSmtpServer } from '../support/smtp.js';

// Outbox delivery against real Postgres and a real SMTP server.

let t: TestDatabase;
let smtp: TestSmtpServer;
let mailer: Mailer;
let outbox: OutboxStore;
const log = pino({ level: 'silent' });
const options: DeliveryOptions = {
  from: 'kyc-monitor@example.com',
  to: ['compliance@example.com'],
  routes: new Map([['KYB', ['kyb@example.com', 'lead@example.com']]]),
  opsTo: ['ops@example.com'],
  batchSeconds: 60,
};

beforeAll(async () => {
  t = await createTestDatabase();
  outbox = new OutboxStore(t.database);
  smtp = await new TestSmtpServer().start();
  mailer = createSmtpMailer(smtp.url, { timeoutMs: 5_000 });
});
afterAll(async () => {
  mailer.close();
  await smtp.close();
  await t.drop();
});
beforeEach(async () => {
  await t.db.alert.deleteMany();
  smtp.messages.length = 0;
  smtp.reject = undefined;
});

async function addAlert(over: { customerId?: string; purpose?: string; newStatus?: string; previousStatus?: string | null; documentName?: string; detectedAt?: Date } = {}) {
  return t.db.alert.create({
    data: {
      kind: 'document',
      customerId: over.customerId ?? 'cust-1',
      purpose: over.purpose ?? 'KYC',
      documentType: 'Passport',
      documentName: over.documentName ?? 'passport.pdf',
      previousStatus: over.previousStatus === undefined ? 'verified' : over.previousStatus,
      newStatus: over.newStatus ?? 'expired',
      verificationResponse: 'validity passed',
      detectedAt: over.detectedAt ?? new Date(Date.now() - 120_000),
    },
  });
}

describe('AlertDelivery', () => {
  it('groups pending alerts by recipients into one email each, with text, HTML and the CSV', async () => {
    await addAlert();
    await addAlert({ customerId: 'cust-2', newStatus: 'declined', previousStatus: 'underverification' });
    await addAlert({ purpose: 'KYB', documentName: 'registry.pdf' });
    const report = await new AlertDelivery(outbox, mailer, options, log).deliver();
    expect(report).toMatchObject({ emailsSent: 2, alertsSent: 3, alertsRetrying: 0, alertsFailed: 0 });
    const byTo = Object.fromEntries(smtp.messages.map((m) => [m.envelope.to.sort().join(','), m]));
    const compliance = byTo['compliance@example.com'];
    expect(compliance?.parsed.subject).toBe('KYC alert: 2 documents of 2 customers declined or expired');
    expect(compliance?.parsed.text).toContain('Customer cust-2');
    expect(compliance?.parsed.html).toContain('<table');
    const attachment = compliance?.parsed.attachments[0];
    expect(attachment?.filename).toMatch(/^kyc-alerts-\d{8}T\d{6}Z\.csv$/);
    expect((parse(attachment?.content.toString('utf8') ?? '', { columns: true }) as unknown[]).length).toBe(2);
    expect(byTo['kyb@example.com,lead@example.com']?.parsed.subject).toBe('KYC alert: 1 document of 1 customer expired');
    expect(await outbox.counts()).toEqual({ pending: 0, failed: 0, sent: 3 });
    expect(await new AlertDelivery(outbox, mailer, options, log).deliver()).toMatchObject({ emailsSent: 0 });
  });

  it('holds new alerts for the batch window unless forced', async () => {
    await addAlert({ detectedAt: new Date() });
    const delivery = new AlertDelivery(outbox, mailer, options, log);
    expect(await delivery.deliver()).toMatchObject({ emailsSent: 0, alertsWaiting: 1 });
    expect(await outbox.counts()).toMatchObject({ pending: 1 });
    expect(await delivery.deliver({ force: true })).toMatchObject({ emailsSent: 1, alertsSent: 1 });
  });

  it('keeps alerts pending with a later attempt on 451, then delivers each exactly once', async () => {
    await addAlert();
    smtp.reject = { code: 451, message: 'try again later' };
    let now = new Date();
    const delivery = new AlertDelivery(outbox, mailer, options, log, () => now);
    expect(await delivery.deliver()).toMatchObject({ emailsSent: 0, alertsRetrying: 1 });
    const pending = await t.db.alert.findFirstOrThrow();
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });
    expect(pending.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    expect(pending.lastError).toMatch(/451/);
    smtp.reject = undefined;
    expect(await delivery.deliver()).toMatchObject({ emailsSent: 0 }); // not due yet
    await t.db.alert.updateMany({ data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    now = new Date();
    expect(await delivery.deliver()).toMatchObject({ emailsSent: 1, alertsSent: 1 });
    expect(smtp.messages).toHaveLength(1);
  });

  it('marks alerts failed on 550, raises an operations alert, and still sends the other groups', async () => {
    await addAlert();
    await addAlert({ purpose: 'KYB' });
    // A real server that refuses one mailbox for good.
    const picky = await new TestSmtpServer({
      onRcptTo: (address, _session, callback) => {
        if (address.address !== 'refused@example.com') return callback();
        const error = new Error('mailbox unavailable') as Error & { responseCode: number };
        error.responseCode = 550;
        callback(error);
      },
    }).start();
    const pickyMailer = createSmtpMailer(picky.url, { timeoutMs: 5_000 });
    try {
      const report = await new AlertDelivery(outbox, pickyMailer, { ...options, to: ['refused@example.com'] }, log).deliver();
      expect(report).toMatchObject({ emailsSent: 1, alertsFailed: 1 });
      expect(await t.db.alert.count({ where: { status: 'failed' } })).toBe(1);
      expect((await t.db.alert.findFirstOrThrow({ where: { status: 'failed' } })).lastError).toMatch(/550/);
      expect(picky.messages.map((m) => m.envelope.to.sort().join(','))).toEqual(['kyb@example.com,lead@example.com']);
      const ops = await t.db.alert.findFirstOrThrow({ where: { kind: 'ops' } });
      expect(ops.subject).toMatch(/refused/);
    } finally {
      pickyMailer.close();
      await picky.close();
    }
  });

  it('marks alerts failed when the real server answers 550', async () => {
    await addAlert();
    smtp.reject = { code: 550, message: 'no such user' };
    expect(await new AlertDelivery(outbox, mailer, options, log).deliver()).toMatchObject({ alertsFailed: 1 });
    expect(await t.db.alert.findFirstOrThrow({ where: { kind: 'document' } })).toMatchObject({ status: 'failed' });
  });

  it('keeps alerts pending when the server cannot be reached', async () => {
    await addAlert();
    const down = createSmtpMailer('smtp://127.0.0.1:1', { timeoutMs: 2_000 });
    expect(await new AlertDelivery(outbox, down, options, log).deliver()).toMatchObject({ alertsRetrying: 1 });
    expect(await outbox.counts()).toMatchObject({ pending: 1, failed: 0 });
    down.close();
  });

  it('on 535 (credentials rejected) keeps the alerts, and queues one operations alert saying why they are late', async () => {
    await addAlert();
    await addAlert({ customerId: 'cust-2' });
    const strict = await new TestSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth: (auth, _session, callback) => (auth.password === 'right' ? callback(null, { user: auth.username }) : callback(new Error('Invalid username or password'))),
    }).start();
    const wrong = createSmtpMailer(`smtp://kyc:wrong-pass@127.0.0.1:${strict.port}`, { timeoutMs: 5_000 });
    const right = createSmtpMailer(`smtp://kyc:right@127.0.0.1:${strict.port}`, { timeoutMs: 5_000 });
    try {
      const failing = new AlertDelivery(outbox, wrong, options, log);
      expect(await failing.deliver()).toMatchObject({ alertsRetrying: 2, authenticationFailed: true, alertsFailed: 0 });
      expect(await failing.deliver({ force: true })).toMatchObject({ emailsSent: 0 }); // not due yet: backoff
      const docs = await t.db.alert.findMany({ where: { kind: 'document' } });
      expect(docs.every((a) => a.status === 'pending' && /535/.test(a.lastError ?? '') && !(a.lastError ?? '').includes('wrong-pass'))).toBe(true);
      expect(await t.db.alert.count({ where: { kind: 'ops' } })).toBe(1);
      // Credentials fixed: the document alerts and the operations alert all go out.
      await t.db.alert.updateMany({ data: { nextAttemptAt: new Date(Date.now() - 1000), detectedAt: new Date(Date.now() - 120_000) } });
      expect(await new AlertDelivery(outbox, right, options, log).deliver()).toMatchObject({ alertsSent: 3, emailsSent: 2 });
      expect(strict.messages.map((m) => m.parsed.subject).sort()).toEqual(['KYC alert: 2 documents of 2 customers expired', 'kyc-monitor: the mail server rejected its credentials'].sort());
    } finally {
      wrong.close();
      right.close();
      await strict.close();
    }
  });

  it('times out a server that accepts the connection but never answers, and keeps the alert for a retry', async () => {
    await addAlert();
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const mailer = createSmtpMailer(`smtp://127.0.0.1:${port}`, { timeoutMs: 1_500 });
    try {
      const report = await new AlertDelivery(outbox, mailer, options, log).deliver();
      expect(report).toMatchObject({ alertsRetrying: 1, alertsSent: 0 });
      expect(sockets.length).toBeGreaterThan(0);
      const alert = await t.db.alert.findFirstOrThrow();
      expect(alert).toMatchObject({ status: 'pending', attempts: 1 });
      expect(alert.lastError).toMatch(/timeout|ETIMEDOUT/i);
    } finally {
      mailer.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('sends each operations alert once, to OPS_ALERT_TO', async () => {
    expect(await outbox.addOpsAlert('incident-1', 'kyc-monitor: something', 'details')).toBe(true);
    expect(await outbox.addOpsAlert('incident-1', 'kyc-monitor: something', 'details')).toBe(false);
    await t.db.alert.updateMany({ data: { detectedAt: new Date(Date.now() - 120_000) } });
    expect(await new AlertDelivery(outbox, mailer, options, log).deliver()).toMatchObject({ emailsSent: 1 });
    expect(smtp.messages[0]?.envelope.to).toEqual(['ops@example.com']);
    expect(smtp.messages[0]?.parsed.subject).toBe('kyc-monitor: something');
  });

  it('two deliverers at once send each alert once', async () => {
    for (let i = 0; i < 20; i++) await addAlert({ customerId: `c-${i}` });
    const a = new AlertDelivery(outbox, mailer, options, log);
    const b = new AlertDelivery(outbox, mailer, options, log);
    const [ra, rb] = await Promise.all([a.deliver(), b.deliver()]);
    expect(ra.alertsSent + rb.alertsSent).toBe(20);
    const rows = smtp.messages.flatMap((m) => parse(m.parsed.attachments[0]?.content.toString('utf8') ?? '', { columns: true }) as unknown[]);
    expect(rows).toHaveLength(20);
  });
});
