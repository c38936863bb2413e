import { setTimeout as delay } from 'node:timers/promises';
import { afterAll } from 'vitest';

// A test file that leaves a connection, a server or a timer behind fails (Graphile Worker's
// "failed to release all workers" is the model): a leak in a test is often a leak in the product.
// Runs after the file's own afterAll hooks. Sockets being closed get a moment to go.

const LEAKS = new Set(['TCPSocketWrap', 'TCPServerWrap', 'Timeout']);

afterAll(async () => {
  let left: string[] = [];
  for (let i = 0; i < 40; i++) {
    left = process.getActiveResourcesInfo().filter((r) => LEAKS.has(r));
    if (left.length === 0) return;
    await delay(50);
  }
  throw new Error(`the test file left open: ${left.join(', ')} (close every pool, server, client and timer it made)`);
});
