// Expiry warnings (SPEC §11), the pure rules: which thresholds (EXPIRY_WARNING_DAYS, optionally
// per purpose), how many calendar days are left, and which warning a check raises — once per
// threshold per document and expiry date, only the smallest threshold crossed, none for a
// document already in an alert status.

export interface WarningDays {
  /** Thresholds of purposes not named, largest first (`*=`, or the plain list); empty: none. */
  fallback: readonly number[];
  byPurpose: ReadonlyMap<string, readonly number[]>;
}

export const NO_WARNINGS: WarningDays = { fallback: [], byPurpose: new Map() };

/** Longest threshold: ten years. */
const MAX_DAYS = 3_650;

function parseList(text: string): { days: number[] } | { error: string } {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const days: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,4}$/.test(part) || Number(part) > MAX_DAYS) return { error: `"${part}" is not a number of days from 0 to ${MAX_DAYS}` };
    if (Number(part) > 0) days.push(Number(part));
  }
  return { days: [...new Set(days)].sort((a, b) => b - a) };
}

/** `30,7`, or `KYB=90,30;KYC=30,7;*=30,7`; empty or `0`: no warnings. */
export function parseWarningDays(text: string): { ok: true; value: WarningDays } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: NO_WARNINGS };
  if (!trimmed.includes('=')) {
    const list = parseList(trimmed);
    return 'error' in list ? { ok: false, error: list.error } : { ok: true, value: { fallback: list.days, byPurpose: new Map() } };
  }
  const byPurpose = new Map<string, readonly number[]>();
  let fallback: readonly number[] = [];
  for (const [i, entry] of trimmed.split(';').map((e) => e.trim()).filter((e) => e !== '').entries()) {
    const eq = entry.indexOf('=');
    const purpose = eq < 0 ? '' : entry.slice(0, eq).trim();
    if (eq < 0 || purpose === '') return { ok: false, error: `entry ${i + 1} ("${entry}") must be PURPOSE=days,days (or *=days for the others)` };
    const list = parseList(entry.slice(eq + 1));
    if ('error' in list) return { ok: false, error: `entry ${i + 1} (${purpose}): ${list.error}` };
    if (purpose === '*') fallback = list.days;
    else if (byPurpose.has(purpose)) return { ok: false, error: `${purpose} is named twice` };
    else byPurpose.set(purpose, list.days);
  }
  return { ok: true, value: { fallback, byPurpose } };
}

export function thresholdsFor(purpose: string, days: WarningDays): readonly number[] {
  return days.byPurpose.get(purpose.trim()) ?? days.fallback;
}

export function isWarningOn(days: WarningDays): boolean {
  return days.fallback.length > 0 || [...days.byPurpose.values()].some((d) => d.length > 0);
}

/** Calendar days from `today` to `day` (both `YYYY-MM-DD`): 0 on the day itself, negative after it. */
export function daysUntil(today: string, day: string): number {
  return Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
}

/**
 * The threshold a warning is raised for now, or null: the smallest threshold `daysLeft` has
 * crossed, unless that one (or a smaller one) was warned for already (`warnedDays`, for this
 * expiry date). A document first seen 5 days before expiry with thresholds 30 and 7 gets one
 * 7-day warning, not two.
 */
export function warningThreshold(daysLeft: number, thresholds: readonly number[], warnedDays: number | null): number | null {
  let smallest: number | null = null;
  for (const t of thresholds) if (daysLeft <= t && (smallest === null || t < smallest)) smallest = t;
  if (smallest === null) return null;
  return warnedDays !== null && warnedDays <= smallest ? null : smallest;
}
