import { escapeHtml } from '../domain/alert-email.js';
import { documentTypeWords, oneLine, statusWords } from '../domain/alert-wording.js';
import { ageWords, caseLabel, MAX_BY_LENGTH, MAX_NOTE_LENGTH } from '../domain/cases.js';
import type { CaseRow, TimelineRow } from '../cases/cases.js';

// The people's pages (SPEC §10) as HTML: a case, its timeline and the form that acknowledges it,
// and the short pages that say why not (a bad link, no such case). No script anywhere; one inline
// stylesheet (the only thing the Content-Security-Policy lets in). Every value from the API or a
// person goes through escapeHtml: customer ids, document names, statuses, notes, names.

export interface CasePageView {
  case: CaseRow;
  timeline: readonly TimelineRow[];
  /** The link's token, posted back with the form. */
  token: string;
  /** Until when the link works. */
  linkExpiresAt: Date;
  now: Date;
  /** What was typed, shown again with what is wrong with it (a refused form). */
  form?: { by: string; note: string; problems: readonly string[] };
  /** A sentence above the case: why nothing was recorded, or what was. */
  notice?: { tone: 'info' | 'warning'; text: string };
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#111827;font:16px/1.5 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:760px;margin:0 auto;padding:16px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:16px 20px;margin:0 0 16px}
.brand{margin:4px 0 8px;color:#6b7280;font-size:13px;letter-spacing:.04em;text-transform:uppercase}
h1{font-size:22px;line-height:1.3;margin:0 0 12px;display:flex;flex-wrap:wrap;align-items:center;gap:8px}
h2{font-size:17px;margin:0 0 12px}
.state{display:inline-block;padding:2px 10px;border-radius:999px;font-size:13px;font-weight:600;text-transform:uppercase;letter-spacing:.03em}
.state-open{background:#fef3c7;color:#92400e}
.state-acknowledged{background:#dbeafe;color:#1e40af}
.state-resolved{background:#dcfce7;color:#166534}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}
dt{color:#6b7280;font-size:14px;padding-top:1px}
dd{margin:0;min-width:0;overflow-wrap:anywhere}
.muted{color:#6b7280;font-size:14px}
.badge{display:inline-block;margin-left:6px;padding:0 6px;border:1px solid #d1d5db;border-radius:4px;font-size:12px;color:#4b5563;vertical-align:1px}
.status{font-weight:700;color:#b45309}
.status-declined{color:#b91c1c}
.notice{padding:12px 16px;border-radius:8px;margin:0 0 16px;border:1px solid}
.notice-info{background:#eff6ff;border-color:#bfdbfe;color:#1e3a8a}
.notice-warning{background:#fffbeb;border-color:#fde68a;color:#78350f}
.problems{margin:0 0 12px;padding:10px 14px 10px 30px;background:#fef2f2;border:1px solid #fecaca;border-radius:6px;color:#991b1b}
label{display:block;font-weight:600;margin:12px 0 4px}
.optional{font-weight:400;color:#6b7280}
input[type=text],textarea{display:block;width:100%;padding:10px 12px;border:1px solid #9ca3af;border-radius:6px;font:inherit;background:#fff;color:inherit}
input[type=text]:focus,textarea:focus{outline:2px solid #2563eb;outline-offset:1px;border-color:#2563eb}
textarea{min-height:96px;resize:vertical}
.hint{margin:4px 0 0;color:#6b7280;font-size:13px}
button{margin-top:16px;padding:12px 20px;border:0;border-radius:6px;background:#1d4ed8;color:#fff;font:inherit;font-weight:600;cursor:pointer;width:100%}
button:hover{background:#1e40af}
button:focus{outline:3px solid #93c5fd;outline-offset:2px}
ol.timeline{list-style:none;margin:0;padding:0}
ol.timeline li{position:relative;padding:0 0 14px 26px}
ol.timeline li:last-child{padding-bottom:0}
ol.timeline li::after{content:"";position:absolute;left:6px;top:13px;bottom:-13px;width:2px;background:#e5e7eb}
ol.timeline li:last-child::after{display:none}
ol.timeline li::before{content:"";position:absolute;z-index:1;left:0;top:5px;width:10px;height:10px;border-radius:50%;background:#9ca3af;border:2px solid #fff}
ol.timeline li.k-acknowledged::before{background:#1d4ed8}
ol.timeline li.k-resolved::before{background:#16a34a}
ol.timeline li.k-alert::before{background:#b45309}
.when{color:#6b7280;font-size:13px}
.what{font-weight:600}
.detail{color:#374151;font-size:14px;overflow-wrap:anywhere}
.note{margin:6px 0 0;padding:8px 12px;background:#f9fafb;border-left:3px solid #d1d5db;white-space:pre-wrap;overflow-wrap:anywhere;font-size:14px}
footer{color:#6b7280;font-size:13px;padding:0 4px 24px}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#e5e7eb;border-radius:4px;padding:1px 5px;overflow-wrap:anywhere}
@media (min-width:640px){main{padding:32px 24px}button{width:auto}h1{font-size:26px}}
@media (max-width:420px){dl{grid-template-columns:1fr;gap:0}dt{margin-top:8px}}
`;

/** `2026-11-25 08:07 UTC`. */
function utc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function text(value: unknown): string {
  return escapeHtml(oneLine(typeof value === 'string' ? value : JSON.stringify(value) ?? ''));
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body><main>
<p class="brand">kyc-monitor · compliance cases</p>
${body}
</main></body></html>
`;
}

/** Our own sentences: escaped, with `a command` shown as code. */
function sentence(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** A short page: a heading and what to do (403, 404, 405, 413, 500 …). Its words are ours, escaped all the same. */
export function messagePage(title: string, paragraphs: readonly string[]): string {
  return layout(`${title} — kyc-monitor`, `<div class="card"><h1>${escapeHtml(title)}</h1>${paragraphs.map((p) => `<p>${sentence(p)}</p>`).join('')}</div>`);
}

function statusClass(status: string): string {
  return statusWords(status) === 'declined' ? 'status status-declined' : 'status';
}

/** `recovered, on … by system`. */
function resolvedLine(c: CaseRow): string {
  return `${escapeHtml(c.resolution ?? 'yes')}${c.resolved_at ? `, on ${utc(c.resolved_at)}` : ''}${c.resolved_by ? ` by ${text(c.resolved_by)}` : ''}`;
}

function facts(c: CaseRow, now: Date): string {
  const rows: Array<[string, string]> = [
    ['Customer', text(c.customer_id)],
    ['Document', `${text(documentTypeWords(c.document_type))}<span class="badge">${text(c.purpose)}</span><br><span class="muted">${text(c.document_name)}</span>`],
    ['Status', `<span class="${statusClass(c.document_status)}">${text(statusWords(c.document_status))}</span>`],
    // The state is the badge beside the heading.
    ['Opened', `${utc(c.opened_at)} <span class="muted">(${escapeHtml(ageWords(c.opened_at, now))} ago)</span>`],
    ['Acknowledged', c.acknowledged_by ? `by ${text(c.acknowledged_by)}${c.acknowledged_at ? ` on ${utc(c.acknowledged_at)}` : ''}` : '<span class="muted">not yet</span>'],
    ...(c.state === 'resolved' ? [['Resolved', resolvedLine(c)] as [string, string]] : []),
  ];
  return `<dl>${rows.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

function noteBlock(details: Record<string, unknown>): string {
  return typeof details.note === 'string' ? `<div class="note">${escapeHtml(details.note)}</div>` : '';
}

const VIA: Record<string, string> = { web: 'from the email link', cli: 'from the command line' };

/** One timeline entry in words: what happened, then its details. Kinds this page does not know are shown by name with their details. */
function timelineEntry(t: TimelineRow): string {
  const d = t.details;
  let what: string;
  let detail = '';
  switch (t.kind) {
    case 'opened':
      what = 'Case opened';
      break;
    case 'alert':
      what = 'Alert';
      detail = d.previousStatus === null || d.previousStatus === undefined ? `appeared as ${text(statusWords(String(d.newStatus ?? '')))}` : `${text(statusWords(String(d.previousStatus)))} → ${text(statusWords(String(d.newStatus ?? '')))}`;
      break;
    case 'email':
      what = 'Emailed';
      detail = `to ${Array.isArray(d.recipients) ? d.recipients.map((r) => text(r)).join(', ') : ''}`;
      break;
    case 'acknowledged':
      what = 'Acknowledged';
      detail = typeof d.via === 'string' ? escapeHtml(VIA[d.via] ?? `via ${oneLine(d.via)}`) : '';
      break;
    case 'resolved':
      what = `Resolved${typeof d.resolution === 'string' ? `: ${text(d.resolution)}` : ''}`;
      detail = typeof d.documentStatus === 'string' ? `document now ${text(statusWords(d.documentStatus))}` : '';
      break;
    case 'note':
      what = 'Note';
      break;
    default: {
      what = text(String(t.kind).replace(/^./, (c) => c.toUpperCase()));
      detail = Object.entries(d)
        .filter(([key]) => key !== 'note')
        .map(([key, value]) => `${text(key)}: ${text(value)}`)
        .join(' · ');
    }
  }
  return `<li class="k-${escapeHtml(t.kind)}"><div class="when">${utc(t.at)} · ${text(t.actor)}</div><div class="what">${what}</div>${detail ? `<div class="detail">${detail}</div>` : ''}${noteBlock(d)}</li>`;
}

function ackForm(v: CasePageView): string {
  const c = v.case;
  const problems = v.form?.problems.length ? `<ul class="problems" role="alert">${v.form.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : '';
  // The relative action posts to this same page's path, behind any prefix PUBLIC_URL has; the
  // token travels in the body, not in the URL.
  return `<div class="card"><h2>Acknowledge this case</h2>
<p class="muted">Say that you are on it: your name (and note) go into the case's timeline for good, and reminders for it stop.</p>
${problems}<form method="post" action="${escapeHtml(c.id)}">
<input type="hidden" name="t" value="${escapeHtml(v.token)}">
<label for="by">Your name</label>
<input type="text" id="by" name="by" required maxlength="${MAX_BY_LENGTH}" autocomplete="name" value="${escapeHtml(v.form?.by ?? '')}">
<label for="note">Note <span class="optional">(optional, at most ${MAX_NOTE_LENGTH.toLocaleString('en')} characters)</span></label>
<textarea id="note" name="note" maxlength="${MAX_NOTE_LENGTH}" rows="4">${escapeHtml(v.form?.note ?? '')}</textarea>
<button type="submit">Acknowledge case ${caseLabel(c.id)}</button>
</form></div>`;
}

function doneCard(c: CaseRow): string {
  if (c.state === 'resolved') return `<div class="card"><h2>Nothing to acknowledge</h2><p>This case is resolved (${escapeHtml(c.resolution ?? '')}): there is nothing left to do here.</p></div>`;
  return `<div class="card"><h2>Acknowledged</h2><p>${text(c.acknowledged_by ?? '')} acknowledged this case${c.acknowledged_at ? ` on ${utc(c.acknowledged_at)}` : ''}: no more reminders are sent for it.</p>
<p class="muted">It resolves by itself when a check sees the document in order again (renewed, verified) or gone; by hand: ${sentence(`\`kyc-monitor cases resolve ${c.id} --by NAME --note WHY\``)}.</p></div>`;
}

/** The case, the form that acknowledges it while it is open, and its whole timeline. */
export function casePage(v: CasePageView): string {
  const c = v.case;
  const notice = v.notice ? `<div class="notice notice-${v.notice.tone}" role="status">${escapeHtml(v.notice.text)}</div>` : '';
  const body = `${notice}<div class="card"><h1>Case ${caseLabel(c.id)} <span class="state state-${escapeHtml(c.state)}">${escapeHtml(c.state)}</span></h1>
${facts(c, v.now)}</div>
${c.state === 'open' ? ackForm(v) : doneCard(c)}
<div class="card"><h2>Timeline</h2><ol class="timeline">${v.timeline.map(timelineEntry).join('')}</ol></div>
<footer>This link works until ${utc(v.linkExpiresAt)}. From a terminal: <code>kyc-monitor cases show ${escapeHtml(c.id)}</code>.</footer>`;
  return layout(`Case ${caseLabel(c.id)} — kyc-monitor`, body);
}
