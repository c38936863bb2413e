import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { IdReader, ImportRefused, MAX_LINE_CHARS, MAX_PROBLEMS_SHOWN, readIds, type ImportRead } from '../../src/import/read-ids.js';

// track import's reader in-process: lines without a quote go around csv-parse, so these check
// that it reads every input as csv-parse reads the whole of it, however the input is chunked.

function read(input: string | Buffer, chunkSize = 1 << 16): ImportRead & { ids: string[] } {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const reader = new IdReader();
  let spooled = '';
  for (let at = 0; at < bytes.length; at += chunkSize) {
    reader.write(bytes.subarray(at, at + chunkSize));
    spooled += reader.takeValid();
  }
  reader.end();
  spooled += reader.takeValid();
  // Order is not promised: quoted records are parsed in batches, after the plain lines around them.
  return { ...reader.result, ids: spooled.split('\n').filter((l) => l !== '').sort() };
}

/** The ids csv-parse finds in the whole input, with the reader's header rule. */
function csvParseIds(input: string): string[] {
  const rows = (parse(input, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][]).map((r) => r.map((c) => c.trim())).filter((r) => r.some((c) => c !== ''));
  const header = (rows[0] ?? []).map((c) => c.toLowerCase());
  const column = ['customerid', 'customer_id', 'customer', 'id'].map((n) => header.indexOf(n)).find((i) => i >= 0);
  return (column === undefined ? rows.map((r) => r.join(',')) : rows.slice(1).map((r) => r[column] ?? '')).sort();
}

const VALID_INPUTS: Record<string, string> = {
  'ids one per line': 'a-1\na-2\n\n  a-3  \na-4',
  'CRLF and a BOM': '\uFEFFid\r\nb-1\r\nb-2\r\n',
  'CR alone (classic Mac)': 'customer\rc-1\rc-2\r',
  'CSV without quotes': 'name,customerId,note\nBob,d-1,x\n,d-2,\nAnn , d-3 ,y\n',
  'CSV with quotes where needed': 'name,customerId,note\n"Doe, Jane",e-1,"said ""hi"""\nBob,e-2,\n"",e-3,"a,b"\n',
  'a quoted field across lines': 'customerId,note\nf-1,"two\nlines"\nf-2,plain\n"f-3","three\n\nlines, with ""quotes"""\nf-4,x\n',
  'a quoted id': '"customerId"\n"g-1"\ng-2\n" g-3 "\n',
  'CRLF in a quoted field': 'customerId,note\r\nh-1,"a\r\nb"\r\nh-2,c\r\n',
};

describe('track import reads CSV as csv-parse does', () => {
  it.each(Object.entries(VALID_INPUTS))('%s, in chunks of every size', (_what, input) => {
    const expected = csvParseIds(input);
    expect(expected.length).toBeGreaterThan(1);
    for (const size of [1, 2, 3, 5, 8, 13, 64, 1 << 16]) {
      const result = read(input, size);
      expect({ size, ids: result.ids, problems: result.problems }).toEqual({ size, ids: expected, problems: [] });
    }
  });

  it.each([
    ['id', 'ID\nh-1\nh-2\n'],
    ['customer_id', 'customer_id\r\nh-1\r\nh-2\r\n'],
    ['customer', 'Customer\nh-1\nh-2'],
    ['customerId with a BOM', '\uFEFFcustomerId\nh-1\nh-2\n'],
    ['CUSTOMERID among other columns', 'name,CUSTOMERID,note\n"Doe, Jane",h-1,"said ""hi"""\nBob,h-2,\n'],
  ])('recognises a header named %s', (_what, input) => {
    expect(read(input)).toMatchObject({ ids: ['h-1', 'h-2'], valid: 2, invalid: 0 });
  });

  it('a first line that is an id is an id', () => {
    expect(read('k-1\nk-2\n').ids).toEqual(['k-1', 'k-2']);
  });

  it('refuses several columns none of which is named like an id', () => {
    expect(() => read('name,client_ref\nBob,h-1\n')).toThrow(ImportRefused);
    expect(() => read('"name","client_ref"\nBob,h-1\n')).toThrow(/columns are "name", "client_ref"/);
  });
});

