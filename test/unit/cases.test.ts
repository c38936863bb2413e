import { describe, expect, it } from 'vitest';
import { ageWords, byProblem, normaliseNote, noteProblem, parseCaseId, silenceEnd, statesOf } from '../../src/domain/cases.js';
import { evidenceCsvRows, evidenceJsonLine, periodBound } from '../../src/domain/evidence.js';
import { followUpSubject, renderFollowUpEmail } from '../../src/domain/follow-up-email.js';

// The pure part of cases (SPEC §10): what people may write, ids, ages, silence ends, the evidence
// formats and the follow-up emails.

describe('--by and --note', () => {
  it.each([
    ['Alice Example', null],
    ['', 'must name who acts (1 to 200 characters)'],
    ['   ', 'must name who acts (1 to 200 characters)'],
    ['x'.repeat(200), null],
    ['x'.repeat(201), 'is longer than 200 characters'],
    ['Al\u001bice', 'contains a control character'],
    ['Al\nice', 'contains a control character'],
    ['System', '"system" is the product itself: name the person'],
  ])('by %j → %j', (by, problem) => expect(byProblem(by)).toBe(problem));

  it.each([
    ['calling the customer', null],
    ['line one\nline two', null],
    ['line one\r\nline two', null],
    ['n'.repeat(2000), null],
    ['n'.repeat(2001), 'is longer than 2000 characters'],
    ['bell\u0007', 'contains a control character (only newlines are allowed)'],
    ['tab\there', 'contains a control character (only newlines are allowed)'],
    [' ', 'is empty'],
  ])('note %j → %j', (note, problem) => expect(noteProblem(note)).toBe(problem));

  it('normalises line ends and trims', () => expect(normaliseNote('  a\r\nb \n')).toBe('a\nb'));
});

describe('case ids, states and ages', () => {
  it.each([
    ['17', 17n],
    ['#17', 17n],
    [' 17 ', 17n],
    ['0', null],
    ['-1', null],
    ['1.5', null],
    ['017', null],
    ['abc', null],
    ['9223372036854775807', 9223372036854775807n],
    ['9223372036854775808', null],
  ])('%j → %s', (text, id) => expect(parseCaseId(text)).toBe(id));

  it('state filters', () => {
    expect(statesOf('unresolved')).toEqual(['open', 'acknowledged']);
    expect(statesOf('all')).toEqual(['open', 'acknowledged', 'resolved']);
    expect(statesOf('resolved')).toEqual(['resolved']);
  });

  it.each([
    [0, '<1m'],
    [59_000, '<1m'],
    [60_000, '1m'],
    [3_600_000 + 12 * 60_000, '1h 12m'],
    [3 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000, '3d 4h'],
    [-5_000, '<1m'],
  ])('age of %i ms → %s', (ms, words) => expect(ageWords(new Date(0), new Date(ms))).toBe(words));
});

describe('silence ends', () => {
  const now = new Date('2026-11-26T10:00:00Z');
  it.each([
    [{ for: '12h' }, '2026-11-26T22:00:00.000Z'],
    [{ for: '7d' }, '2026-12-03T10:00:00.000Z'],
    [{ for: '30m' }, '2026-11-26T10:30:00.000Z'],
    [{ for: '365d' }, '2027-11-26T10:00:00.000Z'],
    [{ until: '2026-12-31' }, '2026-12-31T00:00:00.000Z'],
    [{ until: '2026-12-31T18:00:00Z' }, '2026-12-31T18:00:00.000Z'],
    [{ until: '2026-12-31T18:00:00+02:00' }, '2026-12-31T16:00:00.000Z'],
  ])('%j → %s', (spec, end) => expect(silenceEnd(spec, now)).toEqual({ ok: true, value: new Date(end) }));

  it.each([
    [{}, 'give exactly one of --until ISO-8601 and --for 12h|7d'],
    [{ for: '1d', until: '2026-12-31' }, 'give exactly one of --until ISO-8601 and --for 12h|7d'],
    [{ for: '366d' }, 'at most 365 days ahead'],
    [{ for: '2w' }, '--for must be a number of minutes, hours or days'],
    [{ until: '2026-11-26' }, 'must end in the future'],
    [{ until: 'tomorrow' }, '--until must be an ISO-8601 date'],
    [{ until: '2026-02-30' }, '--until must be an ISO-8601 date'],
  ])('%j is refused: %s', (spec, error) => {
    const result = silenceEnd(spec, now);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(error);
  });
});

describe('evidence formats', () => {
  const record = { at: new Date('2026-11-26T10:00:00Z'), kind: 'note', customerId: '@cust', purpose: 'KYC', documentType: 'Passport', documentName: '=1+1', caseId: 17, actor: 'Alice', details: { note: 'a\nb' } };
  it('JSON lines keep the exact values', () => {
    expect(JSON.parse(evidenceJsonLine(record))).toEqual({ ...record, at: '2026-11-26T10:00:00.000Z' });
  });
  it('CSV cells a spreadsheet would run are neutralised; line breaks are quoted', () => {
    expect(evidenceCsvRows([record])).toBe(`2026-11-26T10:00:00.000Z,note,'@cust,KYC,Passport,'=1+1,17,Alice,"{""note"":""a\\nb""}"\r\n`);
  });
  it.each([
    ['2026-11-01', 'from', '2026-11-01T00:00:00.000Z'],
    ['2026-11-30', 'to', '2026-12-01T00:00:00.000Z'],
    ['2026-11-30T12:00:00Z', 'to', '2026-11-30T12:00:00.000Z'],
    ['2026-11-30T12:00', 'to', null],
    ['2026-02-30', 'from', null],
    ['yesterday', 'from', null],
  ] as const)('%s as --%s → %s', (text, side, at) => expect(periodBound(text, side)?.toISOString() ?? null).toBe(at));
});

describe('follow-up emails', () => {
  const now = new Date('2026-11-26T10:00:00Z');
  const hostile = { caseId: 7n, customerId: '<b>c-1</b>', purpose: 'KYC', documentType: 'Passport', documentName: '<script>alert(1)</script>', documentStatus: 'expired', openedAt: new Date('2026-11-24T08:00:00Z'), link: 'https://kyc.example/cases/7?t=a&b' };
  it('subjects count the cases', () => {
    expect(followUpSubject('reminder', 1, 0)).toBe('KYC reminder: 1 open case awaiting acknowledgement');
    expect(followUpSubject('reminder', 3, 0)).toBe('KYC reminder: 3 open cases awaiting acknowledgement');
    expect(followUpSubject('escalation', 2, 48)).toBe('KYC escalation: 2 cases unacknowledged for more than 48 hours');
    expect(followUpSubject('escalation', 1, 0.5)).toBe('KYC escalation: 1 case unacknowledged for more than 0.5 hours');
  });
  it('list each case, oldest first, with its age; every API value escaped in the HTML', () => {
    const newer = { ...hostile, caseId: 9n, customerId: 'c-2', documentName: 'id', openedAt: new Date('2026-11-26T09:00:00Z'), link: null };
    const email = renderFollowUpEmail('reminder', [newer, hostile], now);
    expect(email.text.indexOf('Case #7')).toBeLessThan(email.text.indexOf('Case #9'));
    expect(email.text).toContain('- Case #7, open for 2d 2h: customer <b>c-1</b>');
    expect(email.text).toContain('  Acknowledge: https://kyc.example/cases/7?t=a&b');
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<b>c-1');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.html).toContain('href="https://kyc.example/cases/7?t=a&amp;b"');
  });
});
