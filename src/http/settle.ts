import { once } from 'node:events';

/**
 * The outcome of `work`, or a rejection with the signal's reason once it aborts first (an
 * `AbortSignal.timeout` for a deadline). For work that takes no signal of its own (a pg query
 * waiting for a pool connection): it is left behind, not stopped.
 */
export function settleBefore<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  const aborted = once(signal, 'abort').then(() => Promise.reject(signal.reason as Error));
  return Promise.race([work, aborted]);
}
