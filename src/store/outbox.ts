import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';

// The alert outbox, delivery side: claim due alerts with a lease, then mark each claimed
// alert sent, failed, or pending again with a later attempt time.

export interface OutboxAlert {
  id: bigint;
  kind: string;
  customerId: string | null;
  purpose: string | null;
  documentType: string | null;
  documentName: string | null;
  previousStatus: string | null;
  newStatus: string | null;
  verificationResponse: string | null;
  subject: string | null;
  body: string | null;
  detectedAt: Date;
  attempts: number;
}

export interface OutboxCounts {
  pending: number;
  failed: number;
  sent: number;
}

export class OutboxStore {
  constructor(private readonly db: Database) {}

  /**
   * Claims up to `limit` pending alerts due now (oldest first) for `leaseMs`. An alert whose
   * claimer died becomes claimable again when the lease runs out: at-least-once delivery.
   */
  async claimDue(limit: number, leaseMs: number): Promise<{ token: string; alerts: OutboxAlert[] }> {
    const token = randomUUID();
    const now = new Date();
    const candidates = await this.db.prisma.alert.findMany({
      where: { status: 'pending', nextAttemptAt: { lte: now }, OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }] },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true },
    });
    if (candidates.length === 0) return { token, alerts: [] };
    await this.db.prisma.alert.updateMany({
      where: {
        id: { in: candidates.map((c) => c.id) },
        status: 'pending',
        OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }],
      },
      data: { claimToken: token, claimedUntil: new Date(now.getTime() + leaseMs) },
    });
    const alerts = await this.db.prisma.alert.findMany({
      where: { claimToken: token, status: 'pending' },
      orderBy: { id: 'asc' },
      select: {
        id: true,
        kind: true,
        customerId: true,
        purpose: true,
        documentType: true,
        documentName: true,
        previousStatus: true,
        newStatus: true,
        verificationResponse: true,
        subject: true,
        body: true,
        detectedAt: true,
        attempts: true,
      },
    });
    return { token, alerts };
  }

  /** Keeps every alert of this claim reserved for another `leaseMs`. */
  async renewLease(token: string, leaseMs: number): Promise<void> {
    await this.db.prisma.alert.updateMany({ where: { claimToken: token, status: 'pending' }, data: { claimedUntil: new Date(Date.now() + leaseMs) } });
  }

  async markSent(ids: readonly bigint[], token: string, messageId: string | null): Promise<void> {
    await this.db.prisma.alert.updateMany({
      where: { id: { in: [...ids] }, claimToken: token },
      data: { status: 'sent', sentAt: new Date(), messageId, claimToken: null, claimedUntil: null, lastError: null, attempts: { increment: 1 } },
    });
  }

  async markRetry(ids: readonly bigint[], token: string, error: string, nextAttemptAt: Date): Promise<void> {
    await this.db.prisma.alert.updateMany({
      where: { id: { in: [...ids] }, claimToken: token },
      data: { lastError: error, nextAttemptAt, claimToken: null, claimedUntil: null, attempts: { increment: 1 } },
    });
  }

  async markFailed(ids: readonly bigint[], token: string, error: string): Promise<void> {
    await this.db.prisma.alert.updateMany({
      where: { id: { in: [...ids] }, claimToken: token },
      data: { status: 'failed', lastError: error, claimToken: null, claimedUntil: null, attempts: { increment: 1 } },
    });
  }

  /** Hands claimed alerts back untouched (their group is not due yet). */
  async release(ids: readonly bigint[], token: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.prisma.alert.updateMany({ where: { id: { in: [...ids] }, claimToken: token }, data: { claimToken: null, claimedUntil: null } });
  }

  async counts(): Promise<OutboxCounts> {
    const groups = await this.db.prisma.alert.groupBy({ by: ['status'], _count: { _all: true } });
    const count = (status: string) => groups.find((g) => g.status === status)?._count._all ?? 0;
    return { pending: count('pending'), failed: count('failed'), sent: count('sent') };
  }

  async listFailed(limit: number): Promise<Array<{ id: bigint; kind: string; customerId: string | null; lastError: string | null; detectedAt: Date }>> {
    return this.db.prisma.alert.findMany({
      where: { status: 'failed' },
      orderBy: { id: 'desc' },
      take: limit,
      select: { id: true, kind: true, customerId: true, lastError: true, detectedAt: true },
    });
  }

  /** Queues an operations alert once per `dedupeKey` (one email per incident). Returns false if it existed. */
  async addOpsAlert(dedupeKey: string, subject: string, body: string): Promise<boolean> {
    const result = await this.db.prisma.alert.createMany({ data: [{ kind: 'ops', dedupeKey, subject, body }], skipDuplicates: true });
    return result.count === 1;
  }
}
