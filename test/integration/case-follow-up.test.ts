import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { CaseService } from '../../src/cases/cases.js';
import { AlertDelivery, type DeliveryOptions } from '../../src/deliver/deliver.js';
import { createSmtpMailer, type Mailer } from '../../src/deliver/mailer.js';
import { OutboxStore } from '../../src/outbox/store.js';
import { createDatabase, type Database } from '../../src/store/database.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { TestSmtpServer, type ReceivedMail } from '../support/smtp.js';

// Reminders and escalations (SPEC §10) against real Postgres and a real SMTP server: through the
// outbox, at most one per case per interval however many replicas run, none after an
// acknowledgement is recorded, each recorded in the case's timeline with its message id.

const HOUR = 3_600_000;
const log = pino({ level: 'silent' });
const options: DeliveryOptions = {
  from: 'kyc-monitor@example.com',
  to: ['compliance@example.com'],
  routes: new Map(),
  opsTo: ['ops@example.com'],
  batchSeconds: 0,
  leaseMs: 30_000,
  retry: { baseMs: 1_000, maxMs: 10_000 },
  escalateTo: ['head-of-compliance@example.com'],
  escalateAfterHours: 48,
};
const policy = { remindEveryMs: 24 * HOUR, escalateAfterMs: 48 * HOUR };

let t: TestDatabase;
let smtp: TestSmtpServer;

/** One replica: its own pool, outbox, mailer and delivery. */
interface Replica {
  db: Database;
  outbox: OutboxStore;
  mailer: Mailer;
  delivery: AlertDelivery;
  cases: CaseService;
}
const replicas: Replica[] = [];

function replica(): Replica {
  const db = createDatabase({ url: t.url, poolSize: 4 });
  const outbox = new OutboxStore(db);
  const mailer = createSmtpMailer(smtp.url, { timeoutMs: 10_000 });
  const r = { db, outbox, mailer, delivery: new AlertDelivery(outbox, mailer, options, log), cases: new CaseService(db) };
  replicas.push(r);
  return r;
}

beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
});
afterAll(async () => {
  await smtp.close();
});
beforeEach(async () => {
  for (const r of replicas.splice(0)) {
    r.mailer.close();
    await r.db.close();
  }
  if (t) await t.drop();
  t = await createTestDatabase();
  smtp.messages.length = 0;
  smtp.stall = false;
});
afterAll(async () => {
  for (const r of replicas.splice(0)) {
    r.mailer.close();
    await r.db.close();
  }
  await t.drop();
});

/** `n` open cases, opened `openedHoursAgo` ago, their alert emailed `emailedHoursAgo` ago. */
async function openCases(n: number, openedHoursAgo: number, emailedHoursAgo: number | null, now = new Date()): Promise<bigint[]> {
  const ids = Array.from({ length: n }, (_, i) => `c-${String(i).padStart(3, '0')}`);
  await t.db.trackedCustomer.createMany({ data: ids.map((customerId) => ({ customerId })) });
  const at = (hours: number) => new Date(now.getTime() - hours * HOUR);
  await t.db.case.createMany({
    data: ids.map((customerId) => ({
      customerId,
      purpose: 'KYC',
      documentType: 'Passport',
      documentName: 'passport',
      documentStatus: 'expired',
      openedAt: at(openedHoursAgo),
      lastAlertAt: at(openedHoursAgo),
      lastEmailedAt: emailedHoursAgo === null ? null : at(emailedHoursAgo),
    })),
  });
  return (await t.db.case.findMany({ orderBy: { id: 'asc' }, select: { id: true } })).map((c) => c.id);
}

