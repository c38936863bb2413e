import { escapeHtml } from './alert-email.js';
import { documentTypeWords, oneLine, plural, statusWords } from './alert-wording.js';
import { ageWords, caseLabel } from './cases.js';

// The summary email (SPEC §12): what the monitor did over a period, and what awaits the team —
// sent even when nothing happened, so that its absence says the monitor is down. Pure; every
// value from the API is hostile text.

export interface SummaryCase {
  id: number;
  customerId: string;
  purpose: string;
  documentType: string;
  documentName: string;
  documentStatus: string;
  openedAt: string;
}

export interface SummaryFigures {
  periodStart: string;
  periodEnd: string;
  scansCompleted: number;
  scansFailed: number;
  scansInterrupted: number;
  customersTracked: number;
  customersChecked: number;
  customersNeverChecked: number;
  customersFailing: number;
  changes: number;
  alerts: number;
  casesOpened: number;
  casesAcknowledged: number;
  casesResolved: number;
  unresolvedByPurpose: Array<{ purpose: string; underOneDay: number; oneToSevenDays: number; overSevenDays: number }>;
  unacknowledged: number;
  oldestUnacknowledged: SummaryCase[];
  expiringWithin30Days: number;
  alertsPending: number;
  alertsFailed: number;
}

/** The figures as stored with the outbox row; an error names what is missing. */
export function parseSummaryFigures(json: string): SummaryFigures {
  const figures = JSON.parse(json) as Partial<SummaryFigures>;
  for (const key of ['periodStart', 'periodEnd', 'scansCompleted', 'customersTracked', 'alerts', 'unresolvedByPurpose', 'oldestUnacknowledged'] as const) {
    if (figures[key] === undefined) throw new Error(`summary figures without ${key}`);
  }
  return figures as SummaryFigures;
}

const day = (iso: string) => iso.slice(0, 10);
const minute = (iso: string) => new Date(iso).toISOString().slice(0, 16).replace('T', ' ');

export function summarySubject(f: SummaryFigures): string {
  const news = [
    f.alerts > 0 ? plural(f.alerts, 'alert', 'alerts') : null,
    f.unacknowledged > 0 ? `${plural(f.unacknowledged, 'case', 'cases')} awaiting acknowledgement` : null,
    f.customersFailing > 0 ? `${plural(f.customersFailing, 'customer', 'customers')} failing` : null,
    f.scansFailed > 0 ? `${plural(f.scansFailed, 'failed scan', 'failed scans')}` : null,
  ].filter((x): x is string => x !== null);
  return `KYC summary ${day(f.periodStart)} to ${day(f.periodEnd)}: ${news.length ? news.join(', ') : 'nothing new, the monitor is running'}`;
}

interface Section {
  title: string;
  rows: Array<[string, string]>;
}

/** `18,240`. */
const n = (value: number) => value.toLocaleString('en-US');

function sections(f: SummaryFigures): Section[] {
  const unresolved = f.unresolvedByPurpose.reduce((n, p) => n + p.underOneDay + p.oneToSevenDays + p.overSevenDays, 0);
  return [
    {
      title: 'Scans',
      rows: [
        ['completed', n(f.scansCompleted)],
        ['failed', n(f.scansFailed)],
        ['interrupted', n(f.scansInterrupted)],
      ],
    },
    {
      title: 'Customers',
      rows: [
        ['tracked', n(f.customersTracked)],
        ['checked in the period', n(f.customersChecked)],
        ['never checked successfully', n(f.customersNeverChecked)],
        ['failing now', n(f.customersFailing)],
      ],
    },
    {
      title: 'Documents',
      rows: [
        ['changes recorded', n(f.changes)],
        ['alerts raised', n(f.alerts)],
        ['expiring within 30 days', n(f.expiringWithin30Days)],
      ],
    },
    {
      title: 'Cases',
      rows: [
        ['opened', n(f.casesOpened)],
        ['acknowledged', n(f.casesAcknowledged)],
        ['resolved', n(f.casesResolved)],
        ['unresolved now', n(unresolved)],
        ['awaiting acknowledgement', n(f.unacknowledged)],
      ],
    },
    {
      title: 'Emails',
      rows: [
        ['alerts pending', n(f.alertsPending)],
        ['alerts failed', n(f.alertsFailed)],
      ],
    },
  ];
}

const ALIVE = 'This summary is sent on schedule even when nothing happened: if it stops arriving, the monitor is down.';

function caseLine(c: SummaryCase, now: Date): string {
  return `${caseLabel(c.id)}  ${oneLine(c.customerId)}  ${documentTypeWords(c.documentType)} "${oneLine(c.documentName)}" (${oneLine(c.purpose)}), ${statusWords(c.documentStatus)}, open for ${ageWords(new Date(c.openedAt), now)}`;
}

