import { CronExpressionParser } from 'cron-parser';
import type { ScanSchedule } from '../config.js';

// Schedule arithmetic: when the last tick before `now` was, to tell whether one was missed.

export function previousTick(schedule: ScanSchedule, now: Date): Date {
  if (schedule.kind === 'every') {
    const ms = schedule.seconds * 1000;
    return new Date(Math.floor(now.getTime() / ms) * ms);
  }
  return CronExpressionParser.parse(schedule.pattern, { tz: schedule.timezone, currentDate: now }).prev().toDate();
}

/** Typical time between ticks, for "no scan completed for too long" warnings. */
export function tickInterval(schedule: ScanSchedule, now: Date): number {
  if (schedule.kind === 'every') return schedule.seconds * 1000;
  const expression = CronExpressionParser.parse(schedule.pattern, { tz: schedule.timezone, currentDate: now });
  const next = expression.next().toDate();
  const after = expression.next().toDate();
  return after.getTime() - next.getTime();
}

/**
 * A catch-up scan is due when a tick passed since the last scan started. Without any scan yet,
 * one is due as soon as there are customers to scan.
 */
export function missedTick(schedule: ScanSchedule, lastScanStartedAt: Date | null, now: Date): Date | null {
  const tick = previousTick(schedule, now);
  if (lastScanStartedAt === null) return tick;
  return lastScanStartedAt.getTime() < tick.getTime() ? tick : null;
}

/** No scan has completed within two ticks of `since` (the last completed scan's start, or the worker's). */
export function isOverdue(schedule: ScanSchedule, since: Date, now: Date): boolean {
  return now.getTime() - since.getTime() > 2 * tickInterval(schedule, now);
}
