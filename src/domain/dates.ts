// ISO-8601 dates and date-times as people type them on the command line, read strictly:
// JavaScript's Date turns 2026-02-30 into March 2nd; here it is refused.

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** `2026-12-31` (midnight UTC, `dateOnly`) or `2026-12-31T18:00[:00[.000]]Z|±hh:mm`; null for anything else. */
export function parseIsoInstant(text: string): { at: Date; dateOnly: boolean } | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return null;
  if (h === undefined) return { at: calendar, dateOnly: true };
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return null;
  const at = new Date(text.trim());
  return Number.isNaN(at.getTime()) ? null : { at, dateOnly: false };
}
