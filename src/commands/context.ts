import { customerIdProblem, displayId } from '../domain/customer-id.js';
import type { ConfigFor, Section } from '../config.js';
import type { App } from '../app.js';
import type { LogOutput, Logger } from '../logger.js';
import { outputClosed, writeErr, writeOut } from './output.js';

export { writeErr, writeOut, writeRaw } from './output.js';

// What every command shares: configuration for just the sections it needs, a logger, the
// composition root, and the mapping of failures to exit codes (SPEC §3).

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure to report in one line, with the exit code it means. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(message: string, readonly exitCode: number = EXIT_FAILURE) {
    super(message);
  }
}

export interface CommandContext<S extends Section> {
  config: ConfigFor<S>;
  app: App;
  log: Logger;
  /** Where the log's lines go (stderr), for a command that draws on the terminal. */
  logOutput: LogOutput;
  /** Writes to stdout (the --json document, human output). */
  out: (text: string) => void;
  signal: AbortSignal;
}

export interface RunOptions {
  /** Refuse to run on a database with unapplied migrations (every command but migrate and worker). */
  requireMigrated?: boolean;
  /** Takes scans from the BullMQ queues (the worker); other commands do without BullMQ. */
  queues?: boolean;
}

/** Loads configuration, runs `fn`, closes everything, and returns the exit code. */
export async function runCommand<S extends Section>(
  sections: readonly S[],
  fn: (ctx: CommandContext<S>) => Promise<number>,
  options: RunOptions = {},
): Promise<number> {
  // Loaded here, not at the top: a command refused before it runs (a bad id) ends without them.
  const [{ ConfigError, parseConfig, processEnv }, { App }, { createLogger, LogOutput }, { Secrets }, { pendingMigrations }] = await Promise.all([
    import('../config.js'),
    import('../app.js'),
    import('../logger.js'),
    import('../secrets.js'),
    import('../store/migrations.js'),
  ]);
  let config: ConfigFor<S>;
  try {
    config = parseConfig(processEnv(), sections);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) writeErr(`configuration: ${problem}`);
      return EXIT_USAGE;
    }
    throw error;
  }
  const secrets = new Secrets(config.secrets);
  const logOutput = new LogOutput();
  const log = createLogger(config.logLevel, secrets, logOutput);
  const scrub = (text: string) => secrets.scrub(text);
  const app = new App(config, log, { secrets });
  const controller = new AbortController();
  const onSignal = () => controller.abort(new CommandError('interrupted', EXIT_FAILURE));
  // The reader of stdout going away (`| head`) stops the command too.
  const signal = AbortSignal.any([controller.signal, outputClosed]);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (options.requireMigrated && 'database' in config) {
      const pending = await pendingMigrations((config as ConfigFor<'database'>).database.url).catch((error: unknown) => {
        // What a newcomer meets first: `migrate` creates the database.
        if ((error as { code?: string }).code === UNDEFINED_DATABASE) throw new CommandError(`${errorMessage(error).split('\n')[0] ?? 'the database does not exist'}: run \`kyc-monitor migrate\` first (it creates the database)`);
        throw new CommandError(`database unreachable: ${describeDbError(error)}`);
      });
      if (pending.length) throw new CommandError(`the database lacks ${pending.length} migration(s): run \`kyc-monitor migrate\` first`);
    }
    await app.load({ queues: options.queues });
    return await fn({ config, app, log, logOutput, out: writeOut, signal });
  } catch (error) {
    // Cut short because no one reads the output any more: not a failure.
    if (outputClosed.aborted) return EXIT_OK;
    const code = error instanceof CommandError ? error.exitCode : EXIT_FAILURE;
    const message = error instanceof CommandError ? error.message : describeFailure(error);
    writeErr(scrub(message));
    log.debug({ err: error }, 'command failed');
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await app.close();
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Postgres's SQLSTATE for "database does not exist". */
const UNDEFINED_DATABASE = '3D000';

function describeDbError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = errorMessage(error).split('\n')[0] ?? '';
  return code ? `${code}: ${message}` : message;
}

/** One line for an unexpected failure: Prisma and driver errors can be many lines long. */
export function describeFailure(error: unknown): string {
  const name = (error as Error)?.name ?? 'Error';
  const text = errorMessage(error).trim().split('\n').filter((l) => l.trim() !== '');
  const last = text.at(-1) ?? '';
  if (/Prisma|DriverAdapter|ECONNREFUSED|database/i.test(`${name} ${text.join(' ')}`)) {
    return `database error: ${last.slice(0, 300)}`;
  }
  return `${name === 'Error' ? '' : `${name}: `}${(text[0] ?? '').slice(0, 300)}`;
}

/** Checks ids before anything else happens: a bad id is a usage error (exit 2), with no connection made. */
export function rejectInvalidIds(ids: readonly string[]): number | null {
  const problems = ids.flatMap((id) => {
    const problem = customerIdProblem(id);
    return problem === null ? [] : [`customer id ${displayId(id)} ${problem}`];
  });
  for (const problem of problems) writeErr(problem);
  return problems.length ? EXIT_USAGE : null;
}
