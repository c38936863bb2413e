import { describe, expect, it } from 'vitest';
import { addressProblem } from '../../src/domain/recipients.js';
import { parseSmtpUrl } from '../../src/domain/smtp-url.js';
import { classifyRefusal, classifySmtpError } from '../../src/deliver/mailer.js';
import { endedBySending, recipientRefusedKind } from '../../src/domain/ops-alerts.js';
import { chunks, groupByOwed, isDue, recipientsOf, retryDelayMs } from '../../src/deliver/plan.js';
import { sendBudgetMs } from '../../src/deliver/deliver.js';
import { Secrets } from '../../src/secrets.js';

// The pure pieces of delivery: routing, grouping, timing, and what an SMTP answer means.

const routing = { to: ['all@x.io'], routes: new Map([['KYB', ['kyb@x.io', 'lead@x.io']]]), opsTo: ['ops@x.io'] };

describe('recipientsOf', () => {
  it.each([
    [{ kind: 'document', purpose: 'KYB' }, ['kyb@x.io', 'lead@x.io']],
    [{ kind: 'document', purpose: 'KYC' }, ['all@x.io']],
    [{ kind: 'document', purpose: null }, ['all@x.io']],
    [{ kind: 'ops', purpose: 'KYB' }, ['ops@x.io']],
  ])('%j → %j', (alert, expected) => expect(recipientsOf(alert, routing)).toEqual(expected));
});

describe('groupByOwed', () => {
  const alert = (id: number, owed: string[], kind = 'document') => ({ id: BigInt(id), kind, owed });
  it('groups alerts owed to the same set of recipients, whatever the order; operations alerts alone', () => {
    const groups = groupByOwed([alert(1, ['b@x', 'a@x']), alert(2, ['b@x']), alert(3, ['a@x', 'b@x']), alert(4, ['ops@x'], 'ops'), alert(5, ['ops@x'], 'ops'), alert(6, [])]);
    expect(groups.map((g) => ({ recipients: g.recipients, ids: g.alerts.map((a) => Number(a.id)) }))).toEqual([
      { recipients: ['a@x', 'b@x'], ids: [1, 3] },
      { recipients: ['b@x'], ids: [2] },
      { recipients: ['ops@x'], ids: [4] },
      { recipients: ['ops@x'], ids: [5] },
    ]);
  });
});

describe('timing', () => {
  const now = new Date('2026-11-26T08:00:00Z');
  it('a group is due when its oldest alert waited the batch window, or when forced', () => {
    const alerts = [{ detectedAt: new Date('2026-11-26T07:59:30Z') }, { detectedAt: new Date('2026-11-26T07:58:59Z') }];
    expect(isDue(alerts, now, 60_000, false)).toBe(true);
    expect(isDue(alerts.slice(0, 1), now, 60_000, false)).toBe(false);
    expect(isDue(alerts.slice(0, 1), now, 60_000, true)).toBe(true);
  });
  it.each([
    [0, 30_000],
    [1, 60_000],
    [5, 960_000],
    [7, 3_600_000],
    [1000, 3_600_000],
  ])('retry after %i attempts: %i ms', (attempts, ms) => expect(retryDelayMs(attempts, { baseMs: 30_000, maxMs: 3_600_000 })).toBe(ms));
  it('a send ends before the lease renewed for it runs out', () => {
    expect(sendBudgetMs(90_000)).toBe(85_000);
    expect(sendBudgetMs(8_000)).toBe(6_000);
    expect(sendBudgetMs(2_000)).toBe(1_500);
  });
  it('chunks', () => expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]));
});

describe('refusals at RCPT TO', () => {
  it.each([
    [452, '452 4.5.3 Too many recipients', 'next-message'],
    [552, '552 5.5.3 Too many recipients', 'next-message'],
    [552, '552 Too many recipients', 'next-message'],
    [552, '552 mailbox full', 'failed'],
    [550, '550 5.1.1 no such user', 'failed'],
    [450, '450 mailbox busy', 'retry'],
    [451, '451 try later', 'retry'],
  ])('%i %s → %s', (responseCode, response, kind) => expect(classifyRefusal(Object.assign(new Error('Recipient command failed'), { responseCode, response }))).toBe(kind));
});

describe('server text entering the program', () => {
  it('is scrubbed before it is cut, and loses its control characters', () => {
    const secret = 'p4ss-word-xyz';
    const scrub = (text: string) => new Secrets([secret]).scrub(text);
    const long = `${'x'.repeat(290)}${secret} tail`;
    expect(classifySmtpError(Object.assign(new Error(long), { responseCode: 550 }), scrub).error).not.toMatch(/p4ss/);
    expect(classifySmtpError(Object.assign(new Error('bad\u0000reply\u001b[31m'), { responseCode: 550 })).error).toBe('SMTP error 550: bad\uFFFDreply\uFFFD[31m');
  });
});

describe('incidents ended by a delivery', () => {
  it('a delivery accepted for a recipient ends its refusal, and the server-wide incidents', () => {
    expect(endedBySending(['a@x.io'])).toEqual(['smtp-credentials-rejected', 'smtp-email-refused', recipientRefusedKind('a@x.io')]);
  });
});

describe('SMTP_URL: credentials over TLS only', () => {
  it.each([
    ['smtp://mail:25', false],
    ['smtp://user:pw@mail:587', true],
    ['smtp://user:pw@mail:587?requireTLS=false', false],
    ['smtp://mail:25?requireTLS=true', true],
    ['smtps://user:pw@mail:465', false],
  ])('%s → requireTls %s', (url, requireTls) => expect(parseSmtpUrl(url)).toEqual({ ok: true, value: { url, requireTls } }));
  it.each(['http://mail', 'smtp://u:pw@mail?requireTLS=no', 'smtp://u:pw@mail?requireTLS=false&requireTLS=true', 'not a url'])('%s is refused', (url) => {
    const parsed = parseSmtpUrl(url);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).not.toContain('pw');
  });
});

describe('addressProblem', () => {
  it.each(['a@x.io', 'a.b+c@x-y.io', 'ops@localhost'])('%s is a plain address', (address) => expect(addressProblem(address)).toBeNull());
  it.each(['a(comment)b@x.io', 'x:y@x.io', 'a..b@x.io', '"q"@x.io', 'a@b@x.io', 'a@x_y.io', 'a@', '@x.io', 'a'])('%s is not', (address) => expect(addressProblem(address)).not.toBeNull());
});
