import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { exportEvidence } from '../cases/export.js';
import { customerIdProblem, displayId } from '../domain/customer-id.js';
import { evidenceCsvHeader, evidenceCsvRows, evidenceJsonLine, periodBound, type EvidenceFormat } from '../domain/evidence.js';
import { CommandError, EXIT_OK, EXIT_USAGE, runCommand, writeErr } from './context.js';
import { COMMAND_SECTIONS } from './sections.js';

// export (SPEC §10): the evidence of a period as JSON lines (default) or CSV, on stdout or into
// a file. Streamed: a page of records is written, and its writing waited for, before the next
// is read. A file appears whole or not at all (written beside it, then renamed).

export interface ExportOptions {
  from?: string;
  to?: string;
  customer?: string;
  format: EvidenceFormat;
  out?: string;
}

/** Writes `text`, waiting while the stream's buffer is full. */
async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

export async function exportCommand(options: ExportOptions): Promise<number> {
  const problems: string[] = [];
  const from = options.from === undefined ? null : periodBound(options.from, 'from');
  const to = options.to === undefined ? null : periodBound(options.to, 'to');
  if (options.from !== undefined && from === null) problems.push(`--from must be a date (2026-11-01) or an ISO-8601 date-time with its zone (got ${JSON.stringify(options.from)})`);
  if (options.to !== undefined && to === null) problems.push(`--to must be a date (2026-11-30) or an ISO-8601 date-time with its zone (got ${JSON.stringify(options.to)})`);
  if (from && to && from >= to) problems.push('--from must come before --to');
  if (options.customer !== undefined && customerIdProblem(options.customer)) problems.push(`--customer ${displayId(options.customer)} ${customerIdProblem(options.customer) ?? ''}`);
  for (const p of problems) writeErr(p);
  if (problems.length > 0) return EXIT_USAGE;

  return runCommand(COMMAND_SECTIONS.export, async ({ app, signal }) => {
    const partial = options.out === undefined ? null : `${options.out}.partial-${process.pid}`;
    let file: WriteStream | null = null;
    if (partial !== null) {
      file = createWriteStream(partial, { flags: 'wx' });
      await once(file, 'open').catch((error: NodeJS.ErrnoException) => {
        throw new CommandError(`cannot write ${options.out ?? ''}: ${error.code ?? error.message}`, EXIT_USAGE);
      });
    }
    const out: NodeJS.WritableStream = file ?? process.stdout;
    try {
      if (options.format === 'csv') await write(out, evidenceCsvHeader());
      const total = await exportEvidence(
        app.db,
        { from, to, customerId: options.customer ?? null },
        async (records) => {
          await write(out, options.format === 'csv' ? evidenceCsvRows(records) : records.map(evidenceJsonLine).join(''));
        },
        signal,
      );
      if (file && partial && options.out) {
        await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())));
        await rename(partial, options.out);
        writeErr(`exported ${total} record(s) to ${options.out}`);
      }
      return EXIT_OK;
    } catch (error) {
      if (file && partial) {
        file.destroy();
        await rm(partial, { force: true });
      }
      throw error;
    }
  }, { requireMigrated: true });
}
