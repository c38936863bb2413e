import { dayIn } from './expiry.js';
import { daysUntil } from './expiry-warnings.js';
import { offsetMinutes } from './schedule.js';

// When a customer is due for its next check in continuous mode (SCAN_MODE=continuous): a pure
// policy over what its last check saw. The API budget is spent where a change is likely:
//   0  its document's known expiry date has begun (checked right after the day starts in
//      SCAN_TIMEZONE, then hourly until the API says `expired`);
//   1  a document is under verification (it settles to verified or declined);
//   2  the routine check, due `routineMarginMs` before CHECK_EVERY_HOURS have passed — ranked
//      above the watch below, so that nobody waits longer than CHECK_EVERY_HOURS even when more
//      is due than the budget allows (after downtime, at the start);
//   3  a document expires within `expiringWithinDays` (it may be renewed), or is expired,
//      declined or incomplete (a new upload is likely): watched.
// The earliest of the times these rules give is when the customer is due; the rule that gave it
// is its priority. When more is due than a tick's budget, lower priority numbers go first, then
// the longest overdue.

export interface PolicyDocument {
  /** As the API sent it (compared trimmed and case-insensitively). */
  status: string;
  /** `YYYY-MM-DD` in SCAN_TIMEZONE, or null. */
  expiresOn: string | null;
}

export interface CheckPolicy {
  /** CHECK_EVERY_HOURS: nobody waits longer than this between checks. */
  everyMs: number;
  /** How long before `everyMs` runs out the routine check is due (ticks, a tick's spread, a backlog). */
  routineMarginMs: number;
  /** While a document is under verification. */
  underVerificationEveryMs: number;
  /** While a document expires soon, or is expired, declined or incomplete. */
  watchEveryMs: number;
  /** "Expires soon": at most this many days ahead. */
  expiringWithinDays: number;
  /** After an expiry date began and the document is not expired yet. */
  expiryDayEveryMs: number;
  /** How long after the expiry day begins the first check goes (the API's clock may lag). */
  expiryGraceMs: number;
  /** After a failed check. */
  retryMs: number;
  /** SCAN_TIMEZONE: the calendar of expiry dates. */
  timeZone: string;
}

export interface Due {
  /** When the customer is due (ms). */
  at: number;
  /** 0 (most urgent) to 3 (the watch). */
  priority: 0 | 1 | 2 | 3;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function defaultPolicy(everyHours = 24, timeZone = 'UTC'): CheckPolicy {
  const everyMs = everyHours * HOUR;
  return {
    everyMs,
    routineMarginMs: Math.min(HOUR, everyMs / 10),
    underVerificationEveryMs: Math.min(everyMs, 20 * MINUTE),
    watchEveryMs: Math.min(everyMs, 4 * HOUR),
    expiringWithinDays: 7,
    expiryDayEveryMs: Math.min(everyMs, HOUR),
    expiryGraceMs: MINUTE,
    retryMs: Math.min(everyMs, 15 * MINUTE),
    timeZone,
  };
}

const WATCHED = new Set(['expired', 'declined', 'incomplete']);

/** The instant (ms) the calendar day `day` (`YYYY-MM-DD`) begins in `timeZone`. */
export function startOfDay(day: string, timeZone: string): number {
  const utc = Date.parse(`${day}T00:00:00Z`);
  if (timeZone === 'UTC') return utc;
  // Midnight there is midnight UTC less the zone's offset at that moment (read twice: the offset
  // of the first guess may be the other side of a clock change).
  let at = utc - offsetMinutes(timeZone, utc) * MINUTE;
  at = utc - offsetMinutes(timeZone, at) * MINUTE;
  return at;
}

/** When the customer is next due, given what a successful check at `checkedAt` saw. */
export function nextDue(documents: readonly PolicyDocument[], checkedAt: number, policy: CheckPolicy): Due {
  let due: Due = { at: checkedAt + policy.everyMs - policy.routineMarginMs, priority: 2 };
  const consider = (at: number, priority: Due['priority']) => {
    if (at < due.at || (at === due.at && priority < due.priority)) due = { at, priority };
  };
  const today = dayIn(new Date(checkedAt), policy.timeZone);
  for (const doc of documents) {
    const status = doc.status.trim().toLowerCase();
    if (status === 'underverification') consider(checkedAt + policy.underVerificationEveryMs, 1);
    else if (WATCHED.has(status)) consider(checkedAt + policy.watchEveryMs, 3);
    if (doc.expiresOn === null || status === 'expired') continue;
    if (doc.expiresOn > today) {
      consider(startOfDay(doc.expiresOn, policy.timeZone) + policy.expiryGraceMs, 0);
      if (daysUntil(today, doc.expiresOn) <= policy.expiringWithinDays) consider(checkedAt + policy.watchEveryMs, 3);
    } else if (status === 'verified') {
      // Its expiry date has begun and the API does not say expired yet.
      consider(checkedAt + policy.expiryDayEveryMs, 0);
    }
  }
  return due;
}

/** When a customer whose check failed at `checkedAt` is due again. */
export function retryDue(checkedAt: number, policy: CheckPolicy): Due {
  return { at: checkedAt + policy.retryMs, priority: 2 };
}

/**
 * Checks one tick may dispatch: its share of CYREXA_MAX_RPS, less a tenth kept for retries and
 * the emails' name lookups (which use the same budget).
 */
export function tickBudget(maxRps: number, tickMs: number): number {
  return Math.max(1, Math.floor((maxRps * tickMs * 0.9) / 1000));
}

/** Whether `a` goes before `b` when more is due than a tick's budget: lower priority number, then longer overdue. */
export function moreUrgent(a: Due, b: Due): boolean {
  return a.priority !== b.priority ? a.priority < b.priority : a.at < b.at;
}
