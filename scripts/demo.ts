// npm run demo [-- --duration S --customers N --mail-dir DIR --sandbox-port P --smtp-port P --http-port P]
//
// The docker-compose demo, natively: local Postgres and Redis, the sandbox, an SMTP catcher
// that saves every email it receives as a file (and prints where), and the worker. Alert
// emails arrive within a minute. Ctrl-C stops everything (or --duration seconds).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '0' },
    customers: { type: 'string', default: '50' },
    'mail-dir': { type: 'string', default: '.demo/mail' },
    'sandbox-port': { type: 'string', default: '4010' },
    'smtp-port': { type: 'string', default: '1025' },
    'http-port': { type: 'string', default: '8080' },
    'scan-every': { type: 'string', default: '20' },
  },
});
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/kyc-monitor');
const mailDir = path.resolve(values['mail-dir'] ?? '.demo/mail');
mkdirSync(mailDir, { recursive: true });
const say = (text: string) => process.stdout.write(`demo: ${text}\n`);

const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/kyc_monitor_demo',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: process.env.QUEUE_PREFIX ?? 'kyc-demo',
  CYREXA_BASE_URL: `http://127.0.0.1:${values['sandbox-port']}`,
  CYREXA_TENANT_ID: 'sandbox-tenant',
  CYREXA_ACCESS_TOKEN: 'demo-access-token',
  SMTP_URL: `smtp://127.0.0.1:${values['smtp-port']}`,
  ALERT_FROM: 'kyc-monitor@example.com',
  ALERT_TO: 'compliance@example.com',
  SCAN_EVERY_SECONDS: values['scan-every'],
  ALERT_BATCH_SECONDS: '5',
  HTTP_PORT: values['http-port'],
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
await new Promise<void>((resolve) => smtp.listen(Number(values['smtp-port']), '127.0.0.1', () => resolve()));

const children: ChildProcess[] = [];
function run(args: string[], options: { input?: string; log?: string } = {}): Promise<number | null> {
  const child = spawn(bin, args, { env, stdio: ['pipe', options.log ? 'pipe' : 'inherit', options.log ? 'pipe' : 'inherit'] });
  if (options.log) {
    const file = createWriteStream(options.log, { flags: 'a' });
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  child.stdin?.end(options.input ?? '');
  children.push(child);
  return new Promise((resolve) => child.on('close', (code) => resolve(code)));
}

const logDir = path.dirname(mailDir);
const sandboxExit = run(['sandbox', '--port', String(values['sandbox-port']), '--customers', String(values.customers), '--epoch-seconds', '15'], { log: path.join(logDir, 'sandbox.log') });
void sandboxExit;
const sandboxUrl = env.CYREXA_BASE_URL as string;
for (let i = 0; ; i++) {
  try {
    await fetch(`${sandboxUrl}/_sandbox/stats`);
    break;
  } catch {
    if (i > 100) throw new Error('the sandbox did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}
if ((await run(['migrate'])) !== 0) throw new Error('migrate failed: is Postgres running?');
const ids = await (await fetch(`${sandboxUrl}/_sandbox/customers`)).text();
if ((await run(['track', 'import', '-'], { input: ids })) !== 0) throw new Error('track import failed');
const workerLog = path.join(logDir, 'worker.log');
const worker = run(['worker'], { log: workerLog });
say(`sandbox ${sandboxUrl}, SMTP catcher smtp://127.0.0.1:${values['smtp-port']}, worker log ${workerLog}`);
say(`alert emails are saved in ${mailDir}; health and metrics on http://127.0.0.1:${values['http-port']}/metrics`);

const stop = async () => {
  for (const child of [...children].reverse()) child.kill('SIGTERM');
  await worker;
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  say(`stopped; ${received} email(s) received`);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
const duration = Number(values.duration);
if (duration > 0) setTimeout(() => void stop(), duration * 1000);
