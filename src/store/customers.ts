import type { Database } from './database.js';

// Tracked customers: the list, its paging, and the per-customer outcome of the last check.

export interface CustomerRow {
  customerId: string;
  active: boolean;
  addedAt: Date;
  lastCheckedAt: Date | null;
  lastOutcome: string | null;
  lastError: string | null;
  consecutiveFailures: number;
}

export class CustomerStore {
  constructor(private readonly db: Database) {}

  /** Starts (or resumes) tracking; returns how many were not tracked before. */
  async add(ids: readonly string[]): Promise<number> {
    let added = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = [...new Set(ids.slice(i, i + 1000))];
      await this.db.prisma.$transaction(async (tx) => {
        const existing = await tx.trackedCustomer.findMany({ where: { customerId: { in: chunk } }, select: { customerId: true, active: true } });
        const known = new Map(existing.map((c) => [c.customerId, c.active]));
        const fresh = chunk.filter((id) => !known.has(id));
        const reactivate = chunk.filter((id) => known.get(id) === false);
        if (fresh.length) await tx.trackedCustomer.createMany({ data: fresh.map((customerId) => ({ customerId })), skipDuplicates: true });
        if (reactivate.length) await tx.trackedCustomer.updateMany({ where: { customerId: { in: reactivate } }, data: { active: true } });
        added += fresh.length + reactivate.length;
      });
    }
    return added;
  }

  /** Stops tracking; snapshots and history are kept. Returns the ids that were being tracked. */
  async remove(ids: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.db.prisma.trackedCustomer.updateManyAndReturn({ where: { customerId: { in: ids.slice(i, i + 1000) }, active: true }, data: { active: false }, select: { customerId: true } });
      removed.push(...rows.map((r) => r.customerId));
    }
    return removed;
  }

  async countActive(): Promise<number> {
    return this.db.prisma.trackedCustomer.count({ where: { active: true } });
  }

  async list(options: { after?: string | null; limit: number; failingOnly?: boolean; includeInactive?: boolean }): Promise<CustomerRow[]> {
    return this.db.prisma.trackedCustomer.findMany({
      where: {
        ...(options.includeInactive ? {} : { active: true }),
        ...(options.failingOnly ? { lastOutcome: 'failed' } : {}),
        ...(options.after ? { customerId: { gt: options.after } } : {}),
      },
      orderBy: { customerId: 'asc' },
      take: options.limit,
      select: { customerId: true, active: true, addedAt: true, lastCheckedAt: true, lastOutcome: true, lastError: true, consecutiveFailures: true },
    });
  }

  async countFailing(): Promise<number> {
    return this.db.prisma.trackedCustomer.count({ where: { active: true, lastOutcome: 'failed' } });
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db.prisma.trackedCustomer.count({ where: { customerId: id } })) > 0;
  }
}
