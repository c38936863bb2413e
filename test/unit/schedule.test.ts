import { describe, expect, it } from 'vitest';
import type { ScanSchedule } from '../../src/config.js';
import { isOverdue, missedTick } from '../../src/domain/schedule.js';

// The schedule's real ticks are the ones BullMQ's job scheduler fires: cron-parser's next(),
// walked forward in the schedule's zone. Europe/Berlin springs forward on 2027-03-28 at 02:00
// (01:00Z; 02:30 does not exist, the 02:30 tick fires at 03:30 CEST = 01:30Z) and falls back on
// 2027-10-31 at 03:00 (01:00Z; 02:30 happens twice, the tick fires once, at 00:30Z).

const cron = (pattern: string, timezone = 'UTC'): ScanSchedule => ({ kind: 'cron', pattern, timezone });
const berlin230 = cron('30 2 * * *', 'Europe/Berlin');
const weekdays = cron('0 6 * * 1-5', 'Europe/Berlin');
const every = (seconds: number): ScanSchedule => ({ kind: 'every', seconds });
const at = (iso: string) => new Date(iso);

describe('missedTick: the tick a catch-up scan is for', () => {
  it.each([
    // [what, schedule, last scan started, now, missed tick or null]
    ['daily, scanned at the last tick', cron('0 6 * * *'), '2026-11-25T06:00:01Z', '2026-11-25T08:00:00Z', null],
    ['daily, the last tick missed', cron('0 6 * * *'), '2026-11-24T06:00:01Z', '2026-11-25T08:00:00Z', '2026-11-25T06:00:00.000Z'],
    ['daily, several ticks missed: the last one', cron('0 6 * * *'), '2026-11-20T06:00:01Z', '2026-11-25T08:00:00Z', '2026-11-25T06:00:00.000Z'],
    ['the zone counts', cron('0 6 * * *', 'Europe/Berlin'), '2026-11-24T05:00:01Z', '2026-11-25T08:00:00Z', '2026-11-25T05:00:00.000Z'],
    ['DST spring: the tick moved to 03:30 is caught up', berlin230, '2027-03-27T01:30:05Z', '2027-03-28T06:00:00Z', '2027-03-28T01:30:00.000Z'],
    ['DST spring: not before it fired (03:20 CEST)', berlin230, '2027-03-27T01:30:05Z', '2027-03-28T01:20:00Z', null],
    ['DST spring: a scan inside the shifted hour does not hide it', berlin230, '2027-03-28T01:10:00Z', '2027-03-28T06:00:00Z', '2027-03-28T01:30:00.000Z'],
    ['DST spring: the day after', berlin230, '2027-03-28T01:30:05Z', '2027-03-29T06:00:00Z', '2027-03-29T00:30:00.000Z'],
    ['DST autumn: the tick fires once, at the first 02:30', berlin230, '2027-10-30T00:30:05Z', '2027-10-31T05:00:00Z', '2027-10-31T00:30:00.000Z'],
    ['DST autumn: the repeated 02:30 is no tick', berlin230, '2027-10-31T00:30:05Z', '2027-10-31T02:00:00Z', null],
    ['weekdays: nothing over a weekend', weekdays, '2026-11-27T05:00:05Z', '2026-11-29T12:00:00Z', null],
    ['weekdays: Monday 06:00 missed', weekdays, '2026-11-27T05:00:05Z', '2026-11-30T05:30:00Z', '2026-11-30T05:00:00.000Z'],
    ['the 31st skips short months', cron('0 0 31 * *'), '2027-01-31T00:00:05Z', '2027-04-15T00:00:00Z', '2027-03-31T00:00:00.000Z'],
    ['the last day of February', cron('0 0 L * *'), '2027-01-31T00:00:05Z', '2027-03-01T00:00:00Z', '2027-02-28T00:00:00.000Z'],
    ['a leap day, years later', cron('0 0 29 2 *'), '2024-02-29T00:00:05Z', '2028-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['every 5 minutes after a month down', cron('*/5 * * * *'), '2026-10-25T08:00:05Z', '2026-11-25T08:07:00Z', '2026-11-25T08:05:00.000Z'],
    ['no scan yet: the last tick', cron('0 6 * * *'), null, '2026-11-25T05:00:00Z', '2026-11-24T06:00:00.000Z'],
    ['fixed interval: within it', every(3600), '2026-11-25T07:30:00Z', '2026-11-25T08:00:00Z', null],
    ['fixed interval: a whole one passed', every(3600), '2026-11-25T06:30:00Z', '2026-11-25T08:00:00Z', '2026-11-25T07:30:00.000Z'],
    ['fixed interval, no scan yet', every(3600), null, '2026-11-25T08:20:00Z', '2026-11-25T08:00:00.000Z'],
  ] as const)('%s', (_what, schedule, last, now, expected) => {
    expect(missedTick(schedule, last === null ? null : at(last), at(now))?.toISOString() ?? null).toBe(expected);
  });
});

describe('isOverdue: the second tick after the last completed scan started has passed', () => {
  it.each([
    // [what, schedule, since, now, overdue]
    ['daily: the next tick passed, not the second', cron('0 6 * * *'), '2026-11-23T06:00:05Z', '2026-11-25T05:59:59Z', false],
    ['daily: the second tick passed', cron('0 6 * * *'), '2026-11-23T06:00:05Z', '2026-11-25T06:00:00Z', true],
    ['weekdays: not over the weekend', weekdays, '2026-11-27T05:00:05Z', '2026-11-29T23:00:00Z', false],
    ['weekdays: not on Monday', weekdays, '2026-11-27T05:00:05Z', '2026-11-30T12:00:00Z', false],
    ['weekdays: on Tuesday 06:00', weekdays, '2026-11-27T05:00:05Z', '2026-12-01T05:00:00Z', true],
    ['DST spring: before the second tick', berlin230, '2027-03-27T01:30:05Z', '2027-03-29T00:29:00Z', false],
    ['DST spring: at the second tick', berlin230, '2027-03-27T01:30:05Z', '2027-03-29T00:30:00Z', true],
    ['DST autumn: the repeated 02:30 is no tick', berlin230, '2027-10-30T00:30:05Z', '2027-10-31T01:45:00Z', false],
    ['DST autumn: since inside the repeated hour', berlin230, '2027-10-31T01:10:00Z', '2027-11-01T02:00:00Z', false],
    ['DST autumn: at the second tick', berlin230, '2027-10-30T00:30:05Z', '2027-11-01T01:30:00Z', true],
    ['month ends: not before the end of March', cron('0 0 L * *'), '2027-01-31T00:00:05Z', '2027-03-30T23:59:00Z', false],
    ['month ends: at the end of March', cron('0 0 L * *'), '2027-01-31T00:00:05Z', '2027-03-31T00:00:00Z', true],
    ['fixed interval: under two intervals', every(600), '2026-11-25T08:00:00Z', '2026-11-25T08:19:59Z', false],
    ['fixed interval: two intervals', every(600), '2026-11-25T08:00:00Z', '2026-11-25T08:20:00Z', true],
  ] as const)('%s', (_what, schedule, since, now, expected) => {
    expect(isOverdue(schedule, at(since), at(now))).toBe(expected);
  });
});
