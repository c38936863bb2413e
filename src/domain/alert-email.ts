import { stringify } from 'csv-stringify/sync';
import { caseLabel } from './cases.js';
import {
  alertSubject,
  customerCount,
  detectedWords,
  documentTypeWords,
  oneLine,
  plural,
  sectionsByStatus,
  statusCounts,
  whatHappened,
  whatHappenedText,
  byAttention,
  type AlertFacts,
  type StatusSection,
} from './alert-wording.js';

// Renders one grouped alert email (SPEC §5): subject with the counts by status, plain text, escaped
// HTML and the CSV attachment, all three in the same order (most severe first) and, through
// alert-wording.ts, in the same words. Pure: every value supplied by the API is hostile text.

export interface AlertView extends AlertFacts {
  verificationResponse: string | null;
  /** The document's expiry date (`YYYY-MM-DD`), when its metadata gives one. */
  expiresOn?: string | null;
  /** The case the alert opened or joined (SPEC §10), shown as `#17`. */
  caseId?: bigint | null;
  /** The customer's name from Cyrexa, when it could be had at render time. */
  customerName?: string | null;
}

/** What the team configured for its emails (CUSTOMER_URL_TEMPLATE, ALERT_INSTRUCTIONS, PUBLIC_URL + LINK_SECRET). */
export interface RenderOptions {
  /** `{id}` stands for the percent-encoded customer id. */
  customerUrlTemplate?: string | undefined;
  /** The team's own "what to do" paragraph, plain text. */
  instructions?: string | undefined;
  /**
   * The link to a case's page, where it is acknowledged (SPEC §10), for an email rendered at
   * `now`; absent when acknowledging from the email is off.
   */
  caseLink?: ((caseId: bigint, now: Date) => string) | undefined;
}

/** The customer's page in the team's own tools. */
export function customerUrl(template: string, customerId: string): string {
  return template.replaceAll('{id}', encodeURIComponent(customerId));
}

/** `Acme Ltd (cust-10)`, or the id alone. */
function customerWords(a: AlertView): string {
  const name = a.customerName ? oneLine(a.customerName) : '';
  return name ? `${name} (${oneLine(a.customerId)})` : oneLine(a.customerId);
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  attachment: { filename: string; content: string; contentType: string };
}

export const CSV_HEADER = [
  'detected_at',
  'customer_id',
  'purpose',
  'document_type',
  'document_name',
  'previous_status',
  'new_status',
  'verification_response',
  'expires_on',
  'case_id',
] as const;

