import { describe, expect, it } from 'vitest';
import { defaultPolicy, nextDue } from '../../dist/domain/check-policy.js';
import { generatedDocuments, type World } from '../../dist/sandbox/generator.js';
import { steadyState, verifyStates, worldTables } from '../../bench/detection-world.ts';
import { DocumentStates, STATUSES, undoneBy, type WorldTables } from '../../bench/document-states.ts';
import { IndexHeap } from '../../bench/index-heap.ts';
import { percentile, spread } from '../../bench/percentiles.ts';

// The time-to-alert simulation's helpers (bench/parts/detection.ts): its queue of customers by
// due time, the percentiles it reports, and the documents its checks see.

describe('IndexHeap', () => {
  it('pops ids by key, then by id', () => {
    const keys = Float64Array.from([5, 1, 3, 1, 9, 0]);
    const heap = new IndexHeap(keys.length, keys);
    for (const id of [0, 1, 2, 3, 4, 5]) heap.push(id);
    expect(heap.size).toBe(6);
    expect(heap.peek()).toBe(5);
    expect(Array.from({ length: 6 }, () => heap.pop())).toEqual([5, 1, 3, 2, 0, 4]);
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBe(-1);
    expect(heap.peek()).toBe(-1);
  });

  it('takes an id again once popped, under a new key', () => {
    const keys = Float64Array.from([1, 2]);
    const heap = new IndexHeap(2, keys);
    heap.push(0);
    heap.push(1);
    expect(heap.pop()).toBe(0);
    keys[0] = 3;
    heap.push(0);
    expect([heap.pop(), heap.pop()]).toEqual([1, 0]);
  });

  it('agrees with sorting, for random keys with ties, pushes and pops interleaved', () => {
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 50);
    const n = 2000;
    const keys = Float64Array.from({ length: n }, random);
    const heap = new IndexHeap(n, keys);
    const popped: number[] = [];
    for (let id = 0; id < n; id++) {
      heap.push(id);
      if (id % 3 === 2) popped.push(heap.pop());
    }
    while (heap.size > 0) popped.push(heap.pop());
    expect(new Set(popped).size).toBe(n);
    // After the interleaved part, what is left comes out in order.
    const rest = popped.slice(Math.floor(n / 3));
    const order = (a: number, b: number) => keys[a]! - keys[b]! || a - b;
    expect(rest).toEqual([...rest].sort(order));
  });

  it('refuses more ids than its capacity', () => {
    const heap = new IndexHeap(1, new Float64Array(2));
    heap.push(0);
    expect(() => heap.push(1)).toThrow(/full \(capacity 1\)/);
  });
});

