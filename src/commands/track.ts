import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import { customerIdProblem, displayId } from '../domain/customer-id.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { CommandError, EXIT_OK, EXIT_USAGE, runCommand, writeErr } from './context.js';

// track add / remove / list / import.

/** Checks ids before anything else happens: a bad id is a usage error (exit 2), with no connection made. */
export function rejectInvalidIds(ids: readonly string[]): number | null {
  const problems = ids.flatMap((id) => {
    const problem = customerIdProblem(id);
    return problem === null ? [] : [`customer id ${displayId(id)} ${problem}`];
  });
  for (const problem of problems) writeErr(problem);
  return problems.length ? EXIT_USAGE : null;
}

export async function trackAdd(ids: string[]): Promise<number> {
  const invalid = rejectInvalidIds(ids);
  if (invalid !== null) return invalid;
  return runCommand(['database'], async ({ app, out }) => {
    const added = await app.customers.add(ids);
    out(`tracking ${added} new customer(s); ${new Set(ids).size - added} already tracked`);
    return EXIT_OK;
  }, { requireMigrated: true });
}

export async function trackRemove(ids: string[]): Promise<number> {
  const invalid = rejectInvalidIds(ids);
  if (invalid !== null) return invalid;
  return runCommand(['database'], async ({ app, out }) => {
    const removed = await app.customers.remove(ids);
    out(`stopped tracking ${removed} customer(s); their history is kept`);
    return EXIT_OK;
  }, { requireMigrated: true });
}

export function trackList(options: { json?: boolean; failing?: boolean; all?: boolean }): Promise<number> {
  return runCommand(['database'], async ({ app, out }) => {
    const write = (text: string) => process.stdout.write(text);
    let after: string | null = null;
    let first = true;
    if (options.json) write('[');
    else out(`${'CUSTOMER'.padEnd(30)} ${'LAST CHECK'.padEnd(24)} ${'OUTCOME'.padEnd(8)} ERROR`);
    for (;;) {
      const page = await app.customers.list({ after, limit: 1000, failingOnly: options.failing ?? false, includeInactive: options.all ?? false });
      for (const c of page) {
        if (options.json) {
          write(`${first ? '' : ','}\n  ${JSON.stringify({
            customerId: c.customerId,
            active: c.active,
            addedAt: c.addedAt.toISOString(),
            lastCheckedAt: c.lastCheckedAt?.toISOString() ?? null,
            lastOutcome: c.lastOutcome,
            lastError: c.lastError,
            consecutiveFailures: c.consecutiveFailures,
          })}`);
        } else {
          const checked = c.lastCheckedAt ? c.lastCheckedAt.toISOString() : 'never';
          out(`${c.customerId.padEnd(30)} ${checked.padEnd(24)} ${(c.lastOutcome ?? '-').padEnd(8)} ${c.active ? '' : '(not tracked) '}${c.lastError ?? ''}`);
        }
        first = false;
      }
      if (page.length < 1000) break;
      after = page.at(-1)?.customerId ?? null;
    }
    if (options.json) write(first ? ']\n' : '\n]\n');
    return EXIT_OK;
  }, { requireMigrated: true });
}

interface ImportProblem {
  line: number;
  message: string;
}

const MAX_PROBLEMS_SHOWN = 50;

/**
 * Reads ids one per line, or CSV with a customerId column, streaming: a file of any size is
 * validated in one pass while the valid ids are spooled to a temporary file, then imported
 * from there in chunks. Nothing is imported when any line is invalid, unless skipInvalid.
 */
