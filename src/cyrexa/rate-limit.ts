import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

// CYREXA_MAX_RPS holds across every replica: send times are reserved from one Redis key
// (generic cell rate algorithm), then waited for. A process reserves a small block of
// consecutive slots per round trip (as many as fit in BLOCK_MS), so that a high limit does
// not cost one Redis call per request, while a low one still reserves one or two at a time.

export interface RateLimiter {
  /** Resolves when the caller may send one request: with the slot taken, where there is a schedule. */
  acquire(signal?: AbortSignal): Promise<SlotTaken | undefined>;
}

export const unlimited: RateLimiter = { acquire: () => Promise.resolve(undefined) };

/**
 * Redis did not answer a reservation in time (stopped, unreachable). ioredis queues commands
 * while it reconnects: without a bound every request would wait for Redis for ever, and the
 * scan with it. A failed check is retried by the next scan; a hung one blocks everything.
 */
export class RateLimitUnavailable extends Error {
  override name = 'RateLimitUnavailable';
  readonly reason = 'rate-limit-unavailable';
  readonly retryable = true;
}

/** How long a reservation may wait for Redis (a restart is seconds) before requests fail. */
export const REDIS_WAIT_MS = 10_000;

// KEYS[1] theoretical arrival time (µs); ARGV[1] interval (µs); ARGV[2] burst (µs); ARGV[3] slots.
// Returns how many µs the caller must wait before its first slot, and that slot's time (Redis's
// clock, µs); the others follow one interval apart. The time is stored with string.format: Lua's
// tostring keeps 14 digits, and a time in µs has 16 (slots would move by up to 100 µs).
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now - tonumber(ARGV[2]) then tat = now - tonumber(ARGV[2]) end
local wait = tat - now
if wait < 0 then wait = 0 end
redis.call('SET', KEYS[1], string.format('%.0f', tat + interval * tonumber(ARGV[3])), 'PX', math.floor(wait / 1000) + 60000)
return {wait, now + wait}
`;

interface ReserveClient {
  kycReserveSlots(key: string, intervalUs: number, burstUs: number, slots: number): Promise<[number, number]>;
}

/**
 * Slots are spaced for 3 % less than the limit: a send leaves up to LATE_MS after its slot, and
 * arrives after some jitter of the network and of the server's own clock reading; a server
 * counting over a sliding second must still never see more than the limit.
 */
const HEADROOM = 0.97;
/** How far ahead one reservation reaches. */
const BLOCK_MS = 20;
const MAX_BLOCK = 64;
/**
 * A send more than this late for its slot is not made on that slot, while the limit is being
 * reached. After a pause (a garbage collection, a busy event loop) every slot that fell into it
 * would otherwise go out at once, right before the slots that follow on time: more than the
 * limit in the second that holds both.
 */
const LATE_MS = 5;
/**
 * Slots reserved while the limit was not being reached (nobody else had reserved ahead of now)
 * are spare capacity: they may be used this long after their time, so that a process far below
 * the limit needs one Redis call per block, not one per few requests. At most one block per
 * process is ever used late this way.
 */
const SPARE_MS = 1_000;

interface Slot {
  /** Send time (ms, this process's clock). */
  at: number;
  /** Its time on the shared schedule (µs, Redis's clock): the same for every replica. */
  scheduledUs: number;
  /** Reserved behind other reservations: the limit is being reached. */
  contended: boolean;
}

/** The slot a request was let go on, as `acquire` reports it (tests, diagnostics). */
export interface SlotTaken {
  /** The slot's time on the shared schedule (µs, Redis's clock): slots of all replicas, one interval apart. */
  scheduledUs: number;
  /** How long after the slot's time this process let the request go (ms; under 1 ms early counts as on time). */
  lateMs: number;
  /** Reserved behind other reservations (the limit was being reached): taken at most LATE_MS late. */
  contended: boolean;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly client: ReserveClient;
  private readonly intervalMs: number;
  private readonly blockSize: number;
  /** Reserved send slots, oldest first. */
  private slots: Slot[] = [];
  private reserving: Promise<void> | undefined;
  /** When the reservation in progress was asked of Redis. */
  private reservingSince = 0;
  /** When a reservation last had to queue behind others. */
  private contendedAt = -Infinity;

  constructor(
    client: Redis,
    private readonly key: string,
    maxPerSecond: number,
    /** How long a reservation may wait for Redis before acquire fails (RateLimitUnavailable). */
    private readonly maxWaitMs: number = REDIS_WAIT_MS,
  ) {
    if (!(client as unknown as Partial<ReserveClient>).kycReserveSlots) client.defineCommand('kycReserveSlots', { numberOfKeys: 1, lua: RESERVE });
    this.client = client as unknown as ReserveClient;
    this.intervalMs = 1000 / (maxPerSecond * HEADROOM);
    this.blockSize = Math.max(1, Math.min(MAX_BLOCK, Math.floor(BLOCK_MS / this.intervalMs)));
  }

  /** Resolves when the caller may send one request, with the slot it takes. */
  async acquire(signal?: AbortSignal): Promise<SlotTaken> {
    for (;;) {
      signal?.throwIfAborted();
      const slot = this.slots.shift();
      // The next block is reserved while this one runs out, so that callers seldom wait for Redis.
      // (A failed reservation is seen by the caller that waits for it, below.)
      if (this.slots.length <= this.blockSize / 4) this.reserveAhead().catch(() => undefined);
      if (slot !== undefined) {
        // Under a millisecond early is on time: a timer cannot wait less, and at high limits
        // each acquire would otherwise add a millisecond to every request. (A timer may also fire
        // up to a millisecond early: a request leaves at most 2 ms before its slot.)
        const wait = slot.at - performance.now();
        if (wait >= 1) await sleep(Math.floor(wait), undefined, signal ? { signal } : undefined);
        const late = performance.now() - slot.at;
        if (late <= (slot.contended ? LATE_MS : SPARE_MS)) return { scheduledUs: slot.scheduledUs, lateMs: late, contended: slot.contended };
        // Woken (or found) too late: the slot is given up, and another taken.
        this.late++;
        continue;
      }
      await this.waitForReservation(signal);
    }
  }

  /**
   * Waits for the reservation in progress, for as long as the caller's signal and the time left
   * to it allow. The time counts from when the reservation was asked: once Redis has not answered
   * for `maxWaitMs`, every caller fails at once until it answers again (not each after its own wait).
   */
  private async waitForReservation(signal: AbortSignal | undefined): Promise<void> {
    const reserving = this.reserveAhead();
    const left = this.reservingSince + this.maxWaitMs - performance.now();
    const timedOut = () => new RateLimitUnavailable(`the shared rate limit (Redis, REDIS_URL) did not answer within ${Math.round(this.maxWaitMs / 1000)} s`);
    if (left <= 0) throw timedOut();
    const stop = new AbortController();
    try {
      await Promise.race([
        reserving,
        sleep(left, undefined, { signal: signal ? AbortSignal.any([signal, stop.signal]) : stop.signal }).then(
          () => {
            throw timedOut();
          },
          // The caller's reason, as when it is aborted anywhere else.
          () => signal?.throwIfAborted(),
        ),
      ]);
    } finally {
      stop.abort();
    }
  }

  /** Slots given up because they were taken too late (tests, diagnostics). */
  late = 0;

  private reserveAhead(): Promise<void> {
    if (this.reserving === undefined) {
      this.reservingSince = performance.now();
      this.reserving = this.reserve().finally(() => (this.reserving = undefined));
    }
    return this.reserving;
  }

  private async reserve(): Promise<void> {
    const intervalUs = Math.round(this.intervalMs * 1000);
    // No burst allowance: the limit holds over every window, not only on average.
    const [waitUs, firstUs] = await this.client.kycReserveSlots(this.key, intervalUs, 0, this.blockSize);
    const now = performance.now();
    // Once the limit is reached, it counts as reached for a second: a block that happens to
    // find no one ahead (everyone paused at once) must not be spare capacity then.
    if (waitUs > 0) this.contendedAt = now;
    const contended = now - this.contendedAt < 1000;
    const first = now + waitUs / 1000;
    for (let i = 0; i < this.blockSize; i++) this.slots.push({ at: first + i * this.intervalMs, scheduledUs: firstUs + i * intervalUs, contended });
  }
}
