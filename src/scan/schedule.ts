import { CronExpressionParser } from 'cron-parser';
import type { ScanSchedule } from '../config.js';

// The schedule arithmetic lives in src/domain/schedule.ts; this module keeps the old import path.
export { isOverdue, missedTick } from '../domain/schedule.js';

/**
 * Typical time between ticks.
 * @deprecated Computed once from two ticks, it calls a weekday schedule overdue every weekend:
 * use isOverdue. Kept until the worker runtime stops calling it.
 */
export function tickInterval(schedule: ScanSchedule, now: Date): number {
  if (schedule.kind === 'every') return schedule.seconds * 1000;
  const expression = CronExpressionParser.parse(schedule.pattern, { tz: schedule.timezone, currentDate: now });
  const next = expression.next().toDate();
  const after = expression.next().toDate();
  return after.getTime() - next.getTime();
}