export async function readImport(input: Readable, spoolPath: string): Promise<{ valid: number; problems: ImportProblem[]; invalid: number }> {
  const spool = createWriteStream(spoolPath);
  let lineNo = 0;
  let column: number | null = null;
  let csv = false;
  let valid = 0;
  let invalid = 0;
  const problems: ImportProblem[] = [];
  const problem = (line: number, message: string) => {
    invalid++;
    if (problems.length < MAX_PROBLEMS_SHOWN) problems.push({ line, message });
  };
  for await (const { text: raw, tooLong } of boundedLines(input)) {
    lineNo++;
    if (tooLong) {
      problem(lineNo, `line longer than ${MAX_LINE_CHARS} characters`);
      continue;
    }
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (lineNo === 1) {
      const header = parseCsvLine(line).map((h) => h.trim());
      const index = header.findIndex((h) => h.toLowerCase() === 'customerid');
      if (index >= 0) {
        csv = true;
        column = index;
        continue;
      }
    }
    if (line.trim() === '') continue;
    let id: string;
    if (csv) {
      const cells = parseCsvLine(line);
      id = (cells[column ?? 0] ?? '').trim();
    } else {
      id = line.trim();
    }
    const why = customerIdProblem(id);
    if (why !== null) {
      problem(lineNo, `customer id ${displayId(id)} ${why}`);
      continue;
    }
    valid++;
    if (!spool.write(`${id}\n`)) await once(spool, 'drain');
  }
  spool.end();
  await once(spool, 'close');
  return { valid, problems, invalid };
}

export const MAX_LINE_CHARS = 64 * 1024;

/**
 * The lines of a stream (LF or CRLF). A line longer than maxChars is flagged and not kept, so
 * that a file without line breaks cannot fill memory.
 */
export async function* boundedLines(input: Readable, maxChars = MAX_LINE_CHARS): AsyncGenerator<{ text: string; tooLong: boolean }> {
  input.setEncoding('utf8');
  let current = '';
  let tooLong = false;
  const line = () => ({ text: current.endsWith('\r') ? current.slice(0, -1) : current, tooLong });
  for await (const chunk of input as AsyncIterable<string>) {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf('\n', start);
      if (!tooLong) {
        current += end === -1 ? chunk.slice(start) : chunk.slice(start, end);
        if (current.length > maxChars + 1) {
          tooLong = true;
          current = '';
        }
      }
      if (end === -1) break;
      yield line();
      current = '';
      tooLong = false;
      start = end + 1;
    }
  }
  if (current !== '' || tooLong) yield line();
}

/** One CSV record on one line (a quoted line break is not supported in import files). */
export function parseCsvLine(line: string): string[] {
  try {
    return (parseCsv(line, { relax_column_count: true }) as string[][])[0] ?? [''];
  } catch {
    return [line];
  }
}

export function trackImport(source: string, options: { skipInvalid?: boolean }): Promise<number> {
  return runCommand(['database'], async ({ app, out }) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kyc-import-'));
    try {
      const input = source === '-' ? process.stdin : createReadStream(source);
      const opened = new Promise<void>((resolve, reject) => {
        if (source === '-') return resolve();
        input.once('open', () => resolve());
        input.once('error', reject);
      });
      await opened.catch((error: NodeJS.ErrnoException) => {
        throw new CommandError(`cannot read ${source}: ${error.code ?? error.message}`, EXIT_USAGE);
      });
      const spoolPath = path.join(dir, 'ids');
      const { valid, problems, invalid } = await readImport(input, spoolPath);
      for (const p of problems) writeErr(`line ${p.line}: ${p.message}`);
      if (invalid > problems.length) writeErr(`… and ${invalid - problems.length} more invalid line(s)`);
      if (invalid > 0 && !options.skipInvalid) {
        throw new CommandError(`${invalid} invalid line(s): nothing imported (fix them, or use --skip-invalid to import the ${valid} valid id(s))`, EXIT_USAGE);
      }
      if (valid === 0) {
        out('no customer ids found: nothing imported');
        return invalid > 0 ? EXIT_USAGE : EXIT_OK;
      }
      let added = 0;
      let chunk: string[] = [];
      for await (const id of createInterface({ input: createReadStream(spoolPath), crlfDelay: Infinity })) {
        chunk.push(id);
        if (chunk.length === 1000) {
          added += await app.customers.add(chunk);
          chunk = [];
        }
      }
      if (chunk.length) added += await app.customers.add(chunk);
      out(`imported ${valid} id(s): ${added} newly tracked${invalid ? `, ${invalid} invalid line(s) skipped` : ''}`);
      return EXIT_OK;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, { requireMigrated: true });
}

