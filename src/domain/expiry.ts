import { parseIsoInstant } from './dates.js';

// A document's expiry date (SPEC §11), read from its metadata: the first entry whose name (lower
// case, without spaces, `_` and `-`) is one of EXPIRY_METADATA_NAMES and whose value is an
// ISO 8601 date or date-time, or — for a `Number` entry — a Unix time in seconds or milliseconds.
// Anything else gives no date: counted, never an error. Pure.

export const DEFAULT_EXPIRY_METADATA_NAMES = ['expiry', 'expirydate', 'expirationdate', 'expiration', 'expires', 'expireson', 'validuntil', 'validto', 'dateofexpiry'] as const;

export interface MetadataEntry {
  name: string;
  type: string;
  value: string;
}

/** `Valid Until`, `valid_until`, `VALID-UNTIL` → `validuntil`. */
export function metadataKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

export interface ExpiryReading {
  /** `YYYY-MM-DD`, the calendar day in the scan's time zone; null when none could be read. */
  expiresOn: string | null;
  /** Entries with an expiry name whose value could not be read (before the one that could). */
  unreadable: number;
}

/** Seconds below this are seconds (up to the year 5138); at or above, milliseconds. */
const MILLISECONDS_FROM = 1e11;
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9999, 11, 31);

/** One formatter per time zone: building one costs more than a check's other work on a document. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day of `at` in `timeZone` (an IANA name), as `YYYY-MM-DD`. */
export function dayIn(at: Date, timeZone: string): string {
  if (timeZone === 'UTC') return at.toISOString().slice(0, 10);
  let format = dayFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

function readValue(entry: MetadataEntry, timeZone: string): string | null {
  const value = entry.value.trim();
  const iso = parseIsoInstant(value);
  if (iso !== null) {
    if (iso.at.getTime() < EARLIEST || iso.at.getTime() > LATEST) return null;
    return iso.dateOnly ? value : dayIn(iso.at, timeZone);
  }
  if (entry.type.trim().toLowerCase() !== 'number' || !/^\d{1,16}(\.\d+)?$/.test(value)) return null;
  const n = Number(value);
  const ms = Math.abs(n) < MILLISECONDS_FROM ? n * 1000 : n;
  if (!Number.isFinite(ms) || ms < EARLIEST || ms > LATEST) return null;
  return dayIn(new Date(ms), timeZone);
}

export function readExpiry(metadata: readonly MetadataEntry[] | undefined, names: ReadonlySet<string>, timeZone: string): ExpiryReading {
  let unreadable = 0;
  for (const entry of metadata ?? []) {
    if (typeof entry?.name !== 'string' || !names.has(metadataKey(entry.name))) continue;
    const day = typeof entry.value === 'string' ? readValue({ ...entry, type: typeof entry.type === 'string' ? entry.type : '' }, timeZone) : null;
    if (day !== null) return { expiresOn: day, unreadable };
    unreadable++;
  }
  return { expiresOn: null, unreadable };
}