/** Case ids (`#17`) each received email lists, by subject kind. */
function casesIn(messages: readonly ReceivedMail[], subject: RegExp): bigint[] {
  return messages.filter((m) => subject.test(String(m.parsed.subject))).flatMap((m) => [...(m.parsed.text ?? '').matchAll(/^- Case #(\d+),/gm)].map((x) => BigInt(x[1] as string)));
}

function countBy(ids: readonly bigint[]): Map<bigint, number> {
  const counts = new Map<bigint, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

describe('reminders', () => {
  it('two replicas looking at once for the same 200 open cases remind each exactly once per interval, recorded in its timeline', async () => {
    const ids = await openCases(200, 30, 25);
    const [a, b] = [replica(), replica()];
    const round = async (now: Date) => {
      // Each replica looks and delivers, at once, three times within the interval.
      for (let i = 0; i < 3; i++) {
        await Promise.all([a, b].map(async (r) => {
          await r.outbox.queueFollowUps(now, { ...policy, escalateAfterMs: 0 });
          await r.delivery.deliver({ force: true });
        }));
      }
    };
    await round(new Date());
    const first = countBy(casesIn(smtp.messages, /^KYC reminder: /));
    expect(first.size).toBe(200);
    expect([...first.values()].every((n) => n === 1)).toBe(true);
    expect(smtp.messages.every((m) => m.envelope.to.join() === 'compliance@example.com')).toBe(true);
    expect(String(smtp.messages[0]?.parsed.subject)).toMatch(/^KYC reminder: \d+ open cases? awaiting acknowledgement$/);

    // Within the interval: nothing more. A day later: one more each.
    await round(new Date(Date.now() + 23 * HOUR));
    expect(casesIn(smtp.messages, /^KYC reminder: /)).toHaveLength(200);
    await round(new Date(Date.now() + 25 * HOUR));
    const second = countBy(casesIn(smtp.messages, /^KYC reminder: /));
    expect([...second.values()].every((n) => n === 2)).toBe(true);

    const timeline = await t.db.caseEvent.findMany({ where: { caseId: ids[0] }, orderBy: { id: 'asc' } });
    expect(timeline.map((e) => e.kind)).toEqual(['reminder', 'reminder']);
    expect(timeline[0]?.details).toMatchObject({ recipients: ['compliance@example.com'], messageId: expect.stringMatching(/.+/) });
    expect(await t.db.alert.count({ where: { kind: 'reminder', status: 'sent' } })).toBe(400);
  });

  it('a case acknowledged before its reminder goes out is not reminded: the reminder is cancelled', async () => {
    const [id] = await openCases(1, 30, 25);
    const r = replica();
    expect(await r.outbox.queueFollowUps(new Date(), policy)).toEqual({ reminders: 1, escalations: 0 });
    await r.cases.acknowledge([id as bigint], { by: 'Alice', note: null, via: 'cli' });
    const report = await r.delivery.deliver({ force: true });
    expect(report.emailsSent).toBe(0);
    expect(smtp.messages).toHaveLength(0);
    expect(await t.db.alert.findFirstOrThrow({ where: { kind: 'reminder' } })).toMatchObject({ status: 'cancelled', claimToken: null });
    // Acknowledged: never due again.
    expect(await r.outbox.queueFollowUps(new Date(Date.now() + 100 * HOUR), policy)).toEqual({ reminders: 0, escalations: 0 });
  });

  it('an acknowledgement racing a reminder: once the acknowledgement is recorded, no reminder for the case goes out', async () => {
    const [id] = await openCases(1, 30, 25);
    const r = replica();
    await r.outbox.queueFollowUps(new Date(), policy);
    smtp.stall = true;
    const delivering = r.delivery.deliver({ force: true });
    for (let i = 0; smtp.stalledCount === 0; i++) {
      if (i > 300) throw new Error('the reminder never reached the SMTP server');
      await delay(50);
    }
    // The reminder is on the wire; someone acknowledges the case now.
    let acceptedWhenAckRecorded = -1;
    const ack = r.cases.acknowledge([id as bigint], { by: 'Alice', note: null, via: 'web' }).then((result) => {
      acceptedWhenAckRecorded = smtp.messages.length;
      return result;
    });
    await delay(500);
    smtp.stall = false;
    smtp.releaseStalled();
    await Promise.all([delivering, ack]);
    // The acknowledgement waited for the send: the reminder had been accepted before it was recorded.
    expect(acceptedWhenAckRecorded).toBe(1);
    expect(await t.db.case.findUniqueOrThrow({ where: { id: id as bigint } })).toMatchObject({ state: 'acknowledged' });
    // Nothing more goes out for it.
    await r.outbox.queueFollowUps(new Date(Date.now() + 100 * HOUR), policy);
    await r.delivery.deliver({ force: true });
    expect(casesIn(smtp.messages, /^KYC (reminder|escalation): /)).toEqual([id]);
  });

  it('no reminder for a case whose alert never went out, nor for one emailed within the interval', async () => {
    await openCases(3, 30, null);
    const r = replica();
    expect(await r.outbox.queueFollowUps(new Date(), { ...policy, escalateAfterMs: 0 })).toEqual({ reminders: 0, escalations: 0 });
    await t.db.case.updateMany({ data: { lastEmailedAt: new Date(Date.now() - 2 * HOUR) } });
    expect(await r.outbox.queueFollowUps(new Date(), { ...policy, escalateAfterMs: 0 })).toEqual({ reminders: 0, escalations: 0 });
  });
});

describe('escalation', () => {
  it('a case open longer than ESCALATE_AFTER_HOURS goes once to ESCALATE_TO, recorded in its timeline; replicas escalate it once', async () => {
    const ids = await openCases(30, 50, 1);
    await t.db.case.update({ where: { id: ids[0] as bigint }, data: { state: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: 'Bob' } });
    const [a, b] = [replica(), replica()];
    for (let i = 0; i < 2; i++) {
      await Promise.all([a, b].map(async (r) => {
        await r.outbox.queueFollowUps(new Date(Date.now() + i * 100 * HOUR), { remindEveryMs: 0, escalateAfterMs: 48 * HOUR });
        await r.delivery.deliver({ force: true });
      }));
    }
    const escalated = countBy(casesIn(smtp.messages, /^KYC escalation: /));
    expect(escalated.size).toBe(29);
    expect(escalated.has(ids[0] as bigint)).toBe(false);
    expect([...escalated.values()].every((n) => n === 1)).toBe(true);
    const mail = smtp.messages.find((m) => /^KYC escalation: /.test(String(m.parsed.subject)));
    // Each replica's pass sends what it claimed: an email may carry one case or many, and says how many.
    const carried = casesIn(mail ? [mail] : [], /^KYC escalation: /).length;
    expect(carried).toBeGreaterThan(0);
    expect(String(mail?.parsed.subject)).toBe(`KYC escalation: ${carried} ${carried === 1 ? 'case' : 'cases'} unacknowledged for more than 48 hours`);
    expect(mail?.envelope.to).toEqual(['head-of-compliance@example.com']);
    expect(mail?.parsed.text).toMatch(/- Case #\d+, open for 2d 2h: customer c-0\d\d/);
    const timeline = await t.db.caseEvent.findMany({ where: { caseId: ids[1] } });
    expect(timeline.map((e) => [e.kind, e.actor])).toEqual([['escalation', 'system']]);
    // Escalations do not count as the team's emails: reminders still follow their own interval.
    expect((await t.db.case.findUniqueOrThrow({ where: { id: ids[1] as bigint } })).lastEmailedAt?.getTime()).toBeLessThan(Date.now() - 0.5 * HOUR);
  });
});

describe('silences and follow-ups', () => {
  it('a silenced case is neither reminded nor escalated; when the silence ends, its follow-ups resume', async () => {
    const [id] = await openCases(1, 60, 25);
    const r = replica();
    await t.db.silence.create({ data: { customerId: 'c-000', startsAt: new Date(Date.now() - HOUR), endsAt: new Date(Date.now() + HOUR), createdBy: 'Alice', reason: 'renewal in branch' } });
    expect(await r.outbox.queueFollowUps(new Date(), policy)).toEqual({ reminders: 0, escalations: 0 });
    await t.db.silence.updateMany({ data: { removedAt: new Date(), removedBy: 'Alice' } });
    expect(await r.outbox.queueFollowUps(new Date(), policy)).toEqual({ reminders: 1, escalations: 1 });
    // A silence added after they were queued holds them too: not claimed, not sent, still pending.
    await t.db.silence.create({ data: { customerId: 'c-000', purpose: 'KYC', startsAt: new Date(Date.now() - 1000), endsAt: new Date(Date.now() + HOUR), createdBy: 'Bob', reason: 'again' } });
    await r.delivery.deliver({ force: true });
    expect(smtp.messages).toHaveLength(0);
    expect(await t.db.alert.count({ where: { caseId: id, status: 'pending' } })).toBe(2);
  });
});

describe('the timeline is evidence', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of its entries', async () => {
    const [id] = await openCases(1, 1, 1);
    const r = replica();
    await r.cases.note(id as bigint, { by: 'Alice', note: 'first' });
    await expect(r.db.withClient((c) => c.query(`UPDATE case_events SET actor = 'Mallory'`))).rejects.toThrow(/case_events is append-only: UPDATE refused/);
    await expect(r.db.withClient((c) => c.query('DELETE FROM case_events'))).rejects.toThrow(/append-only: DELETE refused/);
    await expect(r.db.withClient((c) => c.query('TRUNCATE case_events CASCADE'))).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect(await t.db.caseEvent.findMany({ select: { actor: true, details: true } })).toEqual([{ actor: 'Alice', details: { note: 'first' } }]);
  });
});

describe('links in follow-ups', () => {
  it('each case of a reminder carries its link when the links are on', async () => {
    const [id] = await openCases(1, 30, 25);
    const db = createDatabase({ url: t.url, poolSize: 2 });
    const outbox = new OutboxStore(db);
    const mailer = createSmtpMailer(smtp.url, { timeoutMs: 10_000 });
    replicas.push({ db, outbox, mailer, delivery: new AlertDelivery(outbox, mailer, options, log), cases: new CaseService(db) });
    const delivery = new AlertDelivery(outbox, mailer, { ...options, caseLink: (caseId) => `https://kyc.example/cases/${caseId}?t=signed` }, log);
    await outbox.queueFollowUps(new Date(), policy);
    await delivery.deliver({ force: true });
    expect(smtp.messages[0]?.parsed.text).toContain(`  Acknowledge: https://kyc.example/cases/${id}?t=signed`);
    expect(smtp.messages[0]?.parsed.html).toContain(`<a href="https://kyc.example/cases/${id}?t=signed"`);
  });
});
