import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CyrexaClient } from '../../src/cyrexa/client.js';
import { RedisRateLimiter, type SlotTaken } from '../../src/cyrexa/rate-limit.js';
import { StaticTokenProvider } from '../../src/cyrexa/token-provider.js';
import { customerIdFor } from '../../src/sandbox/generator.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { testQueuePrefix } from '../support/db.js';
import { inject } from 'vitest';

// The shared request budget against real Redis: two limiters (two replicas) share one rate.
// What the rate means is checked by counting, not by timing: the slots taken on the shared
// schedule in Redis, and requests a rate-limited server refused.

let a: Redis;
let b: Redis;
beforeAll(() => {
  a = new Redis(inject('redisUrl'));
  b = new Redis(inject('redisUrl'));
});
afterAll(() => {
  a.disconnect();
  b.disconnect();
});

/**
 * What the rate means, checked without a clock: the slots taken, on the one schedule in Redis
 * (µs), are each at least an interval (1 s / (limit × 0.97)) after the one before, whichever
 * replica took them — so no second holds more than the limit; and no request was let go early
 * for its slot (by 2 ms or more), nor (once the limit is reached) more than 5 ms late: sends
 * stay as far apart as their slots. A slow machine makes sends later, never more in a second.
 */
function expectOnSchedule(taken: readonly SlotTaken[], perSecond: number): void {
  const intervalUs = Math.round(1_000_000 / (perSecond * 0.97));
  const times = taken.map((slot) => slot.scheduledUs).sort((x, y) => x - y);
  const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(intervalUs);
  // Waits are whole milliseconds, and a timer may fire a millisecond early: under 2 ms early.
  expect(Math.min(...taken.map((slot) => slot.lateMs))).toBeGreaterThan(-2);
  expect(Math.max(...taken.filter((slot) => slot.contended).map((slot) => slot.lateMs))).toBeLessThanOrEqual(5);
}

describe('RedisRateLimiter', () => {
  it('spaces requests from two replicas at the shared rate', async () => {
    const key = `${testQueuePrefix()}:rate`;
    const one = new RedisRateLimiter(a, key, 20);
    const two = new RedisRateLimiter(b, key, 20);
    const taken = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).acquire()));
    // The two replicas took their 30 slots one after another from one schedule at 20/s (each
    // with a schedule of its own, their slots would fall together); all but the first queued.
    expect(taken.filter((slot) => slot.contended).length).toBeGreaterThanOrEqual(28);
    expectOnSchedule(taken, 20);
  });

  it('holds a high rate too, where each replica reserves slots in blocks', async () => {
    const key = `${testQueuePrefix()}:rate`;
    const one = new RedisRateLimiter(a, key, 500);
    const two = new RedisRateLimiter(b, key, 500);
    const taken = await Promise.all(Array.from({ length: 700 }, (_, i) => (i % 2 ? one : two).acquire()));
    expectOnSchedule(taken, 500);
  });

  it('gives up the slots a pause made it miss instead of sending them in a burst', async () => {
    const limiter = new RedisRateLimiter(a, `${testQueuePrefix()}:rate`, 100);
    const taken: SlotTaken[] = [];
    let running = true;
    let waiting: { count: number; resolve: () => void } | undefined;
    /** Resolves once `count` sends were made in all. */
    const sends = (count: number) => new Promise<void>((resolve) => (taken.length >= count ? resolve() : (waiting = { count, resolve })));
    const senders = Array.from({ length: 10 }, async () => {
      while (running) {
        taken.push(await limiter.acquire());
        if (waiting && taken.length >= waiting.count) waiting.resolve();
      }
    });
    await sends(30);
    // The event loop is held for 100 ms (a long garbage collection, a busy process): ten slots
    // pass while senders wait on them. Sent now, they would go out at once.
    const held = performance.now();
    while (performance.now() - held < 100);
    await sends(taken.length + 30);
    running = false;
    await Promise.all(senders);
    expect(limiter.late).toBeGreaterThanOrEqual(5);
    expectOnSchedule(taken, 100);
  });

  it('far below the limit, uses a reserved block for a while instead of calling Redis every few requests', async () => {
    const redis = new Redis(inject('redisUrl'));
    try {
      const limiter = new RedisRateLimiter(redis, `${testQueuePrefix()}:rate`, 5000);
      const client = redis as unknown as { kycReserveSlots: (...args: unknown[]) => Promise<[number, number]> };
      const reserve = client.kycReserveSlots.bind(redis);
      let calls = 0;
      client.kycReserveSlots = (...args) => {
        calls++;
        return reserve(...args);
      };
      // 120 requests, one every 2 ms: each block of 64 slots (13 ms at 5,000/s) is used over ~130 ms.
      for (let i = 0; i < 120; i++) {
        await limiter.acquire();
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(calls).toBeLessThanOrEqual(4);
      expect(limiter.late).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps a client under a sandbox that answers 429 above its limit', async () => {
    const headers = { authorization: 'Bearer t', tenantId: 'sandbox-tenant', token: 't' };
    const sandbox = await new Sandbox({ customers: 200, rateLimit: 50 }).start();
    try {
      // Unthrottled: 50 answers in the first second, then 429 with Retry-After. The sandbox's
      // clock stopped: every request of the burst arrives in that second, however busy the machine.
      sandbox.rateClock = () => 0;
      const burst = await Promise.all(Array.from({ length: 80 }, (_, i) => fetch(`${sandbox.url}/getDocuments/${customerIdFor(i)}`, { headers })));
      expect(burst.filter((r) => r.status === 200)).toHaveLength(50);
      const refused = burst.filter((r) => r.status === 429);
      expect(refused).toHaveLength(30);
      expect(refused[0]?.headers.get('retry-after')).toBe('1');
    } finally {
      await sandbox.close();
    }
  });

  it('two replicas through the shared limiter, set below the limit of a sandbox that answers 429 above it, get no 429', async () => {
    const sandbox = await new Sandbox({ customers: 200, rateLimit: 50 }).start();
    try {
      // At the limit exactly, a busy machine bunches arrivals now and then (see `npm run bench -- --only rate`).
      // 80 requests at 40/s: two seconds of sending, in which ten requests bunched into any one
      // second would be refused.
      const key = `${testQueuePrefix()}:rate`;
      const clients = [a, b].map((redis) => new CyrexaClient({ baseUrl: sandbox.url, tenantId: 'sandbox-tenant', tokens: new StaticTokenProvider('t'), tokenHeader: 't', timeoutMs: 5_000, maxAttempts: 1, rateLimiter: new RedisRateLimiter(redis, key, 40) }));
      await Promise.all(Array.from({ length: 80 }, (_, i) => clients[i % 2]?.getDocuments(customerIdFor(i))));
      expect(sandbox.stats.byStatus['429'] ?? 0).toBe(0);
      expect(sandbox.stats.byStatus['200']).toBe(80);
    } finally {
      await sandbox.close();
    }
  });

  it('stops waiting when aborted', async () => {
    const limiter = new RedisRateLimiter(a, `${testQueuePrefix()}:rate`, 1);
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