describe('percentile (nearest rank)', () => {
  const sorted = Array.from({ length: 20 }, (_, i) => i + 1);

  it.each([
    [0.5, 10],
    [0.95, 19],
    [1, 20],
    [0.01, 1],
  ])('p%s of 1…20 is %s', (p, expected) => expect(percentile(sorted, p)).toBe(expected));

  it('gives the one value of one, and NaN for none', () => {
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('refuses p outside (0, 1]', () => {
    expect(() => percentile(sorted, 0)).toThrow(RangeError);
    expect(() => percentile(sorted, 95)).toThrow(/got 95/);
  });

  it('spread sorts a copy: count, p50, p95, max', () => {
    const values = [30, 10, 20, 40];
    expect(spread(values)).toEqual({ count: 4, p50: 20, p95: 40, max: 40 });
    expect(values).toEqual([30, 10, 20, 40]);
    expect(spread([]).count).toBe(0);
  });
});

describe('DocumentStates', () => {
  // Customer 0: two documents; customer 1: one. Codes as in STATUSES.
  const code = (s: (typeof STATUSES)[number]) => STATUSES.indexOf(s);
  const tables: WorldTables = {
    customers: 2,
    slots: Uint8Array.from([2, 1]),
    status: Uint8Array.from([code('verified'), code('underverification'), 0, 0, 0, code('verified'), 0, 0, 0, 0]),
    expiresOn: ['2026-12-05', null, null, null, null, null, null, null, null, null],
    readable: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    first: Int32Array.from([0, 3, 4]),
    // 0: doc 0 expires at 10; 1: doc 1 settles declined at 20; 2: doc 0 renewed at 30. 3: customer 1's doc expires at 15.
    at: Float64Array.from([10, 20, 30, 15]),
    slot: Uint8Array.from([0, 1, 0, 0]),
    from: Uint8Array.from([code('verified'), code('underverification'), code('expired'), code('verified')]),
    to: Uint8Array.from([code('expired'), code('declined'), code('underverification'), code('expired')]),
    changeExpiresOn: ['2026-12-05', '2027-01-01', '2028-01-01', '2027-02-02'],
  };

  it('applies a customer’s changes up to a time, at most once, with the expiry date the metadata lets the monitor read', () => {
    const states = new DocumentStates(tables);
    expect(states.advance(0, 9)).toBe(0);
    expect(states.documents(0)).toEqual([
      { status: 'verified', expiresOn: '2026-12-05' },
      { status: 'underverification', expiresOn: null },
    ]);
    expect(states.advance(0, 20)).toBe(2);
    expect(states.advance(0, 20)).toBe(2);
    expect(states.documents(0)).toEqual([
      { status: 'expired', expiresOn: '2026-12-05' },
      { status: 'declined', expiresOn: null },
    ]);
    expect(states.advance(0, 100)).toBe(3);
    expect(states.documents(0)[0]).toEqual({ status: 'underverification', expiresOn: '2028-01-01' });
    // Another customer's changes are its own; the tables themselves are not changed.
    expect(states.documents(1)).toEqual([{ status: 'verified', expiresOn: null }]);
    expect(states.advance(1, 15)).toBe(4);
    expect(states.documents(1)).toEqual([{ status: 'expired', expiresOn: null }]);
    expect(tables.status[0]).toBe(code('verified'));
  });

  it('fails when a change does not start from what the document was', () => {
    const wrong = { ...tables, from: Uint8Array.from([code('declined'), 0, 0, 0]) };
    expect(() => new DocumentStates(wrong).advance(0, 10)).toThrow(/changed from declined but was verified/);
  });

  it('undoneBy: a later change of the same document at or before the check', () => {
    expect(undoneBy(tables, 0, 0, 29)).toBe(false);
    expect(undoneBy(tables, 0, 0, 30)).toBe(true);
    // Change 1 is another document's.
    expect(undoneBy(tables, 1, 0, 100)).toBe(false);
    expect(undoneBy(tables, 3, 1, 100)).toBe(false);
  });
});

describe('the simulated world and its start (bench/detection-world.ts)', () => {
  const DAY = 86_400_000;
  const world: World = { seed: 1, origin: Date.parse('2026-12-01T00:00:00Z') };

  it('tables from an instant after the origin: the documents then, brought up to a day later by their changes', () => {
    const start = world.origin + 1.5 * DAY;
    const tables = worldTables(world, 50, start + DAY, start);
    const states = new DocumentStates(tables);
    // At the start, as the generator says.
    expect(states.documents(7).map((d) => d.status)).toEqual(generatedDocuments(world, 'cust-000008', start).map((d) => d.status));
    expect(() => verifyStates(world, tables, start + DAY - 1, 50)).not.toThrow();
    expect(tables.at.every((at) => at > start && at < start + DAY)).toBe(true);
  });

  it('steadyState: the previous check within the wait its documents give, before the start; due as that check made it due', () => {
    const rules = defaultPolicy(24, 'UTC');
    const start = world.origin + 0.4 * DAY;
    const documents = [
      { status: 'underverification', expiresOn: null },
      { status: 'verified', expiresOn: '2027-03-01' },
    ];
    const wait = nextDue(documents, start, rules).at - start;
    expect(wait).toBe(20 * 60_000);
    const lasts = Array.from({ length: 10 }, (_, i) => steadyState(documents, i, 10, start, rules));
    for (const { last, due } of lasts) {
      expect(last).toBeLessThanOrEqual(start);
      expect(last).toBeGreaterThan(start - wait);
      expect(due).toEqual(nextDue(documents, last, rules));
    }
    // Spread: ten customers, ten different previous checks.
    expect(new Set(lasts.map((s) => s.last)).size).toBe(10);
  });
});
