import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { CsvError, parse, type Parser } from 'csv-parse';
import { customerIdProblem, displayId } from '../domain/customer-id.js';

// The input of `track import`: customer ids one per line, or CSV with an id column, read as a
// stream by csv-parse. A file of any size is validated in one pass while the valid ids are
// spooled to a file, in flat memory: csv-parse refuses a record longer than MAX_LINE_CHARS.
//
// csv-parse stops at a record it refuses (too long, bad quoting), and its skip_records_with_error
// drops everything after an overlong record; so here each refused record is reported, the rest
// of its line skipped, and a new parser takes over from the next line, numbering on.

export const MAX_LINE_CHARS = 64 * 1024;
export const MAX_PROBLEMS_SHOWN = 50;
/** Header names of the id column, compared lower-cased, in order of preference. */
export const ID_COLUMN_NAMES = ['customerid', 'customer_id', 'customer', 'id'] as const;
const ACCEPTED_NAMES = 'customerId, customer_id, customer or id (any case)';

export interface ImportProblem {
  line: number;
  message: string;
}

export interface ImportRead {
  /** Valid ids, spooled one per line. */
  valid: number;
  /** Lines refused. */
  invalid: number;
  /** The first MAX_PROBLEMS_SHOWN of them. */
  problems: ImportProblem[];
}

/** The input cannot be imported at all (a CSV without a recognisable id column). */
export class ImportRefused extends Error {
  override name = 'ImportRefused';
}

interface Row {
  line: number;
  cells: string[];
}

/** Reads ids from `input`, spooling the valid ones to `spoolPath`. */
export async function readIds(input: Readable, spoolPath: string): Promise<ImportRead> {
  const spool = createWriteStream(spoolPath);
  const result: ImportRead = { valid: 0, invalid: 0, problems: [] };
  const problem = (line: number, message: string) => {
    result.invalid++;
    if (result.problems.length < MAX_PROBLEMS_SHOWN) result.problems.push({ line, message });
  };
  /** Index of the id column; null for ids one per line; undefined before the first row. */
  let column: number | null | undefined;
  try {
    for await (const row of rows(input)) {
      if ('problem' in row) {
        problem(row.line, row.problem);
        continue;
      }
      const cells = row.cells.map((c) => c.trim());
      if (cells.every((c) => c === '')) continue;
      if (column === undefined) {
        column = idColumn(cells);
        if (column !== null) continue; // the header
      }
      // One id a line: a comma is part of the (invalid) id, not a separator.
      const id = column === null ? cells.join(',') : (cells[column] ?? '');
      const why = customerIdProblem(id);
      if (why !== null) {
        problem(row.line, `customer id ${displayId(id)} ${why}`);
        continue;
      }
      result.valid++;
      if (!spool.write(`${id}\n`)) await once(spool, 'drain');
    }
  } finally {
    spool.end();
    await once(spool, 'close');
  }
  return result;
}

/**
 * The id column of a first row that is a header; null when the first row is an id (one column,
 * not named like an id column). Several columns none of which is named like one: refused.
 */
function idColumn(cells: string[]): number | null {
  const names = cells.map((c) => c.toLowerCase());
  for (const name of ID_COLUMN_NAMES) {
    const index = names.indexOf(name);
    if (index >= 0) return index;
  }
  if (cells.length === 1) return null;
  const found = cells.map((c) => JSON.stringify(c.length > 40 ? `${c.slice(0, 40)}…` : c)).join(', ');
  throw new ImportRefused(`the CSV has no customer id column: its columns are ${found}; name the id column ${ACCEPTED_NAMES}`);
}

type Parsed = Row | { line: number; problem: string };

/** A record csv-parse refused, with the line (of its parser's input) where it did. */
type Refusal = CsvError & { lines: number };

/** The rows of the input with their line numbers, and the lines csv-parse refused. */
async function* rows(input: Readable): AsyncGenerator<Parsed> {
  let parser = new LineParser(true);
  /** Lines before the current parser's first. */
  let offset = 0;
  /** Newlines in what the current parser was given. */
  let newlines = 0;
  /** Newlines still to pass before the next parser starts (the end of a refused line). */
  let skipping = 0;
  for await (const data of input as AsyncIterable<Buffer | string>) {
    let chunk: Buffer | null = typeof data === 'string' ? Buffer.from(data) : data;
    while (chunk !== null) {
      if (skipping > 0) {
        const after = afterNewlines(chunk, skipping);
        skipping = after.left;
        if (after.rest === null) break;
        chunk = after.rest;
      }
      const error = await parser.write(chunk);
      for (const row of parser.take()) yield { ...row, line: offset + row.line };
      if (error === null) {
        newlines += countNewlines(chunk);
        chunk = null;
        continue;
      }
      // The refused record ends with its line: the parser's newline number error.lines, which
      // is in this chunk or after it. The next parser starts after it, with this chunk's rest.
      yield { line: offset + error.lines, problem: describe(error) };
      skipping = error.lines - newlines;
      offset += error.lines;
      newlines = 0;
      parser = new LineParser(false);
    }
  }
  const error = await parser.end();
  for (const row of parser.take()) yield { ...row, line: offset + row.line };
  if (error !== null) yield { line: offset + error.lines, problem: describe(error) };
}

/** One csv-parse stream, fed a chunk at a time; its rows collected as they are parsed. */
class LineParser {
  private readonly parser: Parser;
  private rows: Row[] = [];

  constructor(atStart: boolean) {
    this.parser = parse({
      bom: atStart,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_LINE_CHARS,
      // Rows are taken here, with their line, rather than read from the stream.
      on_record: (record: string[], context) => {
        this.rows.push({ line: context.lines, cells: record });
        return null;
      },
    });
    // A refused record is reported by write() or end(), not as an unhandled 'error'.
    this.parser.on('error', () => undefined);
    this.parser.resume();
  }

  /** Parses a chunk; resolves with the error that stopped the parser, or null. */
  write(chunk: Buffer): Promise<Refusal | null> {
    return new Promise((resolve, reject) => {
      this.parser.write(chunk, (error) => settle(error, resolve, reject));
    });
  }

  end(): Promise<Refusal | null> {
    return new Promise((resolve, reject) => {
      this.parser.end((error?: Error | null) => settle(error, resolve, reject));
    });
  }

  /** The rows parsed since the last take. */
  take(): Row[] {
    const rows = this.rows;
    this.rows = [];
    return rows;
  }
}

function settle(error: Error | null | undefined, resolve: (e: Refusal | null) => void, reject: (e: Error) => void): void {
  if (!error) resolve(null);
  else if (error instanceof CsvError && typeof error.lines === 'number') resolve(error as Refusal);
  else reject(error);
}

function describe(error: Refusal): string {
  if (error.code === 'CSV_MAX_RECORD_SIZE') return `line longer than ${MAX_LINE_CHARS} characters`;
  // csv-parse says what and where ("Quote Not Closed: the parsing is finished with an opening quote at line 2").
  const what = error.message.length > 200 ? `${error.message.slice(0, 200)}…` : error.message;
  return `not valid CSV: ${what}`;
}

function countNewlines(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count++;
  return count;
}

/** What follows the n-th newline of the chunk, or null with how many newlines are still to come. */
function afterNewlines(chunk: Buffer, n: number): { rest: Buffer | null; left: number } {
  let at = -1;
  for (let left = n; left > 0; left--) {
    at = chunk.indexOf(10, at + 1);
    if (at === -1) return { rest: null, left };
  }
  return { rest: chunk.subarray(at + 1), left: 0 };
}
