import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse/sync';
import { customerIdProblem, displayId, isValidCustomerId } from '../domain/customer-id.js';

// The input of `track import`: customer ids one per line, or CSV with an id column. A file of
// any size is validated in one pass, in flat memory, while the valid ids are spooled to a file.
//
// Lines are found with Buffer.indexOf, and a line longer than MAX_LINE_CHARS is refused and
// skipped without being kept. CSV is csv-parse's: every record with a quote in it goes through
// csv-parse (several records at a time, a quoted field may span lines). A line without a quote
// goes around it, because there CSV has nothing to parse: an unquoted field is any text without
// a comma, a quote or a line break, so the fields of such a line are its text between commas.
// csv-parse reads 15–25 MB a second of CPU here, finding lines with indexOf several hundred: the
// 1 GB input of the hostile-input fault test took 17 s of CPU through csv-parse, 1.5 s so.
//
// csv-parse stops at a record it refuses (bad quoting). That record is reported at the line
// where csv-parse found the fault, the rest of that line skipped, and the record's later lines
// read again as new records (as though a new parser took over from the next line).

export const MAX_LINE_CHARS = 64 * 1024;
export const MAX_PROBLEMS_SHOWN = 50;
/** Header names of the id column, compared lower-cased, in order of preference. */
export const ID_COLUMN_NAMES = ['customerid', 'customer_id', 'customer', 'id'] as const;
const ACCEPTED_NAMES = 'customerId, customer_id, customer or id (any case)';
/** Quoted records are handed to csv-parse together, about this many characters at a time. */
const BATCH_CHARS = 64 * 1024;
/** A line of more bytes than this is longer than MAX_LINE_CHARS whatever it holds (UTF-8: at most 3 bytes a UTF-16 unit). */
const MAX_LINE_BYTES = 3 * MAX_LINE_CHARS;
const LF = 0x0a;
const CR = 0x0d;

export interface ImportProblem {
  line: number;
  message: string;
}

export interface ImportRead {
  /** Valid ids, spooled one per line. */
  valid: number;
  /** Lines refused. */
  invalid: number;
  /** The first MAX_PROBLEMS_SHOWN of them, by line number. */
  problems: ImportProblem[];
}

/** The input cannot be imported at all (a CSV without a recognisable id column). */
export class ImportRefused extends Error {
  override name = 'ImportRefused';
}

/** Reads ids from `input`, spooling the valid ones to `spoolPath`. */
export async function readIds(input: Readable, spoolPath: string): Promise<ImportRead> {
  const spool = createWriteStream(spoolPath);
  const reader = new IdReader();
  try {
    for await (const data of input as AsyncIterable<Buffer | string>) {
      reader.write(typeof data === 'string' ? Buffer.from(data) : data);
      const ids = reader.takeValid();
      if (ids !== '' && !spool.write(ids)) await once(spool, 'drain');
    }
    reader.end();
    spool.write(reader.takeValid());
  } finally {
    spool.end();
    await once(spool, 'close');
  }
  return reader.result;
}

/** Consecutive lines that make one CSV record with a quote in it (a quoted field may span lines). */
interface QuotedRecord {
  /** Number of its first line. */
  line: number;
  lines: string[];
  chars: number;
  quotes: number;
}

/** Splits the input into lines and lines into records; validates the ids, collecting the valid ones. */
export class IdReader {
  readonly result: ImportRead = { valid: 0, invalid: 0, problems: [] };
  /** Valid ids not yet taken, one per line. */
  private valid = '';
  /** Index of the id column; null for ids one per line; undefined before the first row. */
  private column: number | null | undefined;

  /** Line break: \n (also ending \r\n), or \r alone when the input's first break is one (classic Mac); null until seen. */
  private newline: typeof LF | typeof CR | null = null;
  /** Number of the line being read. */
  private line = 1;
  /** Bytes of the line being read that came in earlier chunks. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** The line being read was refused as too long: its bytes are dropped up to its end. */
  private skipping = false;
  /** The last chunk ended with \r (while the line break is not known yet). */
  private crLast = false;

  /** A quoted record whose quotes do not pair up yet: a quoted field goes on to the next line. */
  private open: QuotedRecord | undefined;
  /** Complete quoted records waiting for csv-parse. */
  private batch: QuotedRecord[] = [];
  private batchChars = 0;

