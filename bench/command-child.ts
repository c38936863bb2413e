// One CLI command's own work, without Node's start-up: the modules `kyc-monitor` would load are
// imported first, then the command function runs once, timed (configuration, connecting to
// Postgres, the migrations check, the queries, the output, closing). Its output goes to stdout
// as the CLI's would; the time goes to stderr as `command seconds N`.
// node bench/command-child.ts status|status-json|failing|cases
import '../dist/config.js';
import '../dist/app.js';
import '../dist/logger.js';
import '../dist/secrets.js';
import '../dist/store/migrations.js';
import { casesList } from '../dist/commands/cases.js';
import { statusCommand } from '../dist/commands/status.js';
import { trackList } from '../dist/commands/track.js';

const commands: Record<string, () => Promise<number>> = {
  status: () => statusCommand({}),
  'status-json': () => statusCommand({ json: true }),
  failing: () => trackList({ failing: true }),
  cases: () => casesList({ state: 'unresolved' }),
};
const command = commands[process.argv[2] ?? ''];
if (!command) throw new Error(`usage: command-child.ts ${Object.keys(commands).join('|')}`);
const started = performance.now();
const code = await command();
process.stderr.write(`command seconds ${((performance.now() - started) / 1000).toFixed(4)}\n`);
process.exitCode = code;
