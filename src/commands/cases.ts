import { ageWords, byProblem, caseLabel, normaliseNote, noteProblem, parseCaseId, type CaseStateFilter } from '../domain/cases.js';
import { customerIdProblem, displayId } from '../domain/customer-id.js';
import { printable } from '../domain/text.js';
import type { CaseChange, CaseRow, TimelineRow } from '../cases/cases.js';
import { CommandError, EXIT_OK, EXIT_USAGE, runCommand, writeErr, writeRaw } from './context.js';
import { COMMAND_SECTIONS } from './sections.js';

// cases list / show / ack / resolve / note (SPEC §10). Every argument is checked before anything
// happens: a bad one, or an id that names no case, is exit 2 with nothing recorded.

const PAGE = 1000;

/** A case as `--json` prints it. */
export function caseJson(c: CaseRow): Record<string, unknown> {
  return {
    id: Number(c.id),
    customerId: c.customer_id,
    purpose: c.purpose,
    documentType: c.document_type,
    documentName: c.document_name,
    documentStatus: c.document_status,
    expiresOn: c.expires_on,
    state: c.state,
    openedAt: c.opened_at.toISOString(),
    lastAlertAt: c.last_alert_at.toISOString(),
    acknowledgedAt: c.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: c.acknowledged_by,
    resolvedAt: c.resolved_at?.toISOString() ?? null,
    resolvedBy: c.resolved_by,
    resolution: c.resolution,
  };
}

/** A timeline entry as `--json` prints it: when, what, who, and its details. */
export function timelineJson(t: TimelineRow): Record<string, unknown> {
  return { at: t.at.toISOString(), kind: t.kind, actor: t.actor, ...(t.alert_id === null ? {} : { alertId: Number(t.alert_id) }), ...t.details };
}

/** Parses case ids; writes each bad one and returns null when there is any. */
function caseIds(texts: readonly string[]): bigint[] | null {
  const ids: bigint[] = [];
  let bad = false;
  for (const text of texts) {
    const id = parseCaseId(text);
    if (id === null) {
      writeErr(`case id ${JSON.stringify(text)} is not a case id (a positive whole number, like 17 or #17)`);
      bad = true;
    } else ids.push(id);
  }
  return bad ? null : ids;
}

/** Checks --by and --note; writes each problem and returns false when there is any. */
function validAct(by: string | undefined, note: string | undefined, noteRequired: boolean): boolean {
  const problems: string[] = [];
  if (by === undefined) problems.push('--by is required: who acts (1 to 200 characters)');
  else {
    const problem = byProblem(by);
    if (problem) problems.push(`--by ${problem}`);
  }
  if (note === undefined) {
    if (noteRequired) problems.push('--note is required');
  } else {
    const problem = noteProblem(note);
    if (problem) problems.push(`--note ${problem}`);
  }
  for (const p of problems) writeErr(p);
  return problems.length === 0;
}

function unknownCases(error: unknown): never {
  if ((error as Error)?.name === 'UnknownCases') throw new CommandError(`${(error as Error).message}: nothing recorded`, EXIT_USAGE);
  throw error;
}

function documentWords(c: CaseRow): string {
  return `${printable(c.purpose)} ${printable(c.document_type)} ${printable(JSON.stringify(c.document_name))}`;
}

export function casesList(options: { state: CaseStateFilter; customer?: string; json?: boolean }): Promise<number> {
  if (options.customer !== undefined) {
    const problem = customerIdProblem(options.customer);
    if (problem) {
      writeErr(`--customer ${displayId(options.customer)} ${problem}`);
      return Promise.resolve(EXIT_USAGE);
    }
  }
  return runCommand(COMMAND_SECTIONS['cases list'], async ({ app, out, signal }) => {
    const now = new Date();
    let after: CaseRow | null = null;
    let first = true;
    if (options.json) writeRaw('[');
    else out(`${'CASE'.padEnd(8)} ${'CUSTOMER'.padEnd(24)} ${'DOCUMENT'.padEnd(36)} ${'STATUS'.padEnd(10)} ${'OPENED (UTC)'.padEnd(17)} ${'AGE'.padEnd(7)} ${'STATE'.padEnd(12)} ACKNOWLEDGED BY`);
    for (;;) {
      signal.throwIfAborted();
      const page: CaseRow[] = await app.cases.list({ state: options.state, customerId: options.customer ?? null, after, limit: PAGE });
      for (const c of page) {
        if (options.json) writeRaw(`${first ? '' : ','}\n  ${JSON.stringify(caseJson(c))}`);
        else {
          const state = c.state === 'resolved' ? `resolved:${c.resolution ?? ''}` : c.state;
          out(
            `${caseLabel(c.id).padEnd(8)} ${printable(c.customer_id).padEnd(24)} ${documentWords(c).padEnd(36)} ${printable(c.document_status).padEnd(10)} ${c.opened_at.toISOString().slice(0, 16).replace('T', ' ')} ${ageWords(c.opened_at, now).padEnd(7)} ${state.padEnd(12)} ${c.acknowledged_by === null ? '' : printable(c.acknowledged_by)}`,
          );
        }
        first = false;
      }
      if (page.length < PAGE) break;
      after = page.at(-1) ?? null;
    }
    if (options.json) writeRaw(first ? ']\n' : '\n]\n');
    else if (first) out(`no ${options.state === 'all' ? '' : `${options.state} `}cases${options.customer === undefined ? '' : ` for ${printable(options.customer)}`}`);
    return EXIT_OK;
  }, { requireMigrated: true });
}