  write(data: Buffer): void {
    if (data.length === 0) return;
    let chunk = data;
    let start = 0;
    if (this.newline === null) {
      const crLast = this.crLast;
      this.crLast = chunk[chunk.length - 1] === CR;
      const newline = crLast ? (chunk[0] === LF ? LF : CR) : lineBreakOf(chunk);
      if (newline === null) return this.skipping ? undefined : this.keep(chunk, 0);
      this.newline = newline;
      if (this.partialBytes > 0) {
        // The first line break may be the \r that ended the kept bytes: they are read again with this chunk.
        chunk = Buffer.concat([...this.partial, chunk]);
        this.partial = [];
        this.partialBytes = 0;
      } else if (this.skipping && crLast && newline === CR) {
        // The line being skipped ended with the previous chunk.
        this.skipping = false;
        this.line++;
      }
    }
    if (this.skipping) {
      const end = chunk.indexOf(this.newline);
      if (end === -1) return;
      this.skipping = false;
      this.line++;
      start = end + 1;
    }
    const last = chunk.lastIndexOf(this.newline);
    if (last >= start) {
      const complete = chunk.subarray(start, last);
      const text = (this.partialBytes > 0 ? Buffer.concat([...this.partial, complete]) : complete).toString('utf8');
      this.partial = [];
      this.partialBytes = 0;
      for (const line of text.split(this.newline === LF ? '\n' : '\r')) this.take(line, this.line++);
      start = last + 1;
    }
    this.keep(chunk, start);
  }

  end(): void {
    if (this.partialBytes > 0) this.take(Buffer.concat(this.partial).toString('utf8'), this.line);
    this.partial = [];
    this.partialBytes = 0;
    this.finishOpen();
    this.flush();
  }

  /** The valid ids found since the last call, one per line. */
  takeValid(): string {
    const valid = this.valid;
    this.valid = '';
    return valid;
  }

  /** Keeps the start of a line that goes on in the next chunk, unless it is already too long. */
  private keep(chunk: Buffer, from: number): void {
    if (from >= chunk.length) return;
    if (this.partialBytes + chunk.length - from > MAX_LINE_BYTES) {
      this.partial = [];
      this.partialBytes = 0;
      this.skipping = true;
      return this.refuseLine(this.line);
    }
    this.partial.push(Buffer.from(chunk.subarray(from)));
    this.partialBytes += chunk.length - from;
  }

