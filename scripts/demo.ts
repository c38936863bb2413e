// npm run demo [-- --duration S --customers N --mail-dir DIR --sandbox-port P --smtp-port P --http-port P --web-port P --scan-every S --time-scale N]
//
// The docker-compose demo, natively: local Postgres and Redis, the sandbox, an SMTP catcher
// that saves every email it receives as a file (and prints where), and the worker. Time runs
// faster (--time-scale, a day every 5 s by default) for the sandbox's world and for the worker's
// sense of "today" alike: expiry warnings arrive with the first scan, expiries, renewals and
// declines within minutes. Ctrl-C stops everything (or --duration seconds). A busy port,
// or a part of the demo that stops on its own, stops the whole demo with one line saying why.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const USAGE = 'usage: npm run demo [-- --duration S] [--customers N] [--mail-dir DIR] [--sandbox-port P] [--smtp-port P] [--http-port P (0 = off)] [--web-port P (0 = off)] [--scan-every S] [--time-scale N (17280: a day every 5 s)]';
const say = (text: string) => process.stdout.write(`demo: ${text}\n`);

/** Exit 2: the demo was asked for something it cannot do (a bad option, a busy port). */
function usageError(text: string): never {
  process.stderr.write(`demo: ${text}\n`);
  process.exit(2);
}

function options() {
  try {
    return parseArgs({
      options: {
        duration: { type: 'string', default: '0' },
        customers: { type: 'string', default: '50' },
        'mail-dir': { type: 'string', default: '.demo/mail' },
        'sandbox-port': { type: 'string', default: '4010' },
        'smtp-port': { type: 'string', default: '1025' },
        'http-port': { type: 'string', default: '8080' },
        'web-port': { type: 'string', default: '8081' },
        'scan-every': { type: 'string', default: '20' },
        'time-scale': { type: 'string', default: '17280' },
      },
    }).values;
  } catch (error) {
    return usageError(`${(error as Error).message}\n${USAGE}`);
  }
}

function integer(option: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) usageError(`--${option} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}\n${USAGE}`);
  return n;
}

const values = options();
const duration = integer('duration', values.duration, 0, 86_400);
const customers = integer('customers', values.customers, 1, 100_000);
const scanEvery = integer('scan-every', values['scan-every'], 1, 86_400);
const timeScale = integer('time-scale', values['time-scale'], 1, 10_000_000);
/** Where the world's time and real time agree: the sandbox and the worker count from the same instant. */
const timeOrigin = new Date().toISOString();
/** What listens where: the demo checks each port before it starts anything. */
const ports = [
  { option: 'sandbox-port', what: 'the Cyrexa sandbox', host: '127.0.0.1', port: integer('sandbox-port', values['sandbox-port'], 1, 65_535) },
  { option: 'smtp-port', what: 'the SMTP catcher', host: '127.0.0.1', port: integer('smtp-port', values['smtp-port'], 1, 65_535) },
  // The worker serves health and metrics on every interface.
  { option: 'http-port', what: "the worker's health and metrics", host: '0.0.0.0', port: integer('http-port', values['http-port'], 0, 65_535) },
  // And the case pages the emails link to, on every interface too.
  { option: 'web-port', what: 'the case pages', host: '0.0.0.0', port: integer('web-port', values['web-port'], 0, 65_535) },
];
const [sandboxPort, smtpPort, httpPort, webPort] = ports.map((p) => p.port) as [number, number, number, number];

function busyPort(p: (typeof ports)[number]): string {
  return `port ${p.port} (${p.what}) is busy: stop what listens there, or choose another port with --${p.option} N`;
}

/** Whether something already listens on host:port (binding it is the only sure test). */
function isBusy(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(true) : reject(error)));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

const busy: string[] = [];
for (const p of ports) if (p.port !== 0 && (await isBusy(p.host, p.port))) busy.push(busyPort(p));
if (busy.length > 0) usageError(busy.join('\ndemo: '));

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/kyc-monitor');
const mailDir = path.resolve(values['mail-dir']);
const logDir = path.dirname(mailDir);
mkdirSync(mailDir, { recursive: true });

const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/kyc_monitor_demo',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: process.env.QUEUE_PREFIX ?? 'kyc-demo',
  CYREXA_BASE_URL: `http://127.0.0.1:${sandboxPort}`,
  CYREXA_TENANT_ID: 'sandbox-tenant',
  CYREXA_ACCESS_TOKEN: 'demo-access-token',
  // The sandbox sets no limit: checks and the emails' name lookups need not queue behind 10 a second.
  CYREXA_MAX_RPS: process.env.CYREXA_MAX_RPS ?? '50',
  SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  ALERT_FROM: 'kyc-monitor@example.com',
  ALERT_TO: 'compliance@example.com',
  SCAN_EVERY_SECONDS: String(scanEvery),
  TIME_SCALE: String(timeScale),
  TIME_ORIGIN: timeOrigin,
  ALERT_BATCH_SECONDS: '5',
  HTTP_PORT: String(httpPort),
  // Each case in an email links to its page, where it can be acknowledged (a secret of this run's own).
  ...(webPort ? { PUBLIC_URL: `http://127.0.0.1:${webPort}`, LINK_SECRET: randomBytes(24).toString('hex'), WEB_PORT: String(webPort) } : {}),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
};

