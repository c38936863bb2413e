import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CyrexaClient } from '../../src/cyrexa/client.js';
import { RedisRateLimiter } from '../../src/cyrexa/rate-limit.js';
import { StaticTokenProvider } from '../../src/cyrexa/token-provider.js';
import { customerIdFor } from '../../src/sandbox/generator.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { testQueuePrefix } from '../support/db.js';
import { inject } from 'vitest';

// The shared request budget against real Redis: two limiters (two replicas) share one rate.
// What the rate means is checked by counting: slots handed out by the shared schedule in Redis,
// sends in any one second, requests a rate-limited server refused.

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

/** Redis's clock, in µs: the shared schedule's time. */
async function redisNowUs(): Promise<number> {
  const [seconds, micros] = await a.time();
  return Number(seconds) * 1_000_000 + Number(micros);
}

/** How many sends at `perSecond` the shared schedule under `key` has handed out since `startUs` (it holds the next free slot, in µs). */
async function slotsHandedOut(key: string, startUs: number, perSecond: number): Promise<number> {
  return (Number(await a.get(key)) - startUs) / (1_000_000 / perSecond);
}

describe('RedisRateLimiter', () => {
  it('spaces requests from two replicas at the shared rate', async () => {
    const key = `${testQueuePrefix()}:rate`;
    const one = new RedisRateLimiter(a, key, 20);
    const two = new RedisRateLimiter(b, key, 20);
    const startUs = await redisNowUs();
    const stamps: number[] = [];
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).acquire().then(() => stamps.push(Date.now()))));
    // The two replicas took their 30 slots, one after another, from one schedule at 20/s.
    expect(await slotsHandedOut(key, startUs, 20)).toBeGreaterThanOrEqual(30);
    // No window of one second holds more than 20 (+1 for the boundary) sends.
    stamps.sort((x, y) => x - y);
    for (let i = 0; i < stamps.length; i++) {
      const inWindow = stamps.filter((s) => s >= (stamps[i] ?? 0) && s < (stamps[i] ?? 0) + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(21);
    }
  });

  it('holds a high rate too, where each replica reserves slots in blocks', async () => {
    const key = `${testQueuePrefix()}:rate`;
    const one = new RedisRateLimiter(a, key, 500);
    const two = new RedisRateLimiter(b, key, 500);
    const startUs = await redisNowUs();
    const stamps: number[] = [];
    await Promise.all(Array.from({ length: 700 }, (_, i) => (i % 2 ? one : two).acquire().then(() => stamps.push(Date.now()))));
    expect(await slotsHandedOut(key, startUs, 500)).toBeGreaterThanOrEqual(700);
    stamps.sort((x, y) => x - y);
    let most = 0;
    for (let i = 0, j = 0; i < stamps.length; i++) {
      while ((stamps[j] ?? Infinity) < (stamps[i] ?? 0) + 1000) j++;
      most = Math.max(most, j - i);
    }
    // Timers fire late on a busy machine and late sends bunch up: a few may cross a window edge.
    expect(most).toBeLessThanOrEqual(510);
    expect((stamps.length - 1) / (((stamps.at(-1) ?? 0) - (stamps[0] ?? 0)) / 1000)).toBeLessThanOrEqual(505);
  });

  it('gives up the slots a pause made it miss instead of sending them in a burst', async () => {
    const limiter = new RedisRateLimiter(a, `${testQueuePrefix()}:rate`, 100);
    const stamps: number[] = [];
    let running = true;
    let waiting: { count: number; resolve: () => void } | undefined;
    /** Resolves once `count` sends were made in all. */
    const sends = (count: number) => new Promise<void>((resolve) => (stamps.length >= count ? resolve() : (waiting = { count, resolve })));
    const senders = Array.from({ length: 10 }, async () => {
      while (running) {
        await limiter.acquire();
        stamps.push(performance.now());
        if (waiting && stamps.length >= waiting.count) waiting.resolve();
      }
    });
    await sends(30);
    // The event loop is held for 100 ms (a long garbage collection, a busy process): ten slots pass.
    const held = performance.now();
    while (performance.now() - held < 100);
    const resumed = performance.now();
    await sends(stamps.length + 30);
    running = false;
    await Promise.all(senders);
    expect(limiter.late).toBeGreaterThan(0);
    // Sending the missed slots now would put ten requests into these 10 ms; on-time slots are ~10 ms apart.
    expect(stamps.filter((t) => t >= resumed && t < resumed + 10).length).toBeLessThanOrEqual(3);
  });

  it('far below the limit, uses a reserved block for a while instead of calling Redis every few requests', async () => {
    const redis = new Redis(inject('redisUrl'));
    try {
      const limiter = new RedisRateLimiter(redis, `${testQueuePrefix()}:rate`, 5000);
      const client = redis as unknown as { kycReserveSlots: (...args: unknown[]) => Promise<number> };
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
