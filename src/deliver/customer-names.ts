import pLimit from 'p-limit';
import { errorMessage, type Logger } from '../logger.js';

// Customers' names for alert emails, looked up when an email is rendered, for the customers in
// it only, and never for longer than a short bound: a name is a nicety, the email is the job.
// Kept in memory, not in the database: a name is personal data that the monitor has no other
// use for (no retention to manage, nothing to erase), names change, and only the customers of
// emails are ever looked up, so a restart costs one request per customer of the next emails.
// The cache is bounded (least recently used names go first); a failed lookup is remembered
// for a while so that an endpoint that fails does not slow every email down.

export interface CustomerNames {
  /** The names found for these customers within `signal`'s time; a customer without one is absent. Never throws. */
  lookup(customerIds: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, string>>;
}

/** One customer's name, or a rejection (reason in `reason`, when there is one). */
export type FetchName = (customerId: string, signal: AbortSignal) => Promise<string>;

export interface CachedCustomerNamesOptions {
  /** Names kept at most. */
  maxEntries?: number;
  /** How long a name is trusted. */
  nameTtlMs?: number;
  /** How long a customer whose lookup failed is not asked for again. */
  failureTtlMs?: number;
  /** Lookups in flight at once (the shared rate limit paces them further). */
  concurrency?: number;
  now?: () => number;
}

interface Entry {
  name: string | null;
  expiresAt: number;
}

export class CachedCustomerNames implements CustomerNames {
  private readonly cache = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly nameTtlMs: number;
  private readonly failureTtlMs: number;
  private readonly concurrency: number;
  private readonly now: () => number;

  constructor(
    private readonly fetchName: FetchName,
    private readonly log: Logger,
    options: CachedCustomerNamesOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.nameTtlMs = options.nameTtlMs ?? 24 * 3600_000;
    this.failureTtlMs = options.failureTtlMs ?? 10 * 60_000;
    this.concurrency = options.concurrency ?? 4;
    this.now = options.now ?? Date.now;
  }

  async lookup(customerIds: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, string>> {
    const names = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(customerIds)) {
      const entry = this.get(id);
      if (entry === undefined) missing.push(id);
      else if (entry.name !== null) names.set(id, entry.name);
    }
    if (missing.length === 0 || signal.aborted) return names;
    const failures = new Map<string, number>();
    const limit = pLimit(this.concurrency);
    const lookups = missing.map((id) =>
      limit(async () => {
        if (signal.aborted) return;
        try {
          const name = await this.fetchName(id, signal);
          this.set(id, name, this.nameTtlMs);
          names.set(id, name);
        } catch (error) {
          const reason = (error as { reason?: unknown }).reason;
          const key = typeof reason === 'string' ? reason : 'error';
          failures.set(key, (failures.get(key) ?? 0) + 1);
          this.set(id, null, this.failureTtlMs);
          this.log.debug({ customerId: id, reason: key, err: errorMessage(error) }, 'customer name not available');
        }
      }),
    );
    // The email goes when the bound comes, whatever is still being looked up.
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      signal.addEventListener('abort', done, { once: true });
      void Promise.all(lookups).then(() => {
        signal.removeEventListener('abort', done);
        resolve();
      });
    });
    const result = new Map(names);
    const found = missing.filter((id) => result.has(id)).length;
    if (found < missing.length) {
      const why = [...failures].map(([reason, count]) => `${reason} ${count}`);
      const unanswered = missing.length - found - [...failures.values()].reduce((a, b) => a + b, 0);
      if (unanswered > 0) why.push(`not answered in time ${unanswered}`);
      this.log.warn({ looked: missing.length, found, reasons: why.join(', ') }, 'customer names unavailable for some customers: the email shows their ids');
    }
    return result;
  }

  private get(id: string): Entry | undefined {
    const entry = this.cache.get(id);
    if (entry === undefined) return undefined;
    this.cache.delete(id);
    if (entry.expiresAt <= this.now()) return undefined;
    // Most recently used last: the first key is the one to evict.
    this.cache.set(id, entry);
    return entry;
  }

  private set(id: string, name: string | null, ttlMs: number): void {
    this.cache.delete(id);
    this.cache.set(id, { name, expiresAt: this.now() + ttlMs });
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }

  /** Customers in the cache (tests). */
  get size(): number {
    return this.cache.size;
  }
}
