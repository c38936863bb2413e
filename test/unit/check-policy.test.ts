import { describe, expect, it } from 'vitest';
import { defaultPolicy, moreUrgent, nextDue, retryDue, startOfDay, tickBudget, type PolicyDocument } from '../../src/domain/check-policy.js';

// When a customer is due in continuous mode (SCAN_MODE=continuous): the pure policy, as a table.

const MIN = 60_000;
const H = 60 * MIN;
const at = Date.parse('2026-11-26T10:00:00Z');
const utc = defaultPolicy(24, 'UTC');
const doc = (status: string, expiresOn: string | null = null): PolicyDocument => ({ status, expiresOn });

describe('nextDue', () => {
  it.each<[string, PolicyDocument[], string, number]>([
    ['no document: the routine check an hour before a day has passed', [], '2026-11-27T09:00:00.000Z', 2],
    ['verified, no expiry date: routine', [doc('verified')], '2026-11-27T09:00:00.000Z', 2],
    ['verified, expires in a year: routine', [doc('verified', '2027-11-26')], '2026-11-27T09:00:00.000Z', 2],
    ['verified, expires tomorrow: watched every 4 hours until the day begins', [doc('verified', '2026-11-27')], '2026-11-26T14:00:00.000Z', 3],
    ['verified, expires in 3 days: watched every 4 hours', [doc('verified', '2026-11-29')], '2026-11-26T14:00:00.000Z', 3],
    ['verified, expires in 8 days: routine', [doc('verified', '2026-12-04')], '2026-11-27T09:00:00.000Z', 2],
    ['verified on its expiry day: hourly until the API says expired', [doc('verified', '2026-11-26')], '2026-11-26T11:00:00.000Z', 0],
    ['verified past its expiry date: hourly', [doc('VERIFIED ', '2026-11-20')], '2026-11-26T11:00:00.000Z', 0],
    ['expired: watched for the renewal', [doc('expired', '2026-11-20')], '2026-11-26T14:00:00.000Z', 3],
    ['declined: watched for a new upload', [doc('declined', '2027-05-01')], '2026-11-26T14:00:00.000Z', 3],
    ['incomplete: watched', [doc('incomplete')], '2026-11-26T14:00:00.000Z', 3],
    ['under verification: every 20 minutes', [doc('underverification', '2027-05-01')], '2026-11-26T10:20:00.000Z', 1],
    ['the earliest rule wins', [doc('verified'), doc('declined'), doc('underverification'), doc('verified', '2026-11-27')], '2026-11-26T10:20:00.000Z', 1],
    ['an expiry date beats a later rule', [doc('expired'), doc('verified', '2026-11-27')], '2026-11-26T14:00:00.000Z', 3],
  ])('%s', (_what, documents, when, priority) => {
    const due = nextDue(documents, at, utc);
    expect(new Date(due.at).toISOString()).toBe(when);
    expect(due.priority).toBe(priority);
  });

  it('checks right after an expiry date begins', () => {
    expect(nextDue([doc('verified', '2026-11-27')], Date.parse('2026-11-26T21:00:00Z'), utc)).toEqual({ at: Date.parse('2026-11-27T00:01:00Z'), priority: 0 });
  });

  it('counts expiry days in SCAN_TIMEZONE', () => {
    const berlin = defaultPolicy(24, 'Europe/Berlin');
    // 27 November begins at 23:00 UTC on the 26th in Berlin.
    expect(new Date(nextDue([doc('verified', '2026-11-27')], Date.parse('2026-11-26T20:00:00Z'), berlin).at).toISOString()).toBe('2026-11-26T23:01:00.000Z');
    // At 23:30 UTC it is already the 27th in Berlin: the expiry day has begun.
    expect(nextDue([doc('verified', '2026-11-27')], Date.parse('2026-11-26T23:30:00Z'), berlin)).toEqual({ at: Date.parse('2026-11-27T00:30:00Z'), priority: 0 });
  });

  it('never waits longer than CHECK_EVERY_HOURS: the routine check comes a tenth (at most an hour) before, ahead of the watch', () => {
    const hourly = defaultPolicy(1, 'UTC');
    expect(nextDue([doc('expired')], at, hourly)).toEqual({ at: at + 54 * MIN, priority: 2 });
    expect(nextDue([doc('verified')], at, defaultPolicy(6, 'UTC'))).toEqual({ at: at + 6 * H - 36 * MIN, priority: 2 });
  });

  it('tries a failed check again after 15 minutes', () => {
    expect(retryDue(at, utc)).toEqual({ at: at + 15 * MIN, priority: 2 });
  });
});

describe('startOfDay', () => {
  it.each([
    ['2026-11-27', 'UTC', '2026-11-27T00:00:00.000Z'],
    ['2026-11-27', 'Europe/Berlin', '2026-11-26T23:00:00.000Z'],
    ['2026-07-01', 'Europe/Berlin', '2026-06-30T22:00:00.000Z'],
    // The day summer time begins (at 02:00) and the day it ends: midnight is before either change.
    ['2026-03-29', 'Europe/Berlin', '2026-03-28T23:00:00.000Z'],
    ['2026-10-25', 'Europe/Berlin', '2026-10-24T22:00:00.000Z'],
    ['2026-11-27', 'America/New_York', '2026-11-27T05:00:00.000Z'],
    ['2026-11-27', 'Asia/Kolkata', '2026-11-26T18:30:00.000Z'],
  ])('%s in %s begins at %s', (day, zone, expected) => {
    expect(new Date(startOfDay(day, zone)).toISOString()).toBe(expected);
  });
});

describe('a tick', () => {
  it('dispatches nine tenths of its share of CYREXA_MAX_RPS', () => {
    expect(tickBudget(10, 60_000)).toBe(540);
    expect(tickBudget(0.01, 60_000)).toBe(1);
  });

  it('takes the most urgent first: lower priority, then longest overdue', () => {
    expect(moreUrgent({ at: 5, priority: 0 }, { at: 1, priority: 3 })).toBe(true);
    expect(moreUrgent({ at: 1, priority: 3 }, { at: 5, priority: 3 })).toBe(true);
    expect(moreUrgent({ at: 5, priority: 3 }, { at: 1, priority: 3 })).toBe(false);
  });
});