export function renderSummaryText(f: SummaryFigures, now: Date): string {
  const lines = [`What kyc-monitor did from ${minute(f.periodStart)} to ${minute(f.periodEnd)} (UTC), and what awaits the team.`, ''];
  for (const s of sections(f)) {
    lines.push(s.title.toUpperCase(), ...s.rows.map(([label, value]) => `  ${label}: ${value}`), '');
  }
  if (f.unresolvedByPurpose.length > 0) {
    lines.push('UNRESOLVED CASES BY AGE', '  purpose: under 1 day / 1 to 7 days / over 7 days');
    for (const p of f.unresolvedByPurpose) lines.push(`  ${oneLine(p.purpose) || '(none)'}: ${p.underOneDay} / ${p.oneToSevenDays} / ${p.overSevenDays}`);
    lines.push('');
  }
  if (f.oldestUnacknowledged.length > 0) {
    lines.push(`OLDEST CASES AWAITING ACKNOWLEDGEMENT (${f.oldestUnacknowledged.length} of ${f.unacknowledged})`, ...f.oldestUnacknowledged.map((c) => `  ${caseLine(c, now)}`), '');
    lines.push('kyc-monitor cases list shows them all; kyc-monitor cases ack <id> --by <your name> acknowledges one.', '');
  }
  lines.push(ALIVE, '-- kyc-monitor');
  return `${lines.join('\n')}\n`;
}

export function renderSummaryHtml(f: SummaryFigures, now: Date): string {
  const subject = escapeHtml(summarySubject(f));
  const cell = 'padding:6px 10px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top';
  const tiles = sections(f)
    .map(
      (s) => `<div style="flex:1 1 200px;min-width:180px;border:1px solid #e5e7eb;border-radius:6px;padding:10px 12px">
<div style="font-size:12px;text-transform:uppercase;color:#6b7280;margin-bottom:6px">${escapeHtml(s.title)}</div>
${s.rows.map(([label, value]) => `<div style="display:flex;justify-content:space-between;gap:8px;font-size:14px;padding:2px 0"><span style="color:#374151">${escapeHtml(label)}</span><strong>${escapeHtml(value)}</strong></div>`).join('\n')}
</div>`,
    )
    .join('\n');
  const byAge = f.unresolvedByPurpose.length
    ? `<h2 style="font-size:15px;margin:20px 0 6px">Unresolved cases by age</h2>
<table style="border-collapse:collapse;font-size:14px"><thead><tr>${['Purpose', 'Under 1 day', '1 to 7 days', 'Over 7 days'].map((h) => `<th style="${cell};background:#f3f4f6;font-size:12px">${h}</th>`).join('')}</tr></thead><tbody>
${f.unresolvedByPurpose.map((p) => `<tr><td style="${cell}">${escapeHtml(oneLine(p.purpose) || '(none)')}</td><td style="${cell}">${p.underOneDay}</td><td style="${cell}">${p.oneToSevenDays}</td><td style="${cell}">${p.overSevenDays}</td></tr>`).join('\n')}
</tbody></table>`
    : '';
  const oldest = f.oldestUnacknowledged.length
    ? `<h2 style="font-size:15px;margin:20px 0 6px">Oldest cases awaiting acknowledgement (${f.oldestUnacknowledged.length} of ${f.unacknowledged})</h2>
<div style="overflow-x:auto"><table style="border-collapse:collapse;width:100%;font-size:14px"><thead><tr>${['Case', 'Customer', 'Document', 'Status', 'Open for'].map((h) => `<th style="${cell};background:#f3f4f6;font-size:12px">${h}</th>`).join('')}</tr></thead><tbody>
${f.oldestUnacknowledged
  .map(
    (c) =>
      `<tr><td style="${cell};white-space:nowrap"><strong>${caseLabel(c.id)}</strong></td><td style="${cell};word-break:break-word">${escapeHtml(oneLine(c.customerId))}</td><td style="${cell};word-break:break-word">${escapeHtml(documentTypeWords(c.documentType))} <span style="color:#6b7280">${escapeHtml(oneLine(c.documentName))} (${escapeHtml(oneLine(c.purpose))})</span></td><td style="${cell}">${escapeHtml(statusWords(c.documentStatus))}</td><td style="${cell};white-space:nowrap">${escapeHtml(ageWords(new Date(c.openedAt), now))}</td></tr>`,
  )
  .join('\n')}
</tbody></table></div>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${subject}</title></head>
<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#111827;background:#ffffff">
<h1 style="font-size:18px;margin:0 0 8px">${subject}</h1>
<p style="margin:0 0 12px;color:#374151">What kyc-monitor did from ${escapeHtml(minute(f.periodStart))} to ${escapeHtml(minute(f.periodEnd))} (UTC), and what awaits the team.</p>
<div style="display:flex;flex-wrap:wrap;gap:10px">
${tiles}
</div>
${byAge}
${oldest}
<p style="margin:16px 0 0;color:#6b7280;font-size:12px">${escapeHtml(ALIVE)} Sent by kyc-monitor.</p>
</body></html>
`;
}

export function renderSummaryEmail(f: SummaryFigures, now: Date): { subject: string; text: string; html: string } {
  return { subject: summarySubject(f), text: renderSummaryText(f, now), html: renderSummaryHtml(f, now) };
}
