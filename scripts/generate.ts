// `npm run generate`: the Prisma client for prisma/schema.prisma, written to src/generated/.
// Skipped when the schema and the Prisma version are those it was last generated from (a
// stamp beside it): `npm test` builds first, and generating again would cost seconds each time.
// `prisma generate` only checks that a schema engine file exists; none can be downloaded here.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const STAMP = 'src/generated/prisma/.schema-stamp';
const version = (JSON.parse(readFileSync('node_modules/prisma/package.json', 'utf8')) as { version: string }).version;
const stamp = createHash('sha256').update(version).update(readFileSync('prisma/schema.prisma')).digest('hex');
if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp) process.exit(0);
execFileSync('npx', ['--no-install', 'prisma', 'generate', '--no-hints'], {
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? 'package.json' },
});
writeFileSync(STAMP, stamp);
