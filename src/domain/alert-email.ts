import { stringify } from 'csv-stringify/sync';

// Renders one grouped alert email (SPEC §5): subject with counts, plain text, escaped HTML and
// the CSV attachment. Pure: every value supplied by the API is treated as hostile text.

export interface AlertView {
  detectedAt: Date;
  customerId: string;
  purpose: string;
  documentType: string;
  documentName: string;
  previousStatus: string | null;
  newStatus: string;
  verificationResponse: string | null;
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
] as const;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

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

/** One line of text for a plain-text email: no line breaks or control characters from the API. */
function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

export function renderCsv(alerts: readonly AlertView[]): string {
  const rows = alerts.map((a) =>
    [
      a.detectedAt.toISOString(),
      a.customerId,
      a.purpose,
      a.documentType,
      a.documentName,
      a.previousStatus ?? '',
      a.newStatus,
      a.verificationResponse ?? '',
    ].map(neutraliseCell),
  );
  return stringify([[...CSV_HEADER], ...rows], { record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
}

function statusPhrase(alerts: readonly AlertView[]): string {
  const statuses = [...new Set(alerts.map((a) => a.newStatus))].sort();
  if (statuses.length === 1) return statuses[0] ?? '';
  return `${statuses.slice(0, -1).join(', ')} or ${statuses.at(-1)}`;
}

export function renderSubject(alerts: readonly AlertView[]): string {
  const customers = new Set(alerts.map((a) => a.customerId)).size;
  return `KYC alert: ${plural(alerts.length, 'document', 'documents')} of ${plural(customers, 'customer', 'customers')} ${oneLine(statusPhrase(alerts))}`;
}

function change(a: AlertView): string {
  return a.previousStatus === null ? `new, ${a.newStatus}` : `${a.previousStatus} → ${a.newStatus}`;
}

export function renderText(alerts: readonly AlertView[]): string {
  const lines = [
    `${renderSubject(alerts)}.`,
    '',
    ...alerts.flatMap((a) => [
      `- Customer ${oneLine(a.customerId)}: ${oneLine(a.purpose)} ${oneLine(a.documentType)} "${oneLine(a.documentName)}"`,
      `  ${oneLine(change(a))} (detected ${a.detectedAt.toISOString()})`,
      ...(a.verificationResponse ? [`  Verification response: ${oneLine(a.verificationResponse)}`] : []),
    ]),
    '',
    'The attached CSV lists the same documents.',
    '-- kyc-monitor',
  ];
  return `${lines.join('\n')}\n`;
}

const STATUS_COLOURS: Record<string, string> = { expired: '#b45309', declined: '#b91c1c' };

export function renderHtml(alerts: readonly AlertView[]): string {
  const cell = 'padding:8px 10px;border-bottom:1px solid #e5e7eb;vertical-align:top;text-align:left';
  const td = (label: string, content: string, extra = '') => `<td data-label="${label}" style="${cell}${extra}">${content}</td>`;
  const rows = alerts
    .map((a) => {
      const colour = STATUS_COLOURS[a.newStatus] ?? '#1f2937';
      const previous = a.previousStatus === null ? '<em>new</em>' : escapeHtml(a.previousStatus);
      return `<tr>
${td('Customer', `<strong>${escapeHtml(a.customerId)}</strong>`)}
${td('Status', `${previous} &rarr; <strong style="color:${colour}">${escapeHtml(a.newStatus)}</strong>`)}
${td('Document', `${escapeHtml(a.documentType)}<br><span style="color:#6b7280">${escapeHtml(a.documentName)}</span>`)}
${td('Purpose', escapeHtml(a.purpose))}
${td('Verification response', escapeHtml(a.verificationResponse ?? ''))}
${td('Detected at', escapeHtml(a.detectedAt.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC')), ';white-space:nowrap')}
</tr>`;
    })
    .join('\n');
  const head = ['Customer', 'Status', 'Document', 'Purpose', 'Verification response', 'Detected at']
    .map((h) => `<th style="${cell};background:#f3f4f6;font-size:12px;text-transform:uppercase;color:#374151">${h}</th>`)
    .join('');
  // Inline styles for every client; on narrow screens (clients that honour <style>) each row
  // becomes a card with labelled lines instead of a table wider than the phone.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(renderSubject(alerts))}</title>
<style>
@media (max-width: 600px) {
  table.alerts, table.alerts tbody, table.alerts tr, table.alerts td { display: block; width: auto !important; }
  table.alerts thead { display: none; }
  table.alerts tr { border: 1px solid #e5e7eb; border-radius: 6px; margin: 0 0 12px; }
  table.alerts td { border-bottom: none !important; padding: 4px 10px !important; white-space: normal !important; }
  table.alerts td::before { content: attr(data-label); display: block; font-size: 11px; text-transform: uppercase; color: #6b7280; }
}
</style></head>
<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#111827;background:#ffffff">
<h1 style="font-size:18px;margin:0 0 12px">${escapeHtml(renderSubject(alerts))}</h1>
<p style="margin:0 0 16px;color:#374151">These documents changed to a status that needs the compliance team's attention. The attached CSV lists the same rows.</p>
<div style="overflow-x:auto"><table class="alerts" style="border-collapse:collapse;width:100%;font-size:14px">
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody></table></div>
<p style="margin:16px 0 0;color:#6b7280;font-size:12px">Sent by kyc-monitor.</p>
</body></html>
`;
}

export function renderAlertEmail(alerts: readonly AlertView[], now: Date): RenderedEmail {
  if (alerts.length === 0) throw new RangeError('an alert email needs at least one alert');
  return {
    subject: renderSubject(alerts),
    text: renderText(alerts),
    html: renderHtml(alerts),
    attachment: { filename: `kyc-alerts-${utcStamp(now)}.csv`, content: renderCsv(alerts), contentType: 'text/csv; charset=utf-8' },
  };
}