/** `2026-11-25T08:07:07Z` → `20261125T080707Z`. */
export function utcStamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** A spreadsheet would run a cell starting with one of these as a formula. */
export function neutraliseCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The raw values, as the API sent them, in the email's order. */
export function renderCsv(alerts: readonly AlertView[]): string {
  const rows = byAttention(alerts).map((a) =>
    [
      a.detectedAt.toISOString(),
      a.customerId,
      a.purpose,
      a.documentType,
      a.documentName,
      a.previousStatus ?? '',
      a.newStatus,
      a.verificationResponse ?? '',
      a.expiresOn ?? '',
      a.caseId == null ? '' : String(a.caseId),
    ].map(neutraliseCell),
  );
  return stringify([[...CSV_HEADER], ...rows], { record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
}

export function renderSubject(alerts: readonly AlertView[]): string {
  return alertSubject(alerts);
}

function introduction(alerts: readonly AlertView[]): string {
  return `${plural(alerts.length, 'document', 'documents')} of ${plural(customerCount(alerts), 'customer', 'customers')} ${alerts.length === 1 ? 'needs' : 'need'} the compliance team's attention: ${statusCounts(alerts)}.`;
}

const FOOTER = 'Each document is reported once, when kyc-monitor first sees it in this status.';

function sectionTitle(section: StatusSection<AlertView>): string {
  return `${section.heading} (${section.alerts.length})`;
}

const INSTRUCTIONS_HEADING = 'What to do';

/** Each case's link for an email rendered at `now`, or null (no case, or the links are off). */
type LinkOf = (a: AlertView) => string | null;

function linkOf(options: RenderOptions, now: Date): LinkOf {
  const link = options.caseLink;
  return (a) => (link && a.caseId != null ? link(BigInt(a.caseId), now) : null);
}

function linksSentence(options: RenderOptions): string | null {
  return options.caseLink ? 'Each case links to its page: its timeline, and a form to acknowledge it (the links work for 30 days).' : null;
}

export function renderText(alerts: readonly AlertView[], csvName: string, options: RenderOptions = {}, now: Date = new Date()): string {
  const template = options.customerUrlTemplate;
  const link = linkOf(options, now);
  const links = linksSentence(options);
  const entry = (a: AlertView) => [
    `- Customer ${customerWords(a)}${a.caseId == null ? '' : ` — case ${caseLabel(a.caseId)}`}`,
    ...(link(a) === null ? [] : [`  Acknowledge case ${caseLabel(a.caseId as bigint)}: ${link(a) as string}`]),
    ...(template ? [`  Customer page: ${customerUrl(template, a.customerId)}`] : []),
    `  Document: ${documentTypeWords(a.documentType)} "${oneLine(a.documentName)}" (${oneLine(a.purpose)})${a.expiresOn ? `, expires ${a.expiresOn}` : ''}`,
    `  What happened: ${whatHappenedText(a)}`,
    ...(a.verificationResponse ? [`  Verification response: ${oneLine(a.verificationResponse)}`] : []),
    `  Detected (UTC): ${detectedWords(a.detectedAt)}`,
    '',
  ];
  const lines = [
    introduction(alerts),
    `The attached CSV (${csvName}) lists the same documents, with the values exactly as Cyrexa sent them.`,
    ...(links ? [links] : []),
    '',
    ...(options.instructions ? [INSTRUCTIONS_HEADING.toUpperCase(), '', options.instructions, ''] : []),
    ...sectionsByStatus(alerts).flatMap((section) => [sectionTitle(section).toUpperCase(), '', ...section.alerts.flatMap(entry)]),
    FOOTER,
    '-- kyc-monitor',
  ];
  return `${lines.join('\n')}\n`;
}

const STATUS_COLOURS: Record<string, string> = { declined: '#b91c1c', expired: '#b45309' };
const OTHER_COLOUR = '#1f2937';
/** Short values keep to one line (a long one from the API may wrap rather than widen the table). */
const UNBROKEN = 40;

const CELL = 'padding:8px 10px;border-bottom:1px solid #e5e7eb;vertical-align:top;text-align:left';
const COLUMNS = [
  ['Customer', ''],
  ['Document', 'width:26%'],
  ['What happened', 'width:26%'],
  ['Verification response', ''],
  ['Detected (UTC)', ''],
] as const;

function td(label: string | null, content: string, extra = ''): string {
  return `<td${label ? ` data-label="${label}"` : ''} style="${CELL}${extra}">${content}</td>`;
}

function unbroken(text: string): string {
  return text.length <= UNBROKEN ? 'white-space:nowrap' : 'word-break:break-word';
}

/** The customer's cell: its name over its id when there is one, a link to its page when configured. */
function customerCell(a: AlertView, template: string | undefined): string {
  const id = oneLine(a.customerId);
  const name = a.customerName ? oneLine(a.customerName) : '';
  const idStyle = id.length <= UNBROKEN ? 'white-space:nowrap' : 'word-break:break-all';
  const link = (content: string) => (template ? `<a href="${escapeHtml(customerUrl(template, a.customerId))}" style="color:#1d4ed8">${content}</a>` : content);
  if (!name) return td(null, `<strong>${link(escapeHtml(id))}</strong>`, `;${idStyle}`);
  return td(null, `<strong style="word-break:break-word">${link(escapeHtml(name))}</strong><br><span style="color:#6b7280;font-size:12px;${idStyle}">${escapeHtml(id)}</span>`);
}

/** `case #17` under the detection time: a link to the case's page when the links are on. */
function caseCell(a: AlertView, link: string | null): string {
  if (a.caseId == null) return '';
  const label = `case ${caseLabel(a.caseId)}`;
  if (link === null) return `<br><span style="color:#6b7280;font-size:12px">${label}</span>`;
  return `<br><a href="${escapeHtml(link)}" style="color:#1d4ed8;font-size:12px">${label}: acknowledge</a>`;
}

function htmlRow(a: AlertView, colour: string, template: string | undefined, link: string | null): string {
  const type = documentTypeWords(a.documentType);
  const purpose = oneLine(a.purpose);
  const [before, status, after] = whatHappened(a);
  const badge = `<span style="display:inline-block;margin-left:6px;padding:0 5px;border:1px solid #d1d5db;border-radius:3px;font-size:11px;color:#4b5563">${escapeHtml(purpose)}</span>`;
  return `<tr>
${customerCell(a, template)}
${td('Document', `<span style="${unbroken(type + purpose)}">${escapeHtml(type)}${badge}</span><br><span style="color:#6b7280;word-break:break-word">${escapeHtml(oneLine(a.documentName))}</span>${a.expiresOn ? `<br><span style="color:#6b7280;font-size:12px;white-space:nowrap">expires ${escapeHtml(a.expiresOn)}</span>` : ''}`)}
${td('What happened', `${escapeHtml(before)}<strong style="color:${colour}">${escapeHtml(status)}</strong>${escapeHtml(after)}`)}
${td('Verification response', escapeHtml(oneLine(a.verificationResponse ?? '')) || '<span style="color:#9ca3af">none</span>')}
${td('Detected (UTC)', `${detectedWords(a.detectedAt)}${caseCell(a, link)}`, ';white-space:nowrap;color:#4b5563')}
</tr>`;
}

function htmlSection(section: StatusSection<AlertView>, template: string | undefined, link: LinkOf): string {
  const colour = STATUS_COLOURS[section.status] ?? OTHER_COLOUR;
  const heading = `<tr class="section"><th colspan="${COLUMNS.length}" style="padding:14px 10px 6px;text-align:left;font-size:15px;color:${colour};border-bottom:2px solid ${colour}">${escapeHtml(sectionTitle(section))}</th></tr>`;
  return `<tbody>
${heading}
${section.alerts.map((a) => htmlRow(a, colour, template, link(a))).join('\n')}
</tbody>`;
}

function htmlInstructions(instructions: string | undefined): string {
  if (!instructions) return '';
  const paragraphs = instructions
    .split(/\n{2,}/)
    .map((p) => `<p style="margin:4px 0 0">${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
  return `<div style="margin:0 0 12px;padding:10px 12px;border-left:3px solid #1d4ed8;background:#eff6ff;color:#1f2937;font-size:14px"><strong>${INSTRUCTIONS_HEADING}</strong>${paragraphs}</div>
`;
}

export function renderHtml(alerts: readonly AlertView[], csvName: string, options: RenderOptions = {}, now: Date = new Date()): string {
  const link = linkOf(options, now);
  const links = linksSentence(options);
  const subject = escapeHtml(renderSubject(alerts));
  const head = COLUMNS.map(([h, width]) => `<th style="${CELL};background:#f3f4f6;font-size:12px;text-transform:uppercase;color:#374151;white-space:nowrap;${width}">${h}</th>`).join('');
  // Inline styles for every client; on narrow screens (clients that honour <style>) each row
  // becomes a card with labelled lines instead of a table wider than the phone.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${subject}</title>
<style>
@media (max-width: 600px) {
  table.alerts, table.alerts tbody, table.alerts tr, table.alerts td, table.alerts th { display: block; width: auto !important; }
  table.alerts thead { display: none; }
  table.alerts tr { border: 1px solid #e5e7eb; border-radius: 6px; margin: 0 0 10px; padding: 4px 0; }
  table.alerts tr.section { border: none; margin: 16px 0 8px; padding: 0; }
  table.alerts tr.section th { padding: 0 0 4px !important; }
  table.alerts td { border-bottom: none !important; padding: 3px 10px !important; }
  table.alerts td[data-label]::before { content: attr(data-label); display: block; font-size: 11px; text-transform: uppercase; color: #6b7280; }
}
</style></head>
<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#111827;background:#ffffff">
<h1 style="font-size:18px;margin:0 0 8px">${subject}</h1>
<p style="margin:0 0 8px;color:#374151">${escapeHtml(introduction(alerts))}</p>
<p style="margin:0 0 12px;color:#6b7280;font-size:13px">The attached CSV (${escapeHtml(csvName)}) lists the same documents, with the values exactly as Cyrexa sent them.${links ? ` ${escapeHtml(links)}` : ''}</p>
${htmlInstructions(options.instructions)}<div style="overflow-x:auto"><table class="alerts" style="border-collapse:collapse;width:100%;font-size:14px">
<thead><tr>${head}</tr></thead>
${sectionsByStatus(alerts)
  .map((section) => htmlSection(section, options.customerUrlTemplate, link))
  .join('\n')}
</table></div>
<p style="margin:16px 0 0;color:#6b7280;font-size:12px">${FOOTER} Sent by kyc-monitor.</p>
</body></html>
`;
}

export function renderAlertEmail(alerts: readonly AlertView[], now: Date, options: RenderOptions = {}): RenderedEmail {
  if (alerts.length === 0) throw new RangeError('an alert email needs at least one alert');
  const filename = `kyc-alerts-${utcStamp(now)}.csv`;
  return {
    subject: renderSubject(alerts),
    text: renderText(alerts, filename, options, now),
    html: renderHtml(alerts, filename, options, now),
    attachment: { filename, content: renderCsv(alerts), contentType: 'text/csv; charset=utf-8' },
  };
}
