import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../src/generated/prisma/client.js';

// The schema's typed view, for assertions: Prisma's client over a small pool of its own (the
// product runs its own SQL, src/sql/, and does not load Prisma's client). `$disconnect()` ends it.

export function prismaClient(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 3, application_name: 'kyc-monitor-test' }) });
}
