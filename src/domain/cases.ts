import { parseIsoInstant } from './dates.js';

// Cases (SPEC §10), the pure part: their states and resolutions, what a person may write into a
// timeline (`--by`, `--note`), case ids as people type and read them, and ages in words.

export const CASE_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** `cases list --state`: a state, or `unresolved` (open and acknowledged), or `all`. */
export const CASE_STATE_FILTERS = [...CASE_STATES, 'unresolved', 'all'] as const;
export type CaseStateFilter = (typeof CASE_STATE_FILTERS)[number];

export const RESOLUTIONS = ['recovered', 'removed', 'untracked', 'manual'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export const TIMELINE_KINDS = ['opened', 'alert', 'email', 'reminder', 'escalation', 'acknowledged', 'note', 'silenced', 'unsilenced', 'resolved'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** Who the product itself acts as in a timeline. */
export const SYSTEM_ACTOR = 'system';

export const MAX_BY_LENGTH = 200;
export const MAX_NOTE_LENGTH = 2_000;

/** The states a `--state` filter lists. */
export function statesOf(filter: CaseStateFilter): readonly CaseState[] {
  if (filter === 'all') return CASE_STATES;
  if (filter === 'unresolved') return ['open', 'acknowledged'];
  return [filter];
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

/** What is wrong with a `--by` (who acts), or null: 1–200 characters, no control character. */
export function byProblem(by: string): string | null {
  if (by.trim() === '') return 'must name who acts (1 to 200 characters)';
  if ([...by].length > MAX_BY_LENGTH) return `is longer than ${MAX_BY_LENGTH} characters`;
  if (CONTROL.test(by)) return 'contains a control character';
  if (SYSTEM_ACTOR === by.trim().toLowerCase()) return `"${SYSTEM_ACTOR}" is the product itself: name the person`;
  return null;
}

/** What is wrong with a `--note`, or null: at most 2,000 characters, no control character but newlines. */
export function noteProblem(note: string): string | null {
  if (note.trim() === '') return 'is empty';
  if ([...note].length > MAX_NOTE_LENGTH) return `is longer than ${MAX_NOTE_LENGTH} characters`;
  if (CONTROL_BUT_NEWLINE.test(note.replace(/\r\n/g, '\n'))) return 'contains a control character (only newlines are allowed)';
  return null;
}

/** Notes are stored with `\n` line ends, trimmed. */
export function normaliseNote(note: string): string {
  return note.replace(/\r\n/g, '\n').trim();
}

/** Largest id Postgres's bigint holds. */
const MAX_CASE_ID = 9_223_372_036_854_775_807n;

/** `17` or `#17` → 17n; anything else → null. */
export function parseCaseId(text: string): bigint | null {
  const match = /^#?([1-9][0-9]{0,18})$/.exec(text.trim());
  if (!match) return null;
  const id = BigInt(match[1] as string);
  return id <= MAX_CASE_ID ? id : null;
}

/** `#17`: how a case is named to people. */
export function caseLabel(id: bigint | number | string): string {
  return `#${String(id)}`;
}

/** `3d 4h`, `5h 12m`, `12m`, `<1m`: how long ago, for a person scanning a list. */
export function ageWords(since: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60_000));
  if (minutes < 1) return '<1m';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  return hours > 0 ? `${hours}h ${minutes % 60}m` : `${minutes}m`;
}

/** Longest silence: a year ahead. */
export const MAX_SILENCE_DAYS = 365;

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * When a silence ends: `--for 12h` / `7d` / `30m` from `now`, or `--until` an ISO-8601 date
 * (midnight UTC) or date-time. Must be in the future and at most 365 days ahead.
 */
export function silenceEnd(spec: { until?: string | undefined; for?: string | undefined }, now: Date): { ok: true; value: Date } | { ok: false; error: string } {
  if ((spec.until === undefined) === (spec.for === undefined)) return { ok: false, error: 'give exactly one of --until ISO-8601 and --for 12h|7d' };
  let end: Date;
  if (spec.for !== undefined) {
    const match = /^\s*(\d{1,6})\s*([mhd])\s*$/.exec(spec.for);
    if (!match) return { ok: false, error: `--for must be a number of minutes, hours or days like 30m, 12h or 7d (got ${JSON.stringify(spec.for)})` };
    end = new Date(now.getTime() + Number(match[1]) * (DURATION_UNITS[match[2] as string] as number));
  } else {
    const parsed = parseIsoInstant(spec.until as string);
    if (parsed === null) return { ok: false, error: `--until must be an ISO-8601 date or date-time like 2026-12-31 or 2026-12-31T18:00:00Z (got ${JSON.stringify(spec.until)})` };
    end = parsed.at;
  }
  if (end.getTime() <= now.getTime()) return { ok: false, error: `the silence would end in the past (${end.toISOString()}): it must end in the future` };
  if (end.getTime() > now.getTime() + MAX_SILENCE_DAYS * 86_400_000) return { ok: false, error: `the silence would end ${end.toISOString()}: at most ${MAX_SILENCE_DAYS} days ahead` };
  return { ok: true, value: end };
}
