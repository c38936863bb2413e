import { setTimeout as delay } from 'node:timers/promises';

// A task run again and again, one run at a time, until stopped (pg-boss's timekeeper is the
// model): a failed run is reported to `onError` and the next one comes as planned — a
// background failure never escapes from a timer.

export interface Repeating {
  /** Runs the task now (after the current run, if one is going), as well as on its schedule. */
  now(): void;
  /** No new run starts; resolves when the current one has ended. */
  stop(): Promise<void>;
}

export function repeat(name: string, everyMs: number, task: () => Promise<void>, onError: (name: string, error: unknown) => void): Repeating {
  const stopped = new AbortController();
  let wake = new AbortController();
  let current: Promise<void> = Promise.resolve();
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      current = task().catch((error: unknown) => onError(name, error));
      await current;
      if (stopped.signal.aborted) break;
      await delay(everyMs, undefined, { signal: AbortSignal.any([stopped.signal, wake.signal]) }).catch(() => undefined);
      wake = new AbortController();
    }
  })();
  return {
    now() {
      wake.abort();
    },
    async stop() {
      stopped.abort();
      await loop;
    },
  };
}
