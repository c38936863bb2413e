// Time that runs faster (SPEC §8 `--time-scale`, TIME_SCALE): the sandbox's world and the
// monitor's sense of "today" can both run N times faster than real time, so that a demo shows in
// minutes what takes weeks. Two clocks with the same origin and scale agree. Pure.

export interface TimeScale {
  /** The instant (ms) where scaled time and real time agree. */
  origin: number;
  /** 1: real time; 1440: a day a minute; 0: time stands still at `origin`. */
  scale: number;
}

export const REAL_TIME: TimeScale = { origin: 0, scale: 1 };

/** The scaled time of the real instant `real` (ms). */
export function scaledTime(time: TimeScale, real: number): number {
  return time.scale === 1 ? real : time.origin + (real - time.origin) * time.scale;
}

/** The real instant (ms) at which scaled time reaches `scaled` (scale > 0). */
export function realTime(time: TimeScale, scaled: number): number {
  return time.scale === 1 ? scaled : time.origin + (scaled - time.origin) / time.scale;
}

/** A clock giving the scaled time of now. */
export function scaledClock(time: TimeScale, now: () => number = Date.now): () => Date {
  return () => new Date(scaledTime(time, now()));
}

/** The largest time scale: a day in under a hundredth of a second. */
export const MAX_TIME_SCALE = 10_000_000;

/** A time scale as written (`1440`, `0.5`, `0`): a number from 0 to MAX_TIME_SCALE; null otherwise. */
export function parseTimeScale(text: string): number | null {
  const trimmed = text.trim();
  const n = Number(trimmed);
  return /^\d+(\.\d+)?$/.test(trimmed) && n <= MAX_TIME_SCALE ? n : null;
}

/** A time origin as written: an ISO 8601 date-time with its offset (`2026-11-26T08:00:00Z`), as ms; null otherwise. */
export function parseTimeOrigin(text: string): number | null {
  const trimmed = text.trim();
  const n = Date.parse(trimmed);
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(trimmed) && !Number.isNaN(n) ? n : null;
}
