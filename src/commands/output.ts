import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printable } from '../domain/text.js';

// The program's own output: stdout (the --json document, human output) and one-line messages on
// stderr. A reader that goes away (`kyc-monitor track list | head -3`) ends the output, not the
// program with a stack: what follows is dropped, and `outputClosed` tells the running command
// to stop (runCommand then exits 0).

/** The reader of stdout went away: the reason `outputClosed` is aborted with. */
export class ReaderGone extends Error {
  override name = 'ReaderGone';
}

const closed = new AbortController();
let stderrClosed = false;

/** Aborted once stdout's reader has gone away. */
export const outputClosed: AbortSignal = closed.signal;

function isPipeGone(error: NodeJS.ErrnoException): boolean {
  // EPIPE first; a write after it finds the stream destroyed.
  return error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
}

/** Turns a failed write to stdout or stderr whose reader went away into the end of that output. Call once, first. */
export function watchOutput(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (!isPipeGone(error)) throw error;
    if (!closed.signal.aborted) closed.abort(new ReaderGone('the reader of the output went away'));
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (!isPipeGone(error)) throw error;
    stderrClosed = true;
  });
}

/** Writes to stdout as it is (a JSON document's pieces); nothing once its reader is gone. */
export function writeRaw(text: string): void {
  if (!closed.signal.aborted) process.stdout.write(text);
}

/**
 * Every command's output goes through here: text from outside (document fields, API errors)
 * must not drive the terminal. `printable` keeps a JSON document exact (its escapes are JSON's).
 */
export function writeOut(text: string): void {
  const safe = printable(text);
  writeRaw(safe.endsWith('\n') ? safe : `${safe}\n`);
}

/** One `kyc-monitor: …` line on stderr, neutralised like writeOut. */
export function writeErr(line: string): void {
  if (!stderrClosed) process.stderr.write(`kyc-monitor: ${printable(line)}\n`);
}

/** How to run this program from where the person is: `./bin/kyc-monitor` from the checkout. */
export function programPath(cwd = process.cwd()): string {
  const bin = fileURLToPath(new URL('../../bin/kyc-monitor', import.meta.url));
  const relative = path.relative(cwd, bin);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return bin;
  return `./${relative}`;
}

/** How many alerts are left pending: `pending 3`, or `pending 3 (2 held by silences: …)`. */
export function pendingWords(pending: number, held: number): string {
  return `pending ${pending}${held > 0 ? ` (${held} held by silences: \`kyc-monitor silence list\`)` : ''}`;
}