/** One timeline entry in words. */
function timelineWords(t: TimelineRow): string {
  const d = t.details;
  const text = (key: string) => (typeof d[key] === 'string' ? printable(d[key]) : '');
  const note = typeof d.note === 'string' ? `\n      note: ${printable(d.note).replace(/\n/g, '\n      ')}` : '';
  switch (t.kind) {
    case 'opened':
      return 'case opened';
    case 'alert':
      return `alert ${t.alert_id ?? ''}: ${d.previousStatus === null || d.previousStatus === undefined ? 'appeared' : `${text('previousStatus')} →`} ${text('newStatus')}`;
    case 'email':
      return `emailed to ${Array.isArray(d.recipients) ? d.recipients.map(String).join(', ') : ''}${d.messageId ? ` (message ${text('messageId')})` : ''}`;
    case 'acknowledged':
      return `acknowledged${d.via === 'web' ? ' from the email link' : ''}${note}`;
    case 'resolved':
      return `resolved: ${text('resolution')}${d.documentStatus ? ` (document now ${text('documentStatus')})` : ''}${note}`;
    case 'note':
      return `note${note}`;
    default:
      return `${t.kind} ${JSON.stringify(d)}`;
  }
}

export async function casesShow(idText: string, options: { json?: boolean }): Promise<number> {
  const ids = caseIds([idText]);
  if (ids === null) return EXIT_USAGE;
  const id = ids[0] as bigint;
  return runCommand(COMMAND_SECTIONS['cases show'], async ({ app, out }) => {
    const found = await app.cases.show(id);
    if (!found) throw new CommandError(`no case ${caseLabel(id)}`, EXIT_USAGE);
    const c = found.case;
    if (options.json) {
      out(JSON.stringify({ ...caseJson(c), timeline: found.timeline.map(timelineJson) }));
      return EXIT_OK;
    }
    const lines = [
      `case ${caseLabel(c.id)}  ${c.state}${c.resolution ? ` (${c.resolution})` : ''}`,
      `customer: ${printable(c.customer_id)}`,
      `document: ${documentWords(c)}, ${printable(c.document_status)}${c.expires_on ? `, expires ${c.expires_on}` : ''}`,
      `opened:   ${c.opened_at.toISOString()} (${ageWords(c.opened_at, new Date())} ago)`,
      ...(c.acknowledged_by ? [`acknowledged: ${c.acknowledged_at?.toISOString() ?? ''} by ${printable(c.acknowledged_by)}`] : []),
      ...(c.resolved_by ? [`resolved: ${c.resolved_at?.toISOString() ?? ''} by ${printable(c.resolved_by)}`] : []),
      '',
      'timeline:',
      ...found.timeline.map((t) => `  ${t.at.toISOString()}  ${printable(t.actor).padEnd(12)} ${timelineWords(t)}`),
    ];
    out(lines.join('\n'));
    return EXIT_OK;
  }, { requireMigrated: true });
}

function reportChanges(changes: readonly CaseChange[], verb: 'acknowledged' | 'resolved', out: (text: string) => void): void {
  for (const { case: c, changed } of changes) {
    if (changed) out(`${caseLabel(c.id)} ${verb} by ${printable(verb === 'acknowledged' ? (c.acknowledged_by ?? '') : (c.resolved_by ?? ''))}`);
    else if (c.state === 'resolved') out(`${caseLabel(c.id)} is resolved already (${c.resolution ?? ''}${c.resolved_by ? ` by ${printable(c.resolved_by)}` : ''}): left unchanged`);
    else out(`${caseLabel(c.id)} is acknowledged already (by ${printable(c.acknowledged_by ?? '')}): left unchanged`);
  }
}

export async function casesAck(idTexts: string[], options: { by?: string; note?: string }): Promise<number> {
  const ids = caseIds(idTexts);
  if (ids === null || !validAct(options.by, options.note, false)) return EXIT_USAGE;
  const note = options.note === undefined ? null : normaliseNote(options.note);
  return runCommand(COMMAND_SECTIONS['cases ack'], async ({ app, out }) => {
    const changes = await app.cases.acknowledge(ids, { by: (options.by as string).trim(), note, via: 'cli' }).catch(unknownCases);
    reportChanges(changes, 'acknowledged', out);
    return EXIT_OK;
  }, { requireMigrated: true });
}

export async function casesResolve(idTexts: string[], options: { by?: string; note?: string }): Promise<number> {
  const ids = caseIds(idTexts);
  if (ids === null || !validAct(options.by, options.note, true)) return EXIT_USAGE;
  return runCommand(COMMAND_SECTIONS['cases resolve'], async ({ app, out }) => {
    const changes = await app.cases.resolve(ids, { by: (options.by as string).trim(), note: normaliseNote(options.note as string) }).catch(unknownCases);
    reportChanges(changes, 'resolved', out);
    return EXIT_OK;
  }, { requireMigrated: true });
}

export async function casesNote(idText: string, options: { by?: string; note?: string }): Promise<number> {
  const ids = caseIds([idText]);
  if (ids === null || !validAct(options.by, options.note, true)) return EXIT_USAGE;
  const id = ids[0] as bigint;
  return runCommand(COMMAND_SECTIONS['cases note'], async ({ app, out }) => {
    await app.cases.note(id, { by: (options.by as string).trim(), note: normaliseNote(options.note as string) }).catch(unknownCases);
    out(`note added to ${caseLabel(id)}`);
    return EXIT_OK;
  }, { requireMigrated: true });
}
