import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ScanSchedule } from '../config.js';
import type { ScanTrigger } from '../domain/scan.js';

// Queue names, job payloads (ids and counters only: never a secret) and how jobs are added.

export const SCAN_QUEUE = 'scans';
export const CHECK_QUEUE = 'checks';
export const SCHEDULER_ID = 'scan-schedule';

/** Present while Redis keeps the queues; its absence means Redis lost its data. */
const MARKER_KEY = 'queues-alive';

export interface ScanJobData {
  trigger: ScanTrigger;
}

export interface CheckJobData {
  scanId: string;
  batchNo: number;
  customerIds: string[];
}

export class ScanQueues {
  readonly scans: Queue<ScanJobData>;
  readonly checks: Queue<CheckJobData>;

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
    /** The scans' lease (SCAN_LEASE_SECONDS): a failed batch is retried well within it. */
    private readonly scanLeaseMs: number,
  ) {
    this.scans = new Queue<ScanJobData>(SCAN_QUEUE, { connection, prefix });
    this.checks = new Queue<CheckJobData>(CHECK_QUEUE, { connection, prefix });
  }

  /** Registers (or updates) the one schedule; every replica may call this, BullMQ keeps one. */
  async registerSchedule(schedule: ScanSchedule): Promise<void> {
    const repeat =
      schedule.kind === 'cron' ? { pattern: schedule.pattern, tz: schedule.timezone } : { every: (schedule.kind === 'every' ? schedule.seconds : schedule.tickSeconds) * 1000 };
    await this.scans.upsertJobScheduler(SCHEDULER_ID, repeat, {
      name: 'scan',
      data: { trigger: schedule.kind === 'continuous' ? 'continuous' : 'schedule' },
      opts: { removeOnComplete: 100, removeOnFail: 500 },
    });
  }

  /**
   * Sets the marker unless it exists; true when this call set it, i.e. the queues were new or
   * Redis lost everything (flushed, or restarted without persistence). Only one caller wins.
   */
  async claimMarker(): Promise<boolean> {
    const set = await this.connection.set(`${this.prefix}:${MARKER_KEY}`, new Date().toISOString(), 'NX');
    return set === 'OK';
  }

  /** A catch-up scan for a missed tick; `key` names the tick so replicas add it once. */
  async enqueueCatchUp(key: string): Promise<void> {
    await this.scans.add('scan', { trigger: 'catch-up' }, { jobId: `catch-up-${key}`, removeOnComplete: 100, removeOnFail: 500 });
  }

  async dispatchBatch(scanId: string, batchNo: number, customerIds: string[]): Promise<void> {
    await this.checks.add(
      'check',
      { scanId, batchNo, customerIds },
      {
        // The same batch added again (a redelivered scan job) is the same job.
        jobId: `${scanId}-${batchNo}`,
        // Retried every third of the scan's lease (10 s by default, for over a minute): a scan
        // whose batch waits for its retry is never taken for dead, and a database outage of
        // about a minute is ridden out.
        attempts: 8,
        backoff: { type: 'fixed', delay: Math.max(500, Math.floor(this.scanLeaseMs / 3)) },
        removeOnComplete: { age: 3_600, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.scans.close(), this.checks.close()]);
  }
}
