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

  /** Stops tracking; snapshots and history are kept. Returns how many were being tracked. */
  async remove(ids: readonly string[]): Promise<number> {
    const result = await this.db.prisma.trackedCustomer.updateMany({ where: { customerId: { in: [...ids] }, active: true }, data: { active: false } });
    return result.count;
  }

  async countActive(): Promise<number> {
    return this.db.prisma.trackedCustomer.count({ where: { active: true } });
  }

  /** Active ids after `after` in id order: scans page through these, never loading all. */
  async pageActiveIds(after: string | null, limit: number): Promise<string[]> {
    const rows = await this.db.prisma.trackedCustomer.findMany({
      where: { active: true, ...(after === null ? {} : { customerId: { gt: after } }) },
      orderBy: { customerId: 'asc' },
      take: limit,
      select: { customerId: true },
    });
    return rows.map((r) => r.customerId);
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

  /** The state a check starts from, for a batch of customers, in one query. */
  async loadStates(ids: readonly string[]): Promise<Map<string, CustomerState>> {
    // One statement for a whole batch: each customer's snapshots come aggregated into one JSON
    // text, parsed here, rather than as one row per document for the ORM to map.
    const rows = await this.db.prisma.$queryRaw<StateRow[]>`
      SELECT c.customer_id, c.active, c.baseline_at, c.snapshot_version, c.last_scan_id, c.last_outcome, c.consecutive_failures,
        (SELECT json_agg(json_build_array(s.purpose, s.document_type, s.name, s.location_key, s.status, s.verification_response, s.position) ORDER BY s.position)::text
           FROM document_snapshots s WHERE s.customer_id = c.customer_id) AS documents
      FROM tracked_customers c
      WHERE c.customer_id = ANY(${[...ids]}::text[])`;
    return new Map(
      rows.map((r) => [
        r.customer_id,
        {
          customerId: r.customer_id,
          active: r.active,
          baselineAt: r.baseline_at,
          snapshotVersion: r.snapshot_version,
          lastScanId: r.last_scan_id,
          lastOutcome: r.last_outcome,
          consecutiveFailures: r.consecutive_failures,
          documents: r.baseline_at === null ? null : parseSnapshots(r.documents),
        },
      ]),
    );
  }

  async recordUnchanged(ids: readonly string[], scanId: string | null, at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.prisma.trackedCustomer.updateMany({
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
      await this.db.prisma.trackedCustomer.updateMany({
        where: { customerId: { in: ids } },
        data: { lastCheckedAt: at, lastOutcome: 'failed', lastError: error, consecutiveFailures: { increment: 1 }, lastScanId: scanId },
      });
    }
    const rows = await this.db.prisma.trackedCustomer.findMany({
      where: { customerId: { in: [...failures.keys()] } },
      select: { customerId: true, consecutiveFailures: true },
    });
    return new Map(rows.map((r) => [r.customerId, r.consecutiveFailures]));
  }
}

interface StateRow {
  customer_id: string;
  active: boolean;
  baseline_at: Date | null;
  snapshot_version: number;
  last_scan_id: string | null;
  last_outcome: string | null;
  consecutive_failures: number;
  /** JSON array of [purpose, documentType, name, locationKey, status, verificationResponse, position], by position. */
  documents: string | null;
}

function parseSnapshots(json: string | null): SnapshotDocument[] {
  if (json === null) return [];
  return (JSON.parse(json) as Array<[string, string, string, string, string, string | null, number]>).map(
    ([purpose, documentType, name, locationKey, status, verificationResponse, position]) => ({ purpose, documentType, name, locationKey, status, verificationResponse, position }),
  );
}
