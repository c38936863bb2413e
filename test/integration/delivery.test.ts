import { createServer, type AddressInfo, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { AlertDelivery, type DeliveryOptions } from '../../src/deliver/deliver.js';
import { createSmtpMailer, type Mailer, type SmtpMailerOptions } from '../../src/deliver/mailer.js';
import { OutboxStore } from '../../src/outbox/store.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { csvRows, TestSmtpServer } from '../support/smtp.js';
import { baseEnv, runCli } from '../support/cli.js';
import { Secrets } from '../../src/secrets.js';
import pg from 'pg';

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
  leaseMs: 90_000,
  retry: { baseMs: 30_000, maxMs: 3_600_000 },
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
  await t.db.opsIncident.deleteMany();
  await t.db.alert.deleteMany();
  smtp.messages.length = 0;
  smtp.reject = undefined;
});

/** Alerts name tracked customers (a foreign key): these tests track whom they alert about. */
async function tracked(ids: readonly string[]): Promise<void> {
  await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })), skipDuplicates: true });
}

async function addAlert(over: { customerId?: string; purpose?: string; newStatus?: string; previousStatus?: string | null; documentName?: string; detectedAt?: Date } = {}) {
  await tracked([over.customerId ?? 'cust-1']);
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
    expect(compliance?.parsed.subject).toBe('KYC alert: 1 declined, 1 expired — 2 customers');
    expect(compliance?.parsed.text).toContain('Customer cust-2');
    expect(compliance?.parsed.html).toContain('<table');
    const attachment = compliance?.parsed.attachments[0];
    expect(attachment?.filename).toMatch(/^kyc-alerts-\d{8}T\d{6}Z\.csv$/);
    expect((parse(attachment?.content.toString('utf8') ?? '', { columns: true }) as unknown[]).length).toBe(2);
    expect(byTo['kyb@example.com,lead@example.com']?.parsed.subject).toBe('KYB alert: 1 expired — 1 customer');
    expect(await outbox.counts()).toEqual({ pending: 0, failed: 0, sent: 3, held: 0, failedDeliveries: 0 });
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
      // The operations email as it arrives: its first line says what to do.
      await new AlertDelivery(outbox, mailer, options, log).deliver({ force: true });
      const opsMail = smtp.messages.find((m) => m.envelope.to.includes('ops@example.com'));
      expect(opsMail?.parsed.subject).toBe('kyc-monitor: the mail server refused refused@example.com');
      expect(opsMail?.parsed.text?.split('\n')[0]).toMatch(/^Check refused@example\.com in ALERT_TO, ALERT_ROUTES or OPS_ALERT_TO, and that mailbox: /);
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
    // Credentials go over TLS: this server offers STARTTLS (a self-signed certificate).
    const strict = await new TestSmtpServer({
      starttls: true,
      authOptional: false,
      onAuth: (auth, _session, callback) => (auth.password === 'right' ? callback(null, { user: auth.username }) : callback(new Error('Invalid username or password'))),
    }).start();
    const wrong = createSmtpMailer(`smtp://kyc:wrong-pass@127.0.0.1:${strict.port}?tls.rejectUnauthorized=false`, { timeoutMs: 5_000 });
    const right = createSmtpMailer(`smtp://kyc:right@127.0.0.1:${strict.port}?tls.rejectUnauthorized=false`, { timeoutMs: 5_000 });
    try {
      const failing = new AlertDelivery(outbox, wrong, options, log);
      expect(await failing.deliver()).toMatchObject({ alertsRetrying: 2, authenticationFailed: true, alertsFailed: 0 });
      expect(await failing.deliver()).toMatchObject({ emailsSent: 0, alertsRetrying: 0 }); // not due yet: backoff
      // A person asking for delivery tries at once (the operations alert too); the incident is still the same one.
      expect(await failing.deliver({ force: true })).toMatchObject({ emailsSent: 0, alertsRetrying: 3, authenticationFailed: true });
      const docs = await t.db.alert.findMany({ where: { kind: 'document' } });
      expect(docs.every((a) => a.status === 'pending' && /535/.test(a.lastError ?? '') && !(a.lastError ?? '').includes('wrong-pass'))).toBe(true);
      expect(await t.db.alert.count({ where: { kind: 'ops' } })).toBe(1);
      // Credentials fixed: the document alerts and the operations alert all go out, and the incident ends.
      await t.db.alert.updateMany({ data: { nextAttemptAt: new Date(Date.now() - 1000), detectedAt: new Date(Date.now() - 120_000) } });
      expect(await new AlertDelivery(outbox, right, options, log).deliver()).toMatchObject({ alertsSent: 3, emailsSent: 2 });
      expect(strict.messages.map((m) => m.parsed.subject).sort()).toEqual(['KYC alert: 2 expired — 2 customers', 'kyc-monitor: the mail server rejected its credentials'].sort());
      expect(await t.db.opsIncident.findMany({ select: { kind: true, endedAt: true } })).toEqual([{ kind: 'smtp-credentials-rejected', endedAt: expect.any(Date) }]);
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
    expect(await outbox.raiseIncident({ kind: 'incident-1', subject: 'kyc-monitor: something', body: 'details' })).toBe(true);
    expect(await outbox.raiseIncident({ kind: 'incident-1', subject: 'kyc-monitor: something', body: 'details' })).toBe(false);
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

describe('the database unavailable when the SMTP answer is to be recorded', () => {
  /** The real store, whose writes of SMTP answers fail `times` times as a lost connection does. */
  class FlakyRecordOutbox extends OutboxStore {
    failures = 0;
    constructor(
      private failTimes: number,
      private error: () => Error = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ) {
      super(t.database);
    }
    override async record(...args: Parameters<OutboxStore['record']>): ReturnType<OutboxStore['record']> {
      if (this.failures < this.failTimes) {
        this.failures++;
        throw this.error();
      }
      return super.record(...args);
    }
  }

  it('an accepted email is recorded once the database answers again: never sent twice', async () => {
    await addAlert();
    const flaky = new FlakyRecordOutbox(3);
    const short = { ...options, leaseMs: 2_000 };
    const report = await new AlertDelivery(flaky, mailer, short, log).deliver({ force: true });
    expect(flaky.failures).toBe(3);
    expect(report).toMatchObject({ emailsSent: 1, alertsSent: 1 });
    expect(await t.db.alert.findMany({ select: { status: true, claimToken: true } })).toEqual([{ status: 'sent', claimToken: null }]);
    // Past the claim's lease, another pass finds nothing to send.
    await new Promise((r) => setTimeout(r, 2_100));
    expect(await new AlertDelivery(outbox, mailer, short, log).deliver({ force: true })).toMatchObject({ emailsSent: 0 });
    expect(smtp.messages).toHaveLength(1);
  });

  it('an error in the write itself (not the database being away) is not retried', async () => {
    await addAlert();
    const broken = new FlakyRecordOutbox(1, () => Object.assign(new Error('value too long for type character varying(16)'), { code: '22001' }));
    await expect(new AlertDelivery(broken, mailer, options, log).deliver({ force: true })).rejects.toThrow(/value too long/);
    expect(broken.failures).toBe(1);
  });
});

/** An error smtp-server sends back as the reply `<code> <message>`. */
function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

const fifty = Array.from({ length: 50 }, (_, i) => `r${String(i).padStart(2, '0')}@example.com`);

async function withServer<T>(server: TestSmtpServer, url: string | ((s: TestSmtpServer) => string), fn: (mailer: Mailer, server: TestSmtpServer) => Promise<T>, mailerOptions: SmtpMailerOptions = {}): Promise<T> {
  await server.start();
  const m = createSmtpMailer(typeof url === 'string' ? url : url(server), { timeoutMs: 5_000, ...mailerOptions });
  try {
    return await fn(m, server);
  } finally {
    m.close();
    server.releaseStalled();
    await server.close();
  }
}

describe('delivery per recipient (issue 9 item 7)', () => {
  it('550 for 5 of 50 recipients: those 5 are failed, reported and raise operations alerts; the 45 get the alert once', async () => {
    const refused = new Set(fifty.filter((_, i) => i % 10 === 3));
    const server = new TestSmtpServer({ onRcptTo: (address, _s, cb) => (refused.has(address.address) ? cb(smtpError(550, 'mailbox unavailable')) : cb()) });
    await withServer(server, (s) => s.url, async (m) => {
      await addAlert();
      const delivery = new AlertDelivery(outbox, m, { ...options, to: fifty }, log);
      await delivery.deliver();
      expect(server.messages).toHaveLength(1);
      expect(server.messages[0]?.envelope.to.sort()).toEqual(fifty.filter((a) => !refused.has(a)));
      const alert = await t.db.alert.findFirstOrThrow({ where: { kind: 'document' } });
      expect(alert.status).toBe('failed');
      expect(alert.lastError).toMatch(/550/);
      // One operations alert per refused address (an incident each).
      const ops = await t.db.alert.findMany({ where: { kind: 'ops' } });
      expect(ops).toHaveLength(5);
      for (const address of refused) expect(ops.some((o) => o.body?.includes(address))).toBe(true);
      // Another pass sends the document alert to nobody again.
      await delivery.deliver({ force: true });
      expect(server.messages.filter((msg) => !msg.envelope.to.includes('ops@example.com'))).toHaveLength(1);
      // `status` lists each refused recipient, as text and as JSON.
      const env = baseEnv({ DATABASE_URL: t.url, LOG_LEVEL: 'silent' });
      const json = await runCli(['status', '--json'], env);
      expect(json.code, json.stderr).toBe(0);
      const failed = (JSON.parse(json.stdout) as { failedDeliveries?: Array<{ recipient: string; error: string }> }).failedDeliveries ?? [];
      expect(failed.map((f) => f.recipient).sort()).toEqual([...refused].sort());
      expect(failed.every((f) => /550/.test(f.error))).toBe(true);
      const text = await runCli(['status'], env);
      for (const address of refused) expect(text.stdout).toContain(address);
    });
  });

  it('452 after 20 recipients: the rest get it in further emails, each recipient exactly once', async () => {
    const server = new TestSmtpServer({ onRcptTo: (_address, session, cb) => (session.envelope.rcptTo.length >= 20 ? cb(smtpError(452, 'too many recipients')) : cb()) });
    await withServer(server, (s) => s.url, async (m) => {
      await addAlert();
      await new AlertDelivery(outbox, m, { ...options, to: fifty }, log).deliver();
      const received = server.messages.flatMap((msg) => msg.envelope.to);
      expect(received.sort()).toEqual(fifty);
      expect(await t.db.alert.findFirstOrThrow({ where: { kind: 'document' } })).toMatchObject({ status: 'sent' });
    });
  });

  it('4xx for some recipients: only they are retried; pending alerts group by the recipients still owed', async () => {
    const ten = fifty.slice(0, 10);
    const busy = new Set([ten[2], ten[5], ten[7]]);
    let refusing = true;
    const server = new TestSmtpServer({ onRcptTo: (address, _s, cb) => (refusing && busy.has(address.address) ? cb(smtpError(450, 'mailbox busy')) : cb()) });
    await withServer(server, (s) => s.url, async (m) => {
      await addAlert({ customerId: 'first' });
      const delivery = new AlertDelivery(outbox, m, { ...options, to: ten }, log);
      await delivery.deliver();
      expect(server.messages).toHaveLength(1);
      expect(await t.db.alert.findFirstOrThrow({ where: { customerId: 'first' } })).toMatchObject({ status: 'pending' });
      refusing = false;
      await addAlert({ customerId: 'second' });
      await delivery.deliver({ force: true });
      // The first alert goes only to the three that refused it; the second to all ten.
      const byRecipients = server.messages.slice(1).map((msg) => ({ to: msg.envelope.to.sort(), customers: csvRows(msg).map((r) => r.customer_id) }));
      expect(byRecipients).toHaveLength(2);
      expect(byRecipients).toContainEqual({ to: [...busy].sort(), customers: ['first'] });
      expect(byRecipients).toContainEqual({ to: [...ten].sort(), customers: ['second'] });
      expect(await t.db.alert.count({ where: { kind: 'document', status: 'sent' } })).toBe(2);
    });
  });
});

describe('a person asking for delivery (issue 9 item 8)', () => {
  it('alerts flush sends at once after a 4xx, whatever the backoff', async () => {
    await addAlert();
    smtp.reject = { code: 451, message: 'try again later' };
    expect(await new AlertDelivery(outbox, mailer, options, log).deliver()).toMatchObject({ alertsRetrying: 1 });
    smtp.reject = undefined;
    const result = await runCli(['alerts', 'flush'], baseEnv({ DATABASE_URL: t.url, SMTP_URL: smtp.url, ALERT_TO: 'compliance@example.com', LOG_LEVEL: 'warn' }));
    expect(result.code, result.stderr).toBe(0);
    expect(smtp.messages).toHaveLength(1);
    expect(await outbox.counts()).toMatchObject({ pending: 0, sent: 1 });
  });
});

describe('deadline (issue 9 item 9)', () => {
  it('2,000 pending alerts and a server that never answers DATA: deliver returns at its deadline, everything still pending', { timeout: 20_000 }, async () => {
    await tracked(Array.from({ length: 2_000 }, (_, i) => `c-${i}`));
    await t.db.alert.createMany({
      data: Array.from({ length: 2_000 }, (_, i) => ({ kind: 'document', customerId: `c-${i}`, purpose: 'KYC', documentType: 'Passport', documentName: 'p.pdf', previousStatus: 'verified', newStatus: 'expired', detectedAt: new Date(Date.now() - 120_000) })),
    });
    const server = new TestSmtpServer();
    server.stall = true;
    await server.start();
    const silentData = createSmtpMailer(server.url); // production timeouts: 30 s of silence
    try {
      const report = await new AlertDelivery(outbox, silentData, options, log).deliver({ force: true, deadline: Date.now() + 3_000 });
      // The first email of 500 was aborted at the deadline; the other 1,500 were not started.
      expect(report).toMatchObject({ alertsSent: 0, alertsRetrying: 500, alertsDeferred: 1_500 });
      expect(server.stalledCount).toBe(1);
      expect(await outbox.counts()).toMatchObject({ pending: 2_000, sent: 0 });
      expect(await t.db.alert.count({ where: { lastError: { contains: 'ran out of time' } } })).toBe(500);
      expect(await t.db.alert.count({ where: { claimToken: { not: null } } })).toBe(0); // all handed back
    } finally {
      silentData.close();
      server.releaseStalled();
      await server.close();
    }
  });
});

describe('TLS for credentials (issue 9 item 10)', () => {
  it('a server without STARTTLS never gets the password; the alerts stay pending saying why', async () => {
    let logins = 0;
    const server = new TestSmtpServer({ authOptional: false, allowInsecureAuth: true, onAuth: (auth, _s, cb) => (logins++, cb(null, { user: auth.username })) });
    await withServer(server, (s) => `smtp://kyc:tls-only-pass@127.0.0.1:${s.port}`, async (m) => {
      await addAlert();
      await new AlertDelivery(outbox, m, options, log).deliver();
      expect(logins).toBe(0);
      const alert = await t.db.alert.findFirstOrThrow();
      expect(alert.status).toBe('pending');
      expect(alert.lastError).toMatch(/STARTTLS/);
      expect(alert.lastError).toMatch(/requireTLS=false/);
    });
  });

  it('?requireTLS=false allows a password in clear, as asked', async () => {
    let logins = 0;
    const server = new TestSmtpServer({ authOptional: false, allowInsecureAuth: true, onAuth: (auth, _s, cb) => (logins++, cb(null, { user: auth.username })) });
    await withServer(server, (s) => `smtp://kyc:clear-pass@127.0.0.1:${s.port}?requireTLS=false`, async (m) => {
      await addAlert();
      expect(await new AlertDelivery(outbox, m, options, log).deliver()).toMatchObject({ alertsSent: 1 });
      expect(logins).toBe(1);
    });
  });

  it('a server with STARTTLS gets the password over TLS', async () => {
    let secureLogins = 0;
    const server = new TestSmtpServer({ starttls: true, authOptional: false, onAuth: (auth, session, cb) => ((secureLogins += session.secure ? 1 : 0), cb(null, { user: auth.username })) });
    await withServer(server, (s) => `smtp://kyc:tls-pass@127.0.0.1:${s.port}?tls.rejectUnauthorized=false`, async (m) => {
      await addAlert();
      expect(await new AlertDelivery(outbox, m, options, log).deliver()).toMatchObject({ alertsSent: 1 });
      expect(secureLogins).toBe(1);
    });
  });
});

describe('SMTP replies are scrubbed where they enter (issue 9 item 11)', () => {
  const password = 'smtp-echoed-pass-93e1';
  it('a 535 echoing the password: not in last_error, the log, or the operations alert', async () => {
    const lines: string[] = [];
    const capture = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const server = new TestSmtpServer({ authOptional: false, allowInsecureAuth: true, onAuth: (auth, _s, cb) => cb(smtpError(535, `Invalid login ${auth.username}/${auth.password}`)) });
    await withServer(server, (s) => `smtp://kyc:${password}@127.0.0.1:${s.port}?requireTLS=false`, async (m) => {
      await addAlert();
      await new AlertDelivery(outbox, m, options, capture).deliver();
      const rows = await t.db.alert.findMany();
      expect(rows.find((r) => r.kind === 'document')?.lastError).toMatch(/535/);
      expect(rows.some((r) => r.kind === 'ops')).toBe(true);
      const everything = JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + lines.join('\n');
      expect(everything).not.toContain(password);
      expect(everything).toContain('[REDACTED]');
    }, { scrub: (text) => new Secrets([password]).scrub(text) });
  });

  it('a 550 at RCPT echoing the password: not in the recipient\'s error or the operations alert', async () => {
    const server = new TestSmtpServer({ onRcptTo: (address, _s, cb) => cb(smtpError(550, `no such user ${address.address} (${password})`)) });
    await withServer(server, (s) => s.url, async (m) => {
      await addAlert();
      await new AlertDelivery(outbox, m, options, log).deliver();
      const rows = await t.db.alert.findMany();
      const everything = JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      expect(everything).toMatch(/550/);
      expect(everything).not.toContain(password);
    }, { scrub: (text) => new Secrets([password]).scrub(text) });
  });
});

describe('claim (issue 10 item 3)', () => {
  it('skips an alert row locked by another transaction instead of waiting for it', { timeout: 15_000 }, async () => {
    const locked = await addAlert({ customerId: 'locked' });
    await addAlert({ customerId: 'free' });
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM alerts WHERE id = $1 FOR UPDATE', [locked.id.toString()]);
      const report = await new AlertDelivery(outbox, mailer, options, log).deliver();
      expect(report).toMatchObject({ alertsSent: 1 });
      expect(smtp.messages.flatMap((msg) => csvRows(msg).map((r) => r.customer_id))).toEqual(['free']);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('four deliverers at once send each of 200 alerts once', async () => {
    await tracked(Array.from({ length: 200 }, (_, i) => `m-${i}`));
    await t.db.alert.createMany({
      data: Array.from({ length: 200 }, (_, i) => ({ kind: 'document', customerId: `m-${i}`, purpose: i % 2 ? 'KYB' : 'KYC', documentType: 'Passport', documentName: 'p.pdf', previousStatus: 'verified', newStatus: 'expired', detectedAt: new Date(Date.now() - 120_000) })),
    });
    const reports = await Promise.all([0, 1, 2, 3].map(() => new AlertDelivery(outbox, mailer, options, log).deliver()));
    expect(reports.reduce((n, r) => n + r.alertsSent, 0)).toBe(200);
    const rows = smtp.messages.flatMap((msg) => csvRows(msg).map((r) => `${r.customer_id}`));
    // KYB alerts go to two recipients in one email: each row once per email.
    expect(rows.sort()).toEqual(Array.from({ length: 200 }, (_, i) => `m-${i}`).sort());
  });
});

describe('failed alerts, as status lists them', () => {
  it('newest first by id as a number, not as text (10 after 9)', async () => {
    for (let i = 0; i < 11; i++) await addAlert({ documentName: `d-${i}` });
    await t.db.alert.updateMany({ data: { status: 'failed', lastError: '550 no such user' } });
    const ids = (await outbox.listFailed(20)).map((a) => a.id);
    expect(ids).toEqual([...ids].sort((a, b) => Number(b - a)));
    expect(ids).toHaveLength(11);
  });
});

describe('operations incidents (SPEC §5)', () => {
  it('credentials rejected across midnight: one operations alert for the incident', async () => {
    await addAlert();
    const strict = new TestSmtpServer({ authOptional: false, allowInsecureAuth: true, onAuth: (_auth, _s, cb) => cb(new Error('Invalid username or password')) });
    await withServer(strict, (s) => `smtp://kyc:wrong-pass@127.0.0.1:${s.port}?requireTLS=false`, async (m) => {
      await new AlertDelivery(outbox, m, options, log, () => new Date('2026-11-25T23:59:00Z')).deliver({ force: true });
      await new AlertDelivery(outbox, m, options, log, () => new Date('2026-11-26T00:01:00Z')).deliver({ force: true });
      expect(await t.db.alert.count({ where: { kind: 'ops' } })).toBe(1);
    });
  });
});