describe('bad lines, by number', () => {
  it('bad ids, an overlong line, and the valid ids around them', () => {
    const input = ['ok-1', '..', '%2e%2e', 'ok-2', 'a/b', 'x?y#', 'x'.repeat(500), 'bad\u0001id', 'y'.repeat(70_000), 'ok-3'].join('\r\n');
    for (const size of [7, 4096, 1 << 16]) {
      const result = read(input, size);
      expect(result.ids).toEqual(['ok-1', 'ok-2', 'ok-3']);
      expect(result.problems.map((p) => p.line)).toEqual([2, 3, 5, 6, 7, 8, 9]);
      expect(result.problems.at(-1)?.message).toBe(`line longer than ${MAX_LINE_CHARS} characters`);
    }
  });

  it('a line of multi-byte characters is measured in characters, not bytes', () => {
    const result = read(`customerId,note\nm-1,${'é'.repeat(MAX_LINE_CHARS - 10)}\nm-2,${'é'.repeat(MAX_LINE_CHARS + 1)}\n`, 1000);
    expect(result.ids).toEqual(['m-1']);
    expect(result.problems).toEqual([{ line: 3, message: `line longer than ${MAX_LINE_CHARS} characters` }]);
  });

  it('malformed quoting: reported where csv-parse finds it, the rest of the line skipped, the next lines read on', () => {
    const result = read('customerId,note\nq-1,"fine"\nq-2,"bad"quote\nq-3,ok\nq-4,"x"y\nq-5,"z"\n');
    expect(result.ids).toEqual(['q-1', 'q-3', 'q-5']);
    expect(result.problems).toEqual([
      { line: 3, message: expect.stringMatching(/^not valid CSV: Invalid Closing Quote: got "q" instead of/) },
      { line: 5, message: expect.stringMatching(/^not valid CSV: Invalid Closing Quote/) },
    ]);
  });

  it('a quote that is never closed: reported at its line, the lines after it read again', () => {
    for (const size of [3, 1 << 16]) {
      const result = read('customerId,note\nu-1,"never closed\nu-2,x\nu-3,y\n', size);
      expect(result.ids).toEqual(['u-2', 'u-3']);
      expect(result.problems).toEqual([{ line: 2, message: expect.stringMatching(/^not valid CSV: Quote Not Closed/) }]);
    }
  });

  it('a quote opened where no field starts, then lines that do not close it', () => {
    const result = read('customerId,note\nv-1,ab"c\nv-2,x\nv-3,"y"\nv-4,"z\n');
    expect(result.ids).toEqual(['v-2', 'v-3']);
    expect(result.problems.map((p) => p.line)).toEqual([2, 5]);
  });

  it('a quoted field that goes on past the line limit is refused; reading goes on after it', () => {
    const lines = Array.from({ length: 2_000 }, (_, i) => `in-${i},${'n'.repeat(40)}`);
    const result = read(`customerId,note\nw-1,"${lines.join('\n')}\nw-2,x\n`, 4096);
    // Its first line is reported; the lines it swallowed are read again as rows of their own.
    expect(result.problems[0]).toEqual({ line: 2, message: expect.stringMatching(/Quote Not Closed/) });
    expect(result.ids).toContain('w-2');
    expect(result.ids).toContain('in-1999');
  });

  it('an overlong line inside an open quoted field', () => {
    const result = read(`customerId,note\nx-1,"open\n${'o'.repeat(MAX_LINE_CHARS + 5)}\nx-2,ok\n`, 1000);
    expect(result.ids).toEqual(['x-2']);
    expect(result.problems.map((p) => [p.line, p.message.slice(0, 30)])).toEqual([
      [2, 'not valid CSV: Quote Not Close'],
      [3, `line longer than ${MAX_LINE_CHARS} charact`],
    ]);
  });

  it(`lists the first ${MAX_PROBLEMS_SHOWN} bad lines by number, also when quoted rows are parsed later`, () => {
    const rows = Array.from({ length: 200 }, (_, i) => (i % 2 ? `"bad id ${i}",x` : `bad/${i},y`));
    const result = read(`customerId,note\n${rows.join('\n')}\n`);
    expect(result.invalid).toBe(200);
    expect(result.problems.map((p) => p.line)).toEqual(Array.from({ length: MAX_PROBLEMS_SHOWN }, (_, i) => i + 2));
  });

  it('an endless line is skipped, not kept: what follows it is read', () => {
    const reader = new IdReader();
    const mb = Buffer.alloc(1 << 20, 'z');
    for (let i = 0; i < 64; i++) reader.write(mb);
    reader.write(Buffer.from('\nz-1\nz-2\n'));
    reader.end();
    expect(reader.takeValid()).toBe('z-1\nz-2\n');
    expect(reader.result.problems).toEqual([{ line: 1, message: `line longer than ${MAX_LINE_CHARS} characters` }]);
  });
});

describe('readIds', () => {
  it('spools the valid ids of a stream to a file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kyc-read-ids-'));
    try {
      const spool = path.join(dir, 'ids');
      const result = await readIds(Readable.from([Buffer.from('customerId,note\nr-1,"a,'), Buffer.from('b"\nr-2\n..\n')]), spool);
      expect(result).toEqual({ valid: 2, invalid: 1, problems: [{ line: 4, message: 'customer id ".." must start with a letter or digit' }] });
      expect(readFileSync(spool, 'utf8').split('\n').sort()).toEqual(['', 'r-1', 'r-2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