let received = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks);
      received++;
      const base = path.join(mailDir, `${String(received).padStart(3, '0')}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      writeFileSync(`${base}.eml`, raw);
      void simpleParser(raw).then((mail) => {
        if (mail.html) writeFileSync(`${base}.html`, mail.html);
        say(`email ${received}: "${mail.subject ?? ''}" saved to ${base}.eml${mail.html ? ` (HTML: ${base}.html)` : ''}`);
      });
      callback();
    });
  },
});
await new Promise<void>((resolve) => {
  // Taken between the check and now: the same message.
  smtp.once('error', (error: NodeJS.ErrnoException) => usageError(error.code === 'EADDRINUSE' ? busyPort(ports[1] as (typeof ports)[number]) : `the SMTP catcher could not start: ${error.message}`));
  smtp.listen(smtpPort, '127.0.0.1', () => resolve());
});

interface Started {
  name: string;
  child: ChildProcess;
  log: string | undefined;
  /** How it ended: `exit code 1`, `killed by SIGKILL`. */
  exited: Promise<string>;
}
const children: Started[] = [];
let stopping = false;

function lastLines(file: string | undefined): string {
  if (!file) return '';
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-3);
    return lines.length > 0 ? `\n${lines.map((l) => `  ${l}`).join('\n')}` : '';
  } catch {
    return '';
  }
}

function start(name: string, args: string[], options: { input?: string; log?: string; onOutput?: (stdout: string) => void } = {}): Started {
  // A group of its own: Ctrl-C reaches the demo alone, which stops the worker before the
  // sandbox (stopped together, the worker's last checks would fail and alert for nothing).
  const child = spawn(bin, args, { env, detached: true, stdio: ['pipe', options.log ? 'pipe' : 'inherit', options.log ? 'pipe' : 'inherit'] });
  if (options.log) {
    const file = createWriteStream(options.log, { flags: 'a' });
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => options.onOutput?.((stdout += d.toString())));
  }
  child.stdin?.end(options.input ?? '');
  const exited = new Promise<string>((resolve) => child.on('close', (code, signal) => resolve(code === null ? `killed by ${signal}` : `exit code ${code}`)));
  const started = { name, child, log: options.log, exited };
  children.push(started);
  return started;
}

async function stop(code: number, why?: string): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  for (const { child, exited } of [...children].reverse()) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  if (why) process.stderr.write(`demo: ${why}\n`);
  say(`stopped; ${received} email(s) received`);
  process.exit(code);
}

/** A long-running part that ends before the demo does stops the demo, saying where to look. */
function watch(part: Started): void {
  void part.exited.then((how) => {
    if (!stopping) void stop(1, `${part.name} stopped (${how})${part.log ? `; its log: ${part.log}` : ''}${lastLines(part.log)}`);
  });
}

/** A one-off step: its own output goes to the terminal; a failure stops the demo. */
async function step(name: string, args: string[], hint: string, input?: string): Promise<void> {
  const how = await start(name, args, input === undefined ? {} : { input }).exited;
  if (how !== 'exit code 0') await stop(1, `${name} failed (${how}): ${hint}`);
}

// However the demo ends, nothing it started outlives it.
process.on('exit', () => children.forEach(({ child }) => child.exitCode === null && child.signalCode === null && child.kill('SIGTERM')));
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

const sandboxLog = path.join(logDir, 'sandbox.log');
const sandboxUrl = env.CYREXA_BASE_URL as string;
await new Promise<void>((resolve) => {
  // Ready when it says so (a port answering could be another program's).
  const sandbox = start('the sandbox', ['sandbox', '--port', String(sandboxPort), '--customers', String(customers), '--time-scale', String(timeScale), '--time-origin', timeOrigin], {
    log: sandboxLog,
    onOutput: (stdout) => stdout.includes('Cyrexa sandbox listening on') && resolve(),
  });
  watch(sandbox);
});
await step('kyc-monitor migrate', ['migrate'], `is Postgres running at DATABASE_URL (${env.DATABASE_URL})?`);
const ids = await (await fetch(`${sandboxUrl}/_sandbox/customers`)).text();
await step('kyc-monitor track import', ['track', 'import', '-'], 'see its message above', ids);
const workerLog = path.join(logDir, 'worker.log');
watch(start('the worker', ['worker'], { log: workerLog }));
say(`sandbox ${sandboxUrl} (log ${sandboxLog}), SMTP catcher smtp://127.0.0.1:${smtpPort}, worker log ${workerLog}`);
say(`alert emails are saved in ${mailDir}${httpPort ? `; health and metrics on http://127.0.0.1:${httpPort}/metrics` : ''}`);
if (webPort) say(`each case in an email links to its page on http://127.0.0.1:${webPort}, where it can be acknowledged`);
say(`time runs ${timeScale} times faster than real time (a day every ${Number((86_400 / timeScale).toPrecision(3))} s) for the sandbox's documents and the worker's expiry dates; ${sandboxUrl}/_sandbox/changes lists what changed when`);
say(`running: press Ctrl-C to stop everything it started${duration > 0 ? ` (it stops by itself after ${duration} s)` : ''}`);
if (duration > 0) setTimeout(() => void stop(0), duration * 1000);
