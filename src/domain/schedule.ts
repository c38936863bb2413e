import { CronExpressionParser } from 'cron-parser';

// Schedule arithmetic that matches the scheduler. BullMQ's job scheduler computes each run from
// the previous one, forward: `defaultRepeatStrategy` / `getNextMillis` in bullmq's
// classes/job-scheduler.ts parse the pattern with cron-parser in the schedule's tz, with
// `currentDate` = the previous run (or now), and take `next()`. The functions below walk the same
// chain of `next()` from tick to tick; never backwards with `prev()`, which disagrees around DST:
// with `30 2 * * *` in Europe/Berlin, `next()` fires 03:30 on the day clocks spring forward and
// once on the day they fall back, where `prev()` skips the first and counts the second twice.
//
// A chain started at an arbitrary instant is only right from its first tick on if that instant
// is not within the hour a clock change shifts: `anchor` moves such an instant back first.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How far back a schedule's last tick is looked for (a 29 February pattern ticks every 4–8 years). */
const MAX_LOOKBACK_MS = 8 * 366 * DAY;

/**
 * When scans run (SCAN_CRON and SCAN_TIMEZONE, or SCAN_EVERY_SECONDS), or — SCAN_MODE=continuous —
 * a tick every TICK_SECONDS checking the customers then due, each at least every CHECK_EVERY_HOURS.
 */
export type ScanSchedule =
  | { kind: 'cron'; pattern: string; timezone: string }
  | { kind: 'every'; seconds: number }
  | { kind: 'continuous'; tickSeconds: number; everyHours: number; timezone: string };

export type CronSchedule = Extract<ScanSchedule, { kind: 'cron' }>;

/**
 * The tick a catch-up scan is for: the last tick at or before `now`, when no scan started since
 * it (or none ever did); null when none was missed.
 *
 * Fixed intervals: BullMQ sets their phase when the schedule is first registered (kept in Redis,
 * not in the configuration), so a tick is known to be missed once a whole interval passed since
 * the last scan started; the tick named is the end of that interval (the same on every replica).
 */
export function missedTick(schedule: ScanSchedule, lastScanStartedAt: Date | null, now: Date): Date | null {
  // Continuous mode makes up for downtime by itself: whoever fell due meanwhile is due still.
  if (schedule.kind === 'continuous') return null;
  if (schedule.kind === 'every') {
    const every = schedule.seconds * 1000;
    if (lastScanStartedAt === null) return new Date(Math.floor(now.getTime() / every) * every);
    const due = lastScanStartedAt.getTime() + every;
    return due <= now.getTime() ? new Date(due) : null;
  }
  const tick = lastTickAtOrBefore(schedule, now, lastScanStartedAt?.getTime() ?? now.getTime() - MAX_LOOKBACK_MS);
  return tick === null ? null : new Date(tick);
}

/**
 * Whether scans are overdue: the second tick after `since` (the start of the last completed
 * scan, or the worker's start) has passed without a scan completing. With `0 6 * * 1-5`, a
 * Friday scan is not overdue before Tuesday 06:00. Fixed intervals: two intervals after `since`,
 * the latest their second tick can come whatever BullMQ's phase.
 */
export function isOverdue(schedule: ScanSchedule, since: Date, now: Date): boolean {
  // Continuous mode: a tick with nobody due starts no scan; lateness there is the oldest check.
  if (schedule.kind === 'continuous') return false;
  if (schedule.kind === 'every') return now.getTime() >= since.getTime() + 2 * schedule.seconds * 1000;
  const ticks = chain(schedule, since.getTime());
  ticks.next();
  const second = ticks.next();
  return !second.done && second.value <= now.getTime();
}

/** The time between the schedule's next two ticks after `at` (how often to look whether one came); Infinity when it has fewer. */
export function tickSpacingMs(schedule: CronSchedule, at: Date): number {
  const ticks = chain(schedule, at.getTime());
  const first = ticks.next();
  const second = ticks.next();
  return first.done || second.done ? Infinity : second.value - first.value;
}

/** The last tick in (after, atOrBefore], or null: searched in windows growing backwards from `atOrBefore`. */
function lastTickAtOrBefore(schedule: CronSchedule, atOrBefore: Date, after: number): number | null {
  const end = atOrBefore.getTime();
  for (let span = HOUR; ; span *= 2) {
    const from = Math.max(after, end - span);
    let last: number | null = null;
    for (const tick of chain(schedule, from)) {
      if (tick > end) break;
      last = tick;
    }
    if (last !== null) return last;
    if (from === after) return null;
  }
}

/** The scheduler's ticks after `after`, in order (generated lazily: a pattern may tick every second). */
function* chain(schedule: CronSchedule, after: number): Generator<number, void, undefined> {
  const expression = CronExpressionParser.parse(schedule.pattern, { tz: schedule.timezone, currentDate: new Date(anchor(schedule.timezone, after)) });
  for (;;) {
    let tick: number;
    try {
      tick = expression.next().getTime();
    } catch {
      return; // no tick ever again (a pattern past its last date)
    }
    if (tick > after) yield tick;
  }
}

/**
 * `at`, or a little before it when a clock change is near: there a chain started at `at` could
 * miss the tick the change moved or yield one it repeats. Clock changes are months apart, so
 * three hours back is clear of it; the ticks before `at` are dropped by the caller.
 */
function anchor(timeZone: string, at: number): number {
  return offsetMinutes(timeZone, at - 2 * HOUR) === offsetMinutes(timeZone, at + 2 * HOUR) ? at : at - 3 * HOUR;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at an instant, in minutes ("GMT+02:00" → 120). */
export function offsetMinutes(timeZone: string, at: number): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormats.set(timeZone, format);
  }
  const name = format.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}
