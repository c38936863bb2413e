import type { Secrets } from './secrets.js';
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { printable } from './domain/text.js';

export type Logger = PinoLogger;

const REDACT_PATHS = [
  'authorization',
  'token',
  'accessToken',
  'clientSecret',
  'password',
  '*.authorization',
  '*.token',
  '*.accessToken',
  '*.clientSecret',
  '*.password',
  'headers.authorization',
  'headers.token',
  '*.headers.authorization',
  '*.headers.token',
];

/**
 * JSON logs on stderr (stdout is kept for --json output). Besides redacting known field names,
 * every configured secret value is scrubbed from each line before it is written, wherever it
 * hides (an error message, a URL, a nested cause).
 */
export function createLogger(level: string, secrets: Secrets, destination: DestinationStream = new LogOutput()): Logger {
  return pino(
    {
      level,
      base: { service: 'kyc-monitor' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line) => secrets.scrub(line) },
    },
    destination,
  );
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Where log lines go: stderr, or for a while to whoever draws on the terminal (the `scan`
 * command's progress bar, which shows them above itself). Lines arrive scrubbed of secrets.
 */
export class LogOutput implements DestinationStream {
  private stderr: DestinationStream | undefined;
  private diverted: ((line: string) => void) | undefined;

  write(line: string): void {
    if (this.diverted) return this.diverted(line);
    this.stderr ??= pino.destination({ fd: 2, sync: true });
    this.stderr.write(line);
  }

  /** Sends every line to `to` until the returned function is called. */
  divert(to: (line: string) => void): () => void {
    this.diverted = to;
    return () => {
      if (this.diverted === to) this.diverted = undefined;
    };
  }
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };
/** Fields every line has: the line's words do without them. */
const ROUTINE_FIELDS = new Set(['level', 'time', 'service', 'msg', 'pid', 'hostname']);
const MAX_VALUE_LENGTH = 200;

export interface ReadableLine {
  level: number;
  /** `warning`, `error` … */
  label: string;
  msg: string;
  /** `warning: customer check failed (customerId=cust-1, reason=timeout, err=…)`, terminal-safe. */
  text: string;
}

function readableValue(value: unknown): string {
  // An error as logged (pino's serializer): its message says what happened.
  if (value !== null && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') return readableValue((value as { message: string }).message);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const bounded = text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
  return bounded.replace(/\s+/g, ' ');
}

/** A JSON log line as one line a person reads; null for a line that is not one of ours. */
export function readableLogLine(line: string): ReadableLine | null {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (entry === null || typeof entry !== 'object' || typeof entry.level !== 'number') return null;
  const level = entry.level;
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !ROUTINE_FIELDS.has(key))
    .map(([key, value]) => `${key}=${readableValue(value)}`);
  const label = LEVEL_NAMES[level] ?? `level ${level}`;
  const text = `${label}: ${msg}${fields.length ? ` (${fields.join(', ')})` : ''}`;
  return { level, label, msg, text: printable(text) };
}

/** pino's number for a level name (`warn` → 40). */
export function levelNumber(level: string): number {
  return pino.levels.values[level] ?? Number.POSITIVE_INFINITY;
}
