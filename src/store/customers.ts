import type { SnapshotDocument } from '../domain/documents.js';
import type { Database } from './database.js';

// Tracked customers: the list, its paging, and the per-customer outcome of the last check.

export interface CustomerState {
  customerId: string;
  active: boolean;
  baselineAt: Date | null;
  snapshotVersion: number;
  lastScanId: string | null;
  lastOutcome: string | null;
  consecutiveFailures: number;
  /** Null before the first successful check (the next one is the baseline). */
  documents: SnapshotDocument[] | null;
}

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
      await this.db.$transaction(async (tx) => {
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

  /** Stops tracking; snapshots and history are kept. Returns how many were being tracked. */
  async remove(ids: readonly string[]): Promise<number> {
    const result = await this.db.trackedCustomer.updateMany({ where: { customerId: { in: [...ids] }, active: true }, data: { active: false } });
    return result.count;
  }

  async countActive(): Promise<number> {
    return this.db.trackedCustomer.count({ where: { active: true } });
  }

  /** Active ids after `after` in id order: scans page through these, never loading all. */
  async pageActiveIds(after: string | null, limit: number): Promise<string[]> {
    const rows = await this.db.trackedCustomer.findMany({
      where: { active: true, ...(after === null ? {} : { customerId: { gt: after } }) },
      orderBy: { customerId: 'asc' },
      take: limit,
      select: { customerId: true },
    });
    return rows.map((r) => r.customerId);
  }

  async list(options: { after?: string | null; limit: number; failingOnly?: boolean; includeInactive?: boolean }): Promise<CustomerRow[]> {
    return this.db.trackedCustomer.findMany({
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
    return this.db.trackedCustomer.count({ where: { active: true, lastOutcome: 'failed' } });
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db.trackedCustomer.count({ where: { customerId: id } })) > 0;
  }

  /** The state a check starts from, for a batch of customers, in two queries. */
  async loadStates(ids: readonly string[]): Promise<Map<string, CustomerState>> {
    const [customers, snapshots] = await Promise.all([
      this.db.trackedCustomer.findMany({
        where: { customerId: { in: [...ids] } },
        select: { customerId: true, active: true, baselineAt: true, snapshotVersion: true, lastScanId: true, lastOutcome: true, consecutiveFailures: true },
      }),
      this.db.documentSnapshot.findMany({ where: { customerId: { in: [...ids] } }, orderBy: [{ customerId: 'asc' }, { position: 'asc' }] }),
    ]);
    const docs = new Map<string, SnapshotDocument[]>();
    for (const s of snapshots) {
      let list = docs.get(s.customerId);
      if (!list) docs.set(s.customerId, (list = []));
      list.push({
        purpose: s.purpose,
        documentType: s.documentType,
        name: s.name,
        locationKey: s.locationKey,
        status: s.status,
        verificationResponse: s.verificationResponse,
        position: s.position,
      });
    }
    return new Map(
      customers.map((c) => [c.customerId, { ...c, documents: c.baselineAt === null ? null : (docs.get(c.customerId) ?? []) }]),
    );
  }

  /** Records successful checks that changed nothing: one statement for the whole batch. */
  async recordUnchanged(ids: readonly string[], scanId: string | null, at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.trackedCustomer.updateMany({
      where: { customerId: { in: [...ids] } },
      data: { lastCheckedAt: at, lastOutcome: 'ok', lastError: null, consecutiveFailures: 0, lastScanId: scanId },
    });
  }

  /** Records failed checks: snapshots stay as they are. One statement per distinct error. */
  async recordFailures(failures: ReadonlyMap<string, string>, scanId: string | null, at: Date): Promise<Map<string, number>> {
    const byError = new Map<string, string[]>();
    for (const [id, error] of failures) {
      const list = byError.get(error) ?? [];
      list.push(id);
      byError.set(error, list);
    }
    for (const [error, ids] of byError) {
      await this.db.trackedCustomer.updateMany({
        where: { customerId: { in: ids } },
        data: { lastCheckedAt: at, lastOutcome: 'failed', lastError: error, consecutiveFailures: { increment: 1 }, lastScanId: scanId },
      });
    }
    const rows = await this.db.trackedCustomer.findMany({
      where: { customerId: { in: [...failures.keys()] } },
      select: { customerId: true, consecutiveFailures: true },
    });
    return new Map(rows.map((r) => [r.customerId, r.consecutiveFailures]));
  }
}
