import { readFileSync } from 'node:fs';
import { MAX_TIME_SCALE, parseTimeOrigin, parseTimeScale } from './domain/time-scale.js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { watchOutput } from './commands/output.js';
import type { SandboxCommandOptions } from './commands/sandbox.js';
import type { SilenceAddOptions } from './commands/silence.js';
import type { ExportOptions } from './commands/export.js';
import { CASE_STATE_FILTERS, type CaseStateFilter } from './domain/cases.js';

// argv → one command → exit code. Nothing else. Each command's module is loaded only when it
// runs, so that `--help` or `track add` does not load the queue, HTTP and mail libraries.

const EXIT_USAGE = 2;

/** package.json's version: next to dist/ in a checkout and in the container. */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function int(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A time scale: a number from 0 to 10,000,000 (decimals allowed). */
function scale(value: string): number {
  const n = parseTimeScale(value);
  if (n === null) throw new InvalidArgumentError(`must be a number from 0 to ${MAX_TIME_SCALE} (1 is real time, 1440 a day a minute)`);
  return n;
}

/** An ISO 8601 date-time with its offset, as milliseconds. */
function instant(value: string): number {
  const n = parseTimeOrigin(value);
  if (n === null) throw new InvalidArgumentError('must be an ISO 8601 date-time with its offset, e.g. 2026-11-26T08:00:00Z');
  return n;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('kyc-monitor')
    .description('Watches KYC/KYB documents on the Cyrexa API and emails the compliance team when one becomes expired or declined.')
    .version(version(), '-V, --version', 'the version of kyc-monitor')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  const run = (promise: Promise<number>) => promise.then(setExit);

  program.command('worker').description('apply migrations, register the scan schedule, process scans and alert delivery, serve HTTP').action(() => run(import('./commands/worker.js').then((m) => m.workerCommand())));
  program.command('migrate').description('apply pending migrations (creating the database if needed) and exit').action(() => run(import('./commands/migrate.js').then((m) => m.migrateCommand())));

  const track = program.command('track').description('manage tracked customers').exitOverride();
  track.command('add').description('start tracking customers').argument('<ids...>', 'customer ids').action((ids: string[]) => run(import('./commands/track.js').then((m) => m.trackAdd(ids))));
  track.command('remove').description('stop tracking customers (their history is kept)').argument('<ids...>', 'customer ids').action((ids: string[]) => run(import('./commands/track.js').then((m) => m.trackRemove(ids))));
  track
    .command('list')
    .description('tracked customers with last check time, outcome and error')
    .option('--json', 'one JSON document on stdout')
    .option('--failing', 'only customers whose last check failed')
    .option('--all', 'include customers no longer tracked')
    .action((opts: { json?: boolean; failing?: boolean; all?: boolean }) => run(import('./commands/track.js').then((m) => m.trackList(opts))));
  track
    .command('import')
    .description('import ids, one per line or CSV with a customerId column ("-" reads stdin)')
    .argument('<file>', 'file path or -')
    .option('--skip-invalid', 'import the valid ids even if some lines are invalid')
    .action((file: string, opts: { skipInvalid?: boolean }) => run(import('./commands/track.js').then((m) => m.trackImport(file, opts))));

  program
    .command('scan')
    .description('run one complete scan now in this process, deliver its alerts, print a summary')
    .option('--json', 'one JSON document on stdout')
    .option('--no-progress', 'no progress bar even on a terminal')
    .action((opts: { json?: boolean; progress?: boolean }) => run(import('./commands/scan.js').then((m) => m.scanCommand(opts))));
  program
    .command('status')
    .description('last scans, tracked count, failing customers, pending and failed alerts')
    .option('--json', 'one JSON document on stdout')
    .action((opts: { json?: boolean }) => run(import('./commands/status.js').then((m) => m.statusCommand(opts))));
  program
    .command('history')
    .description("a customer's document events, newest first")
    .argument('<id>', 'customer id')
    .option('--json', 'one JSON document on stdout')
    .addOption(new Option('--limit <n>', 'most events shown').argParser(int(1, 1_000_000)).default(1000))
    .action((id: string, opts: { json?: boolean; limit: number }) => run(import('./commands/history.js').then((m) => m.historyCommand(id, opts))));

  const cases = program.command('cases').description('follow alerts through to resolution: list, show, acknowledge, resolve, note').exitOverride();
  cases
    .command('list')
    .description('cases, oldest first: id, customer, document, status, opened, age, state, who acknowledged')
    .addOption(new Option('--state <state>', 'which cases').choices(CASE_STATE_FILTERS).default('unresolved'))
    .option('--customer <id>', "only this customer's cases")
    .option('--json', 'one JSON document on stdout')
    .action((opts: { state: CaseStateFilter; customer?: string; json?: boolean }) => run(import('./commands/cases.js').then((m) => m.casesList(opts))));
  cases
    .command('show')
    .description('a case and its whole timeline')
    .argument('<id>', 'case id (17 or #17)')
    .option('--json', 'one JSON document on stdout')
    .action((id: string, opts: { json?: boolean }) => run(import('./commands/cases.js').then((m) => m.casesShow(id, opts))));
  cases
    .command('ack')
    .description('acknowledge cases (one already acknowledged or resolved is left as it is)')
    .argument('<ids...>', 'case ids')
    .option('--by <who>', 'who acknowledges (1 to 200 characters)')
    .option('--note <text>', 'a note for the timeline (at most 2,000 characters)')
    .action((ids: string[], opts: { by?: string; note?: string }) => run(import('./commands/cases.js').then((m) => m.casesAck(ids, opts))));
  cases
    .command('resolve')
    .description('resolve cases by hand, saying why (one already resolved is left as it is)')
    .argument('<ids...>', 'case ids')
    .option('--by <who>', 'who resolves (1 to 200 characters)')
    .option('--note <text>', 'why (at most 2,000 characters; required)')
    .action((ids: string[], opts: { by?: string; note?: string }) => run(import('./commands/cases.js').then((m) => m.casesResolve(ids, opts))));
  cases
    .command('note')
    .description("add a note to a case's timeline")
    .argument('<id>', 'case id')
    .option('--by <who>', 'who writes (1 to 200 characters)')
    .option('--note <text>', 'the note (at most 2,000 characters; required)')
    .action((id: string, opts: { by?: string; note?: string }) => run(import('./commands/cases.js').then((m) => m.casesNote(id, opts))));

  const silence = program.command('silence').description("hold a customer's alerts for a while (recorded, not emailed)").exitOverride();
  silence
    .command('add')
    .description("hold the alerts of a customer's documents until a time; they go out then if still unresolved")
    .option('--customer <id>', 'the customer')
    .option('--purpose <purpose>', 'only documents of this purpose')
    .option('--document-type <type>', 'only documents of this type')
    .option('--document-name <name>', 'only documents with this name')
    .option('--until <iso-8601>', 'when the silence ends (2026-12-31 or 2026-12-31T18:00:00Z)')
    .option('--for <duration>', 'how long it lasts (30m, 12h, 7d; at most 365 days)')
    .option('--by <who>', 'who silences (1 to 200 characters)')
    .option('--reason <text>', 'why (at most 2,000 characters)')
    .option('--json', 'print { "id": … }')
    .action((opts: SilenceAddOptions) => run(import('./commands/silence.js').then((m) => m.silenceAdd(opts))));
  silence
    .command('list')
    .description('active silences, newest first')
    .option('--all', 'ended and removed ones too')
    .option('--json', 'one JSON document on stdout')
    .action((opts: { all?: boolean; json?: boolean }) => run(import('./commands/silence.js').then((m) => m.silenceList(opts))));
  silence
    .command('remove')
    .description('end a silence now: held alerts of unresolved cases go out with the next email')
    .argument('<id>', 'silence id')
    .option('--by <who>', 'who removes it')
    .action((id: string, opts: { by?: string }) => run(import('./commands/silence.js').then((m) => m.silenceRemove(id, opts))));

  program
    .command('export')
    .description('the evidence: every document event, alert, email, reminder, escalation, acknowledgement, note, silence and resolution of a period, oldest first')
    .option('--from <date>', 'from this UTC day (2026-11-01) or ISO-8601 date-time on')
    .option('--to <date>', 'up to the end of this UTC day (2026-11-30), or before this ISO-8601 date-time')
    .option('--customer <id>', "only this customer's records")
    .addOption(new Option('--format <format>', 'JSON lines or CSV').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--out <file>', 'write to this file (created whole, or not at all) instead of stdout')
    .action((opts: ExportOptions) => run(import('./commands/export.js').then((m) => m.exportCommand(opts))));

  const alerts = program.command('alerts').description('alert delivery').exitOverride();
  alerts.command('flush').description('deliver pending alerts now').option('--json', 'one JSON document on stdout').action((opts: { json?: boolean }) => run(import('./commands/alerts.js').then((m) => m.alertsFlush(opts))));
  alerts
    .command('summary')
    .description('send the summary email now: the period since the previous one (it is also sent on SUMMARY_CRON)')
    .option('--json', 'one JSON document on stdout')
    .action((opts: { json?: boolean }) => run(import('./commands/alerts.js').then((m) => m.alertsSummary(opts))));
  alerts.command('test').description('send a test email to ALERT_TO').action(() => run(import('./commands/alerts.js').then((m) => m.alertsTest())));

  program
    .command('sandbox')
    .description('run the built-in Cyrexa API simulator')
    .addOption(new Option('--port <n>', 'port to listen on').argParser(int(0, 65_535)).default(4010))
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--customers <n>', 'generated customers').argParser(int(0, 10_000_000)).default(100))
    .addOption(new Option('--latency-ms <n>', 'delay before each answer').argParser(int(0, 600_000)).default(0))
    .addOption(new Option('--seed <n>', 'seed of the generated data').argParser(int(0, 2 ** 31 - 1)).default(1))
    .addOption(new Option('--time-scale <n>', "how fast the documents' world runs: 1 real time, 1440 a day a minute, 0 stands still").argParser(scale).default(1))
    .addOption(new Option('--time-origin <instant>', 'ISO 8601 instant where world time and real time agree (default: now)').argParser(instant))
    .addOption(new Option('--rate-limit <n>', 'most API requests a second (getDocuments and getDetailsById); more get 429').argParser(int(1, 1_000_000)))
    .option('--tenant-id <id>', 'tenantId header to require (default sandbox-tenant)')
    .option('--access-token <token>', 'bearer token to require (default: any)')
    .option('--token <token>', 'token header to require (default: any)')
    .action((opts: SandboxCommandOptions) => run(import('./commands/sandbox.js').then((m) => m.sandboxCommand(opts))));

  for (const command of [program, ...program.commands, ...track.commands, ...cases.commands, ...silence.commands, ...alerts.commands]) command.exitOverride();
  return program;
}

/** The command at `path` (`['track', 'add']`), if there is one. */
function findCommand(program: Command, path: readonly string[]): Command | undefined {
  let command: Command | undefined = program;
  for (const name of path) command = command?.commands.find((c) => c.name() === name);
  return command;
}

/**
 * Adds to each command's --help the environment variables it reads, from the configuration
 * sections it loads (commands/sections.ts) as the parser itself reads them. Loaded only when
 * help is asked for: the parser's libraries are not needed to show the program's usage.
 */
async function addEnvironmentHelp(program: Command): Promise<void> {
  const [{ COMMAND_SECTIONS }, { configVariables }] = await Promise.all([import('./commands/sections.js'), import('./config.js')]);
  for (const [path, sections] of Object.entries(COMMAND_SECTIONS)) {
    const lines = configVariables(sections).map(({ section, variables }) => wrap(`  ${section.padEnd(9)} `, variables));
    findCommand(program, path.split(' '))?.addHelpText('after', `\nEnvironment variables read (NAME[_FILE]: also as a file holding the value):\n${lines.join('\n')}\n`);
  }
  findCommand(program, ['sandbox'])?.addHelpText('after', '\nEnvironment variables read: none (the options above configure it).\n');
}

/** `lead` then the words separated by commas, in lines of at most 100 columns indented under the first. */
function wrap(lead: string, words: readonly string[]): string {
  const lines = [lead];
  for (const [i, word] of words.entries()) {
    const piece = i < words.length - 1 ? `${word}, ` : word;
    const last = lines.length - 1;
    if ((lines[last] ?? '').length + piece.trimEnd().length > 100 && (lines[last] ?? '').trim() !== '') lines.push(' '.repeat(lead.length));
    lines[lines.length - 1] += piece;
  }
  return lines.map((l) => l.trimEnd()).join('\n');
}

function asksForHelp(argv: readonly string[]): boolean {
  return argv.slice(2).some((arg) => arg === '--help' || arg === '-h' || arg === 'help');
}

export async function main(argv: readonly string[]): Promise<number> {
  watchOutput();
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  if (asksForHelp(argv)) await addEnvironmentHelp(program);
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    throw error;
  }
}

