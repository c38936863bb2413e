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
export function createLogger(level: string, secrets: readonly string[], destination: DestinationStream = pino.destination({ fd: 2, sync: true })): Logger {
  const scrub = secretScrubber(secrets);
  return pino(
    {
      level,
      base: { service: 'kyc-monitor' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: scrub ? { streamWrite: scrub } : {},
    },
    destination,
  );
}

export function secretScrubber(secrets: readonly string[]): ((line: string) => string) | undefined {
  const values = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return undefined;
  // Secrets may appear raw, URL-encoded or JSON-escaped inside a log line.
  const variants = new Set<string>();
  for (const v of values) {
    variants.add(v);
    variants.add(encodeURIComponent(v));
    variants.add(JSON.stringify(v).slice(1, -1));
  }
  const pattern = new RegExp([...variants].map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (line: string) => line.replace(pattern, '[REDACTED]');
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
