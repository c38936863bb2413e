import type { Redis } from 'ioredis';

// CYREXA_MAX_RPS holds across every replica: each request first reserves a send time from one
// Redis key (generic cell rate algorithm), then waits until that time.

export interface RateLimiter {
  /** Resolves when the caller may send one request. */
  acquire(signal?: AbortSignal): Promise<void>;
}

export const unlimited: RateLimiter = { acquire: () => Promise.resolve() };

// KEYS[1] theoretical arrival time (µs); ARGV[1] interval (µs); ARGV[2] burst (µs).
// Returns how many µs the caller must wait before sending.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now - tonumber(ARGV[2]) then tat = now - tonumber(ARGV[2]) end
local wait = tat - now
if wait < 0 then wait = 0 end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.floor(wait / 1000) + 60000)
return wait
`;

interface ReserveClient {
  kycReserveSlot(key: string, intervalUs: number, burstUs: number): Promise<number>;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly client: ReserveClient;
  private readonly intervalUs: number;

  constructor(client: Redis, private readonly key: string, maxPerSecond: number) {
    if (!(client as unknown as Partial<ReserveClient>).kycReserveSlot) client.defineCommand('kycReserveSlot', { numberOfKeys: 1, lua: RESERVE });
    this.client = client as unknown as ReserveClient;
    this.intervalUs = Math.round(1_000_000 / maxPerSecond);
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    // No burst allowance: the limit holds over every window, not only on average.
    const waitUs = await this.client.kycReserveSlot(this.key, this.intervalUs, 0);
    if (waitUs > 0) await sleep(Math.ceil(waitUs / 1000), signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
