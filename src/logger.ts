import type { Secrets } from './secrets.js';
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

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
export function createLogger(level: string, secrets: Secrets, destination: DestinationStream = pino.destination({ fd: 2, sync: true })): Logger {
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
