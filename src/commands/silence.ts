import { byProblem, normaliseNote, noteProblem, parseCaseId, silenceEnd } from '../domain/cases.js';
import { customerIdProblem, displayId } from '../domain/customer-id.js';
import { printable } from '../domain/text.js';
import type { SilenceRow } from '../cases/silences.js';
import { CommandError, EXIT_OK, EXIT_USAGE, runCommand, writeErr } from './context.js';
import { COMMAND_SECTIONS } from './sections.js';

// silence add / list / remove (SPEC §10). Arguments are checked before anything happens: a bad
// one is exit 2 with nothing recorded.

export interface SilenceAddOptions {
  customer?: string;
  purpose?: string;
  documentType?: string;
  documentName?: string;
  until?: string;
  for?: string;
  by?: string;
  reason?: string;
  json?: boolean;
}

/** A document field a silence is limited to: 1–1,000 characters, no control character. */
function fieldProblem(name: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  // eslint-disable-next-line no-control-regex
  if (value === '' || value.length > 1_000 || /[\u0000-\u001f\u007f]/.test(value)) return `${name} must be 1 to 1,000 characters without control characters`;
  return null;
}

export function silenceJson(s: SilenceRow, now: Date): Record<string, unknown> {
  return {
    id: Number(s.id),
    customerId: s.customer_id,
    purpose: s.purpose,
    documentType: s.document_type,
    documentName: s.document_name,
    startsAt: s.starts_at.toISOString(),
    endsAt: s.ends_at.toISOString(),
    createdBy: s.created_by,
    reason: s.reason,
    removedAt: s.removed_at?.toISOString() ?? null,
    removedBy: s.removed_by,
    active: s.removed_at === null && s.starts_at <= now && s.ends_at > now,
  };
}

export async function silenceAdd(options: SilenceAddOptions): Promise<number> {
  const now = new Date();
  const problems: string[] = [];
  if (options.customer === undefined) problems.push('--customer is required: the customer whose documents to silence');
  else {
    const problem = customerIdProblem(options.customer);
    if (problem) problems.push(`--customer ${displayId(options.customer)} ${problem}`);
  }
  for (const [name, value] of [['--purpose', options.purpose], ['--document-type', options.documentType], ['--document-name', options.documentName]] as const) {
    const problem = fieldProblem(name, value);
    if (problem) problems.push(problem);
  }
  const end = silenceEnd({ until: options.until, for: options.for }, now);
  if (!end.ok) problems.push(end.error);
  if (options.by === undefined) problems.push('--by is required: who silences (1 to 200 characters)');
  else if (byProblem(options.by)) problems.push(`--by ${byProblem(options.by) ?? ''}`);
  if (options.reason === undefined) problems.push('--reason is required: why these alerts are held');
  else if (noteProblem(options.reason)) problems.push(`--reason ${noteProblem(options.reason) ?? ''}`);
  for (const p of problems) writeErr(p);
  if (problems.length > 0 || !end.ok) return EXIT_USAGE;
  return runCommand(COMMAND_SECTIONS['silence add'], async ({ app, out }) => {
    const id = await app.silences.add({
      customerId: options.customer as string,
      purpose: options.purpose ?? null,
      documentType: options.documentType ?? null,
      documentName: options.documentName ?? null,
      startsAt: now,
      endsAt: end.value,
      by: (options.by as string).trim(),
      reason: normaliseNote(options.reason as string),
    });
    if (id === null) throw new CommandError(`customer ${displayId(options.customer as string)} was never tracked: nothing silenced`, EXIT_USAGE);
    if (options.json) out(JSON.stringify({ id: Number(id) }));
    else out(`silence ${id} holds the alerts of ${printable(options.customer as string)}${scopeWords(options)} until ${end.value.toISOString()}`);
    return EXIT_OK;
  }, { requireMigrated: true });
}

function scopeWords(s: { purpose?: string | null | undefined; documentType?: string | null | undefined; documentName?: string | null | undefined }): string {
  const parts = [s.purpose, s.documentType, s.documentName === undefined || s.documentName === null ? s.documentName : JSON.stringify(s.documentName)].filter((p): p is string => typeof p === 'string');
  return parts.length ? ` (${printable(parts.join(' '))})` : ' (every document)';
}

export function silenceList(options: { all?: boolean; json?: boolean }): Promise<number> {
  return runCommand(COMMAND_SECTIONS['silence list'], async ({ app, out }) => {
    const now = new Date();
    const rows = await app.silences.list({ all: options.all ?? false, now });
    if (options.json) {
      out(JSON.stringify(rows.map((s) => silenceJson(s, now))));
      return EXIT_OK;
    }
    if (rows.length === 0) {
      out(options.all ? 'no silences' : 'no active silences');
      return EXIT_OK;
    }
    for (const s of rows) {
      const state = s.removed_at ? `removed ${s.removed_at.toISOString()} by ${printable(s.removed_by ?? '')}` : s.ends_at <= now ? 'ended' : `until ${s.ends_at.toISOString()}`;
      out(`${s.id.padEnd(6)} ${printable(s.customer_id)}${scopeWords({ purpose: s.purpose, documentType: s.document_type, documentName: s.document_name })}  ${state}  by ${printable(s.created_by)}: ${printable(s.reason).replace(/\n/g, ' ')}`);
    }
    return EXIT_OK;
  }, { requireMigrated: true });
}

export async function silenceRemove(idText: string, options: { by?: string }): Promise<number> {
  const id = parseCaseId(idText);
  const problems: string[] = [];
  if (id === null) problems.push(`silence id ${JSON.stringify(idText)} is not a silence id (a positive whole number)`);
  if (options.by === undefined) problems.push('--by is required: who removes the silence');
  else if (byProblem(options.by)) problems.push(`--by ${byProblem(options.by) ?? ''}`);
  for (const p of problems) writeErr(p);
  if (problems.length > 0 || id === null) return EXIT_USAGE;
  return runCommand(COMMAND_SECTIONS['silence remove'], async ({ app, out }) => {
    const outcome = await app.silences.remove(id, (options.by as string).trim());
    if (outcome === 'unknown') throw new CommandError(`no silence ${id}`, EXIT_USAGE);
    out(outcome === 'removed' ? `silence ${id} removed: held alerts of unresolved cases go out with the next email` : `silence ${id} had ended already: left as it is`);
    return EXIT_OK;
  }, { requireMigrated: true });
}
