import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StartupAborted, WorkerRuntime, type WorkerFunctions } from '../../src/runtime/worker-runtime.js';

// The worker's runtime with functions of the test's own: the people's pages are a step of their
// own, started after the migrations and closed on shutdown before the health server and the
// connections; a server still starting when the stop comes is closed, not left listening.

const timings = { deliveryEveryMs: 60_000, catchUpEveryMs: 60_000, overdueEveryMs: 60_000, queueCheckEveryMs: 60_000, followUpEveryMs: 60_000, summaryEveryMs: 60_000, shutdownMs: 5_000 };

function functions(steps: string[], over: Partial<WorkerFunctions> = {}): WorkerFunctions {
  const server = (name: string) => async () => {
    steps.push(`start ${name}`);
    return { close: async () => void steps.push(`close ${name}`) };
  };
  return {
    checkRedis: async () => void steps.push('redis'),
    migrate: async () => (steps.push('migrate'), []),
    registerSchedule: async () => void steps.push('schedule'),
    repairQueues: async () => false,
    catchUp: async () => undefined,
    startQueueWorkers: () => (steps.push('queue workers'), { close: async () => void steps.push('close queue workers') }),
    deliver: async () => undefined,
    followUpCases: async () => false,
    queueSummary: async () => false,
    checkOverdue: async () => undefined,
    startHttp: server('http'),
    startWeb: server('web'),
    close: async () => void steps.push('close connections'),
    ...over,
  };
}

describe('worker runtime: the case pages', () => {
  it('start after the migrations and close before the health server and the connections', async () => {
    const steps: string[] = [];
    const runtime = new WorkerRuntime(functions(steps), timings, pino({ level: 'silent' }));
    const stop = new AbortController();
    const running = runtime.run(stop.signal);
    await new Promise<void>((resolve) => {
      const look = () => (steps.includes('queue workers') ? resolve() : setTimeout(look, 5));
      look();
    });
    stop.abort();
    await running;
    expect(steps).toEqual(['start http', 'redis', 'migrate', 'start web', 'schedule', 'queue workers', 'close queue workers', 'close web', 'close http', 'close connections']);
  });

  it('are not served when off (null)', async () => {
    const steps: string[] = [];
    const stop = new AbortController();
    const running = new WorkerRuntime(functions(steps, { startWeb: async () => null }), timings, pino({ level: 'silent' })).run(stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop.abort();
    await running;
    expect(steps.filter((s) => s.includes('web'))).toEqual([]);
  });

  it('still starting when the stop comes: closed once they have started, not left listening', async () => {
    const steps: string[] = [];
    const stop = new AbortController();
    let closed!: () => void;
    const closedNow = new Promise<void>((resolve) => (closed = resolve));
    const startWeb = async () => {
      steps.push('start web');
      stop.abort();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return {
        close: async () => {
          steps.push('close web');
          closed();
        },
      };
    };
    const running = new WorkerRuntime(functions(steps, { startWeb }), timings, pino({ level: 'silent' })).run(stop.signal);
    await expect(running).rejects.toBeInstanceOf(StartupAborted);
    await closedNow;
    expect(steps).toEqual(['start http', 'redis', 'migrate', 'start web', 'close http', 'close connections', 'close web']);
  });
});
