import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI (generate, migrate deploy). The application itself reads
// DATABASE_URL through src/config.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/kyc_monitor' },
});
