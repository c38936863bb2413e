import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { displayId } from '../domain/customer-id.js';
import { CommandError, EXIT_OK, EXIT_USAGE, rejectInvalidIds, runCommand, writeErr, writeRaw } from './context.js';
import { COMMAND_SECTIONS } from './sections.js';

// track add / remove / list / import.

/** Ids named one by one in a message; more are counted. */
const MAX_LISTED = 20;

export async function trackAdd(ids: string[]): Promise<number> {
  const invalid = rejectInvalidIds(ids);
  if (invalid !== null) return invalid;
  return runCommand(COMMAND_SECTIONS['track add'], async ({ app, out }) => {
    const added = await app.customers.add(ids);
    out(`tracking ${added} new customer(s); ${new Set(ids).size - added} already tracked`);
    return EXIT_OK;
  }, { requireMigrated: true });
}

export async function trackRemove(ids: string[]): Promise<number> {
  const invalid = rejectInvalidIds(ids);
  if (invalid !== null) return invalid;
  return runCommand(COMMAND_SECTIONS['track remove'], async ({ app, out }) => {
    const removed = new Set(await app.customers.remove(ids));
    const notTracked = [...new Set(ids)].filter((id) => !removed.has(id));
    const lines = [`stopped tracking ${removed.size} customer(s)${removed.size ? '; their history is kept' : ''}`];
    for (const id of notTracked.slice(0, MAX_LISTED)) lines.push(`${displayId(id)} was not tracked`);
    if (notTracked.length > MAX_LISTED) lines.push(`… and ${notTracked.length - MAX_LISTED} more were not tracked`);
    out(lines.join('\n'));
    return EXIT_OK;
  }, { requireMigrated: true });
}

export function trackList(options: { json?: boolean; failing?: boolean; all?: boolean }): Promise<number> {
  return runCommand(COMMAND_SECTIONS['track list'], async ({ app, out, signal }) => {
    const write = writeRaw;
    let after: string | null = null;
    let first = true;
    if (options.json) write('[');
    else out(`${'CUSTOMER'.padEnd(30)} ${'LAST CHECK'.padEnd(24)} ${'OUTCOME'.padEnd(8)} ERROR`);
    for (;;) {
      // Stops paging once no one reads the list (`| head`).
      signal.throwIfAborted();
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

export async function trackImport(source: string, options: { skipInvalid?: boolean }): Promise<number> {
  // The reader (and csv-parse) only for import: add, remove and list start without them.
  const { ImportRefused, readIds } = await import('../import/read-ids.js');
  return runCommand(COMMAND_SECTIONS['track import'], async ({ app, out }) => {
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
      const { valid, problems, invalid } = await readIds(input, spoolPath).catch((error: unknown) => {
        throw error instanceof ImportRefused ? new CommandError(`${error.message}: nothing imported`, EXIT_USAGE) : error;
      });
      for (const p of problems) writeErr(`line ${p.line}: ${p.message}`);
      if (invalid > problems.length) writeErr(`… and ${invalid - problems.length} more invalid line(s)`);
      if (invalid > 0 && !options.skipInvalid) {
        throw new CommandError(`${invalid} invalid line(s): nothing imported (fix them, or use --skip-invalid to import the ${valid} valid id(s))`, EXIT_USAGE);
      }
      // An empty input is what a failed download in a pipe produces: an error, not "0 imported".
      if (valid === 0) throw new CommandError(`no ${invalid > 0 ? 'valid ' : ''}customer ids in the input: nothing imported`, EXIT_USAGE);
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
