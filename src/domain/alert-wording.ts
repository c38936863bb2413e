import { statusKey } from './documents.js';
import { daysUntil } from './expiry-warnings.js';

// The words of a document alert email (SPEC §5), shared by its plain text and HTML parts so that
// both say the same thing: what happened to each document, in which order, under which subject.
// Pure; every value from the API is hostile text, folded to one line and bounded where it goes
// into a subject or a heading.

/** What a document alert says about one document. */
export interface AlertFacts {
  customerId: string;
  purpose: string;
  documentType: string;
  documentName: string;
  /** Null for a document that appeared (at the customer's first check, or later). */
  previousStatus: string | null;
  newStatus: string;
  /** Raised at the customer's first check: the document was in this status before monitoring began. */
  baseline: boolean;
  detectedAt: Date;
  /** The document's expiry date (`YYYY-MM-DD`), when its metadata gives one. */
  expiresOn?: string | null;
  /** An expiry warning: the days left as the check counted them (SCAN_TIMEZONE, its clock). */
  daysLeft?: number | null;
}

/** One line: no line breaks or control characters from the API. */
export function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ').trim();
}

function bounded(value: string, max: number): string {
  const line = oneLine(value);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The status of an expiry warning (SPEC §11: `new_status` in the CSV). */
export const EXPIRING = 'expiring';
const STATUS_WORDS: Record<string, string> = { underverification: 'under verification', [EXPIRING]: 'expiring soon' };

/** A status as people read it: trimmed, lower case, one line, in words (the CSV keeps the raw value). */
export function statusWords(status: string): string {
  const key = statusKey(oneLine(status));
  return STATUS_WORDS[key] ?? bounded(key, 60);
}

const SEVERITY = ['declined', 'expired'];

/** Declined first, then expired, then any other alerting status (alphabetically), expiry warnings last. */
function severityRank(status: string): number {
  if (statusKey(oneLine(status)) === EXPIRING) return SEVERITY.length + 1;
  const rank = SEVERITY.indexOf(statusWords(status));
  return rank === -1 ? SEVERITY.length : rank;
}

export function compareStatuses(a: string, b: string): number {
  return severityRank(a) - severityRank(b) || compareText(statusWords(a), statusWords(b));
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order (`cust-2` before `cust-10`), ties broken by code units so that the order is total. */
function compareText(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The order of an email's rows: by severity, then customer, then document. */
export function byAttention<A extends AlertFacts>(alerts: readonly A[]): A[] {
  return [...alerts].sort(
    (a, b) =>
      compareStatuses(a.newStatus, b.newStatus) ||
      compareText(a.customerId, b.customerId) ||
      compareText(a.purpose, b.purpose) ||
      compareText(documentTypeWords(a.documentType), documentTypeWords(b.documentType)) ||
      compareText(a.documentName, b.documentName) ||
      a.detectedAt.getTime() - b.detectedAt.getTime(),
  );
}

/** The alerts of one status, as a section of the email. */
export interface StatusSection<A> {
  /** `declined`, `expired` … (statusWords). */
  status: string;
  /** `Declined`, `Expired` … */
  heading: string;
  alerts: A[];
}

/** Sections by status, most severe first; rows within each by customer (byAttention). */
export function sectionsByStatus<A extends AlertFacts>(alerts: readonly A[]): Array<StatusSection<A>> {
  const sections: Array<StatusSection<A>> = [];
  for (const alert of byAttention(alerts)) {
    const status = statusWords(alert.newStatus);
    const last = sections.at(-1);
    if (last?.status === status) last.alerts.push(alert);
    else sections.push({ status, heading: capitalise(status), alerts: [alert] });
  }
  return sections;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// The documented enumeration (cyrexa-api.md), in words; unknown values are shown as they are.
const DOCUMENT_TYPES: Record<string, string> = {
  'id front side': 'ID front side',
  'id back side': 'ID back side',
  passport: 'Passport',
  accountauthority: 'Account authority',
  shareholderstructure: 'Shareholder structure',
  operationaddress: 'Operating address',
  registeredaddress: 'Registered address',
  selfie: 'Selfie',
  livelinessdetection: 'Liveness detection',
};

export function documentTypeWords(documentType: string): string {
  const line = oneLine(documentType);
  return DOCUMENT_TYPES[line.toLowerCase()] ?? line;
}

/**
 * What happened to the document, as three pieces around its new status (so that the HTML can
 * stress the status): "Changed from verified to |expired|", "Already |expired| when first
 * checked", "New document, |expired|".
 */
export function whatHappened(alert: Pick<AlertFacts, 'previousStatus' | 'newStatus' | 'baseline' | 'expiresOn' | 'detectedAt' | 'daysLeft'>): [before: string, status: string, after: string] {
  if (statusKey(oneLine(alert.newStatus)) === EXPIRING && alert.expiresOn) {
    // As the check counted them; warnings raised before that was recorded: from the UTC day detected.
    const left = alert.daysLeft ?? daysUntil(alert.detectedAt.toISOString().slice(0, 10), alert.expiresOn);
    const when = left > 1 ? `in ${left} days` : left === 1 ? 'tomorrow' : left === 0 ? 'today' : `${-left} day(s) ago`;
    return ['Expires on ', alert.expiresOn, ` (${when})${alert.previousStatus ? `, ${statusWords(alert.previousStatus)} now` : ''}`];
  }
  const status = statusWords(alert.newStatus);
  if (alert.previousStatus !== null) return [`Changed from ${statusWords(alert.previousStatus)} to `, status, ''];
  if (alert.baseline) return ['Already ', status, ' when first checked'];
  return ['New document, ', status, ''];
}

export function whatHappenedText(alert: Pick<AlertFacts, 'previousStatus' | 'newStatus' | 'baseline' | 'expiresOn' | 'detectedAt' | 'daysLeft'>): string {
  return whatHappened(alert).join('');
}

// Purposes in the subject: the documented ones in their usual order, others after them.
const PURPOSES = ['KYC', 'KYB', 'PEP&SANCTION'];
const MAX_PURPOSES_NAMED = 4;

function purposeLabel(alerts: readonly AlertFacts[]): string {
  const named = new Map<string, string>();
  for (const alert of alerts) {
    const line = oneLine(alert.purpose);
    const known = PURPOSES.find((p) => p === line.toUpperCase());
    const label = known ?? bounded(line, 30);
    if (label !== '') named.set(label.toUpperCase(), label);
  }
  const rank = (label: string) => {
    const index = PURPOSES.indexOf(label);
    return index === -1 ? PURPOSES.length : index;
  };
  const labels = [...named.values()].sort((a, b) => rank(a) - rank(b) || compareText(a, b));
  if (labels.length === 0) return 'KYC';
  return labels.length > MAX_PURPOSES_NAMED ? `${labels.slice(0, MAX_PURPOSES_NAMED).join('/')}/…` : labels.join('/');
}

export const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** `2 declined, 24 expired`: the count of each status, most severe first. */
export function statusCounts(alerts: readonly AlertFacts[]): string {
  return sectionsByStatus(alerts)
    .map((s) => `${s.alerts.length} ${s.status}`)
    .join(', ');
}

export function customerCount(alerts: readonly AlertFacts[]): number {
  return new Set(alerts.map((a) => a.customerId)).size;
}

/** `KYC alert: 3 declined, 24 expired — 21 customers` (SPEC §5). */
export function alertSubject(alerts: readonly AlertFacts[]): string {
  return `${purposeLabel(alerts)} alert: ${statusCounts(alerts)} — ${plural(customerCount(alerts), 'customer', 'customers')}`;
}

/** `2026-11-25 08:07`: detection times are shown in UTC, to the minute (the CSV has them whole). */
export function detectedWords(at: Date): string {
  return at.toISOString().slice(0, 16).replace('T', ' ');
}
