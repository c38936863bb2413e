// npm run checks — the static checks of `npm test` (typecheck, lint, circular imports) side by
// side instead of one after the other: each one's output is printed whole when it ends, and
// the run fails if any of them failed.
import { spawn } from 'node:child_process';

const SCRIPTS = ['typecheck', 'lint', 'circular'];

const results = await Promise.all(
  SCRIPTS.map(
    (script) =>
      new Promise<{ script: string; code: number | null; output: string }>((resolve, reject) => {
        const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ script, code, output }));
      }),
  ),
);
for (const { script, code, output } of results) {
  process.stdout.write(`${code === 0 ? 'ok  ' : 'FAIL'} npm run ${script}\n${output.trim() ? `${output.trimEnd()}\n` : ''}`);
}
process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
