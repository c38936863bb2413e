// Arithmetic of waiting between attempts: exponential backoff with jitter, and Retry-After.

/** Milliseconds to wait per Retry-After (seconds or HTTP date), capped; undefined if absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number, capMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, Math.round(ms)), capMs);
}

/** Full-jitter exponential backoff: attempt 1 waits up to base, attempt 2 up to 2×base … capped. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
