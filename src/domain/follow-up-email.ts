import { escapeHtml } from './alert-email.js';
import { detectedWords, documentTypeWords, oneLine, plural, statusWords } from './alert-wording.js';
import { ageWords, caseLabel } from './cases.js';

// The emails that follow a case up (SPEC §10): the reminder of open cases nobody acknowledged,
// to the team, and the escalation of those left open too long, to ESCALATE_TO. Each lists its
// cases oldest first, with their age. Pure; every value from the API is hostile text.

export interface FollowUpCase {
  caseId: bigint;
  customerId: string;
  customerName?: string | null;
  purpose: string;
  documentType: string;
  documentName: string;
  /** The status of the case's last alert. */
  documentStatus: string;
  openedAt: Date;
  /** Where the case can be acknowledged (the email link), when configured. */
  link?: string | null;
}

export type FollowUpKind = 'reminder' | 'escalation';

export interface FollowUpEmail {
  subject: string;
  text: string;
  html: string;
}

function hoursWords(hours: number): string {
  const rounded = Math.round(hours * 100) / 100;
  return `${rounded} ${rounded === 1 ? 'hour' : 'hours'}`;
}

export function followUpSubject(kind: FollowUpKind, count: number, escalateAfterHours: number): string {
  return kind === 'reminder'
    ? `KYC reminder: ${plural(count, 'open case', 'open cases')} awaiting acknowledgement`
    : `KYC escalation: ${plural(count, 'case', 'cases')} unacknowledged for more than ${hoursWords(escalateAfterHours)}`;
}

function customerWords(c: FollowUpCase): string {
  const name = c.customerName ? oneLine(c.customerName) : '';
  return name ? `${name} (${oneLine(c.customerId)})` : oneLine(c.customerId);
}

function introduction(kind: FollowUpKind, count: number, escalateAfterHours: number): string {
  return kind === 'reminder'
    ? `${plural(count, 'case is', 'cases are')} still open: nobody has acknowledged ${count === 1 ? 'it' : 'them'} since the alert went out.`
    : `${plural(count, 'case has', 'cases have')} stayed unacknowledged for more than ${hoursWords(escalateAfterHours)} since ${count === 1 ? 'it' : 'they'} opened.`;
}

const HOW_TO = 'Acknowledge a case with its link, or: kyc-monitor cases ack <id> --by <your name>';

export function renderFollowUpEmail(kind: FollowUpKind, cases: readonly FollowUpCase[], now: Date, escalateAfterHours = 0): FollowUpEmail {
  if (cases.length === 0) throw new RangeError('a follow-up email needs at least one case');
  const sorted = [...cases].sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime() || Number(a.caseId - b.caseId));
  const subject = followUpSubject(kind, sorted.length, escalateAfterHours);
  const intro = introduction(kind, sorted.length, escalateAfterHours);
  const text = [
    intro,
    '',
    ...sorted.flatMap((c) => [
      `- Case ${caseLabel(c.caseId)}, open for ${ageWords(c.openedAt, now)}: customer ${customerWords(c)}`,
      `  Document: ${documentTypeWords(c.documentType)} "${oneLine(c.documentName)}" (${oneLine(c.purpose)}), ${statusWords(c.documentStatus)}`,
      `  Opened (UTC): ${detectedWords(c.openedAt)}`,
      ...(c.link ? [`  Acknowledge: ${c.link}`] : []),
      '',
    ]),
    HOW_TO,
    '-- kyc-monitor',
  ].join('\n');
  const cell = 'padding:8px 10px;border-bottom:1px solid #e5e7eb;vertical-align:top;text-align:left';
  const rows = sorted
    .map((c) => {
      const label = c.link ? `<a href="${escapeHtml(c.link)}" style="color:#1d4ed8">${caseLabel(c.caseId)}</a>` : caseLabel(c.caseId);
      return `<tr><td style="${cell};white-space:nowrap"><strong>${label}</strong></td><td style="${cell};word-break:break-word">${escapeHtml(customerWords(c))}</td><td style="${cell};word-break:break-word">${escapeHtml(documentTypeWords(c.documentType))} <span style="color:#6b7280">${escapeHtml(oneLine(c.documentName))} (${escapeHtml(oneLine(c.purpose))})</span></td><td style="${cell}">${escapeHtml(statusWords(c.documentStatus))}</td><td style="${cell};white-space:nowrap">${escapeHtml(ageWords(c.openedAt, now))}</td></tr>`;
    })
    .join('\n');
  const head = ['Case', 'Customer', 'Document', 'Status', 'Open for'].map((h) => `<th style="${cell};background:#f3f4f6;font-size:12px;text-transform:uppercase;color:#374151">${h}</th>`).join('');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#111827;background:#ffffff">
<h1 style="font-size:18px;margin:0 0 8px">${escapeHtml(subject)}</h1>
<p style="margin:0 0 12px;color:#374151">${escapeHtml(intro)}</p>
<div style="overflow-x:auto"><table style="border-collapse:collapse;width:100%;font-size:14px">
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody></table></div>
<p style="margin:16px 0 0;color:#6b7280;font-size:12px">${escapeHtml(HOW_TO)}. Sent by kyc-monitor.</p>
</body></html>
`;
  return { subject, text: `${text}\n`, html };
}