  /** One line of the input, without its line break. */
  private take(raw: string, line: number): void {
    let text = this.newline !== CR && raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length > MAX_LINE_CHARS) return this.refuseLine(line);
    this.record(text, line);
  }

  private refuseLine(line: number): void {
    // The line belongs to a quoted record still open: that record cannot end within the limit.
    this.finishOpen();
    this.problem(line, `line longer than ${MAX_LINE_CHARS} characters`);
  }

  /** A line (not too long) into records: a line without a quote is a row by itself; a line with one starts or continues a quoted record. */
  private record(text: string, line: number): void {
    const open = this.open;
    if (open !== undefined) {
      open.lines.push(text);
      open.chars += text.length + 1;
      open.quotes += quotesIn(text);
      if (open.quotes % 2 === 0) {
        this.open = undefined;
        this.complete(open);
      } else if (open.chars > MAX_LINE_CHARS) {
        this.finishOpen();
      }
      return;
    }
    const quotes = quotesIn(text);
    if (quotes === 0) return text.indexOf(',') === -1 ? this.cell(line, text) : this.row(line, text.split(','));
    const record: QuotedRecord = { line, lines: [text], chars: text.length, quotes };
    if (quotes % 2 === 1) this.open = record;
    else this.complete(record);
  }

  private complete(record: QuotedRecord): void {
    // Until the first row has said whether there is a header, rows are taken in order.
    if (this.column === undefined) return this.parseRecords([record]);
    this.batch.push(record);
    this.batchChars += record.chars;
    if (this.batchChars >= BATCH_CHARS) this.flush();
  }

  private flush(): void {
    // Lines read again after a fault may batch records anew.
    while (this.batch.length > 0) {
      const batch = this.batch;
      this.batch = [];
      this.batchChars = 0;
      this.parseRecords(batch);
    }
  }

  /** A quoted field still open at the end of the input, or longer than a line may be: csv-parse refuses the record. */
  private finishOpen(): void {
    const open = this.open;
    if (open === undefined) return;
    this.open = undefined;
    this.parseRecords([open]);
  }

  /**
   * Parses records with csv-parse, in one call up to a fault. A faulty record is reported at the
   * line where csv-parse found the fault (an unclosed quote: at the record's first line), the
   * record's later lines are read again, and the records after it parsed on.
   *
   * The lines read again cannot make this quadratic: a record's inner lines have paired quotes
   * (an odd count would have ended it), so read again they are records of one line each.
   */
  private parseRecords(records: QuotedRecord[]): void {
    const newline = this.newline === CR ? '\r' : '\n';
    const texts = records.map((r) => `${r.lines.join(newline)}${newline}`);
    const text = Buffer.from(texts.join(''));
    let from = 0;
    let offset = 0;
    while (from < records.length) {
      const rows: string[][] = [];
      let fault: CsvError | undefined;
      try {
        parse(text.subarray(offset), {
          relax_column_count: true,
          record_delimiter: newline,
          on_record: (cells: string[]) => {
            rows.push(cells);
            return null;
          },
        });
      } catch (error) {
        if (!(error instanceof CsvError)) throw error;
        fault = error;
      }
      for (const [i, cells] of rows.entries()) this.row(records[from + i]?.line ?? 0, cells);
      const faulty = from + rows.length;
      const record = records[faulty];
      if (fault === undefined || record === undefined) return;
      // csv-parse counts lines from where it started: the faulty record's first line is 1 + the lines before it.
      const before = records.slice(from, faulty).reduce((n, r) => n + r.lines.length, 0);
      const at = fault.code === 'CSV_QUOTE_NOT_CLOSED' ? 0 : Math.min(Math.max(Number(fault.lines) - before - 1, 0), record.lines.length - 1);
      this.problem(record.line + at, describe(fault));
      // Read again as though from the start of a file, they end where the record ended.
      for (let j = at + 1; j < record.lines.length; j++) this.record(record.lines[j] ?? '', record.line + j);
      this.finishOpen();
      for (let k = from; k <= faulty; k++) offset += Buffer.byteLength(texts[k] ?? '');
      from = faulty + 1;
    }
  }

  /** A row of one cell (the commonest: ids one per line), without the arrays of `row`. */
  private cell(line: number, text: string): void {
    const id = text.trim();
    if (id === '') return;
    if (this.column !== null && this.column !== 0) return this.row(line, [text]);
    this.id(line, id);
  }

  /** A row of cells: the header, an id, or a bad line. */
  private row(line: number, raw: string[]): void {
    const cells = raw.map((c) => c.trim());
    if (cells.every((c) => c === '')) return;
    if (this.column === undefined) {
      this.column = idColumn(cells);
      if (this.column !== null) return; // the header
    }
    // One id a line: a comma is part of the (invalid) id, not a separator.
    this.id(line, this.column === null ? cells.join(',') : (cells[this.column] ?? ''));
  }

  private id(line: number, id: string): void {
    if (isValidCustomerId(id)) {
      this.result.valid++;
      this.valid += `${id}\n`;
      return;
    }
    this.problem(line, `customer id ${displayId(id)} ${customerIdProblem(id) ?? 'is invalid'}`);
  }

  /** Counts a bad line; keeps the first MAX_PROBLEMS_SHOWN by line (batched records come out of order). */
  private problem(line: number, message: string): void {
    const problems = this.result.problems;
    this.result.invalid++;
    if (problems.length === MAX_PROBLEMS_SHOWN && line >= (problems.at(-1)?.line ?? 0)) return;
    let at = problems.length;
    while (at > 0 && (problems[at - 1]?.line ?? 0) > line) at--;
    problems.splice(at, 0, { line, message });
    if (problems.length > MAX_PROBLEMS_SHOWN) problems.pop();
  }
}

/** The line break the input uses: the first one in `chunk`, or null when it cannot tell yet. */
function lineBreakOf(chunk: Buffer): typeof LF | typeof CR | null {
  const lf = chunk.indexOf(LF);
  const cr = chunk.indexOf(CR);
  if (cr === -1 || (lf !== -1 && lf < cr)) return lf === -1 ? null : LF;
  // A \r at the end of the chunk: \r\n or \r alone, the next chunk will tell.
  if (cr + 1 === chunk.length) return null;
  return chunk[cr + 1] === LF ? LF : CR;
}

function quotesIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf('"'); at !== -1; at = text.indexOf('"', at + 1)) count++;
  return count;
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

function describe(error: CsvError): string {
  // csv-parse says what and where ("Invalid Closing Quote: got "q" at line 2 instead of …"), but
  // counts lines from where it started: the line number is the caller's.
  const what = error.message.replace(/ at line \d+/, '');
  return `not valid CSV: ${what.length > 200 ? `${what.slice(0, 200)}…` : what}`;
}
