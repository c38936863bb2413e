import { describe, expect, it } from 'vitest';
import { raisesAlert, type AlertRules } from '../../src/domain/alert-rules.js';
import type { ApiDocument } from '../../src/domain/documents.js';
import { diffDocuments, type DiffResult, type StoredState } from '../../src/domain/status-diff.js';

// Issue 9 item 3: among documents of one identity, unchanged pairs are matched first (same cleaned
// location and status), then by location, then by status, then by order; a reordering records nothing.

const rules: AlertRules = { statuses: ['expired', 'declined'], onBaseline: true };
const doc = (status: string, location: string | null = null, over: Partial<ApiDocument> = {}): ApiDocument => ({
  purpose: 'KYC',
  documentType: 'Passport',
  name: 'passport.pdf',
  location,
  status,
  verificationResponse: null,
  ...over,
});
const stateAfter = (r: DiffResult): StoredState => ({ documents: r.next, removed: r.removed, emptyPending: r.emptyPending });
const line = (c: DiffResult['changes'][number]) => `${c.kind}:${c.locationKey || c.name}:${c.previousStatus ?? '-'}>${c.newStatus ?? '-'}`;

/** Diffs `current` against the state a check of `previous` left. */
function diffAfter(previous: ApiDocument[], current: ApiDocument[]) {
  const r = diffDocuments(stateAfter(diffDocuments(null, previous)), current);
  return { events: r.changes.map(line), alerts: r.changes.filter((c) => raisesAlert(c, rules)).map(line), stored: r.snapshotChanged };
}

describe('pairing within one identity', () => {
  it.each([
    {
      name: 'two location-less duplicates swapped (the issue: was a false verified → expired alert)',
      previous: [doc('verified'), doc('expired')],
      current: [doc('expired'), doc('verified')],
      events: [],
      alerts: [],
    },
    {
      name: 'three location-less duplicates rotated',
      previous: [doc('verified'), doc('expired'), doc('declined')],
      current: [doc('declined'), doc('verified'), doc('expired')],
      events: [],
      alerts: [],
    },
    {
      name: 'duplicates with locations swapped, signed URLs changed',
      previous: [doc('verified', 'https://f/1.pdf?s=a'), doc('expired', 'https://f/2.pdf?s=a')],
      current: [doc('expired', 'https://f/2.pdf?s=b'), doc('verified', 'https://f/1.pdf?s=b')],
      events: [],
      alerts: [],
    },
    {
      name: 'one of two location-less duplicates gone: the one whose status is missing is removed',
      previous: [doc('verified'), doc('expired')],
      current: [doc('expired')],
      events: ['removed:passport.pdf:verified>-'],
      alerts: [],
    },
    {
      name: 'a location-less duplicate added before the first: the new one appears',
      previous: [doc('expired')],
      current: [doc('verified'), doc('expired')],
      events: ['appeared:passport.pdf:->verified'],
      alerts: [],
    },
    {
      name: 'unchanged pairs first, then by location',
      previous: [doc('verified', '/1'), doc('expired', '/2')],
      current: [doc('verified', '/2'), doc('verified', '/1')],
      events: ['status_changed:/2:expired>verified'],
      alerts: [],
    },
    {
      name: 'location before status: each document keeps its location and changes status',
      previous: [doc('verified', '/1'), doc('expired', '/2')],
      current: [doc('expired', '/1'), doc('declined', '/2')],
      events: ['status_changed:/1:verified>expired', 'status_changed:/2:expired>declined'],
      alerts: ['status_changed:/1:verified>expired', 'status_changed:/2:expired>declined'],
    },
    {
      name: 'status before order: locations all moved, statuses kept — nothing recorded',
      previous: [doc('verified', '/1'), doc('expired', '/2')],
      current: [doc('expired', '/3'), doc('verified', '/4')],
      events: [],
      alerts: [],
    },
    {
      name: 'location-less: the unchanged one pairs first, the other changes',
      previous: [doc('verified'), doc('expired')],
      current: [doc('expired'), doc('declined')],
      events: ['status_changed:passport.pdf:verified>declined'],
      alerts: ['status_changed:passport.pdf:verified>declined'],
    },
    {
      name: 'nothing in common but identity: by order of appearance',
      previous: [doc('verified', '/1'), doc('underverification', '/2')],
      current: [doc('expired', '/3'), doc('declined', '/4')],
      events: ['status_changed:/3:verified>expired', 'status_changed:/4:underverification>declined'],
      alerts: ['status_changed:/3:verified>expired', 'status_changed:/4:underverification>declined'],
    },
    {
      name: 'same location twice, one changed: the unchanged one pairs with itself',
      previous: [doc('verified', '/x'), doc('underverification', '/x')],
      current: [doc('declined', '/x'), doc('verified', '/x')],
      events: ['status_changed:/x:underverification>declined'],
      alerts: ['status_changed:/x:underverification>declined'],
    },
  ])('$name', ({ previous, current, events, alerts }) => {
    const result = diffAfter(previous, current);
    expect(result.events.sort()).toEqual([...events].sort());
    expect(result.alerts.sort()).toEqual([...alerts].sort());
  });

  it('alternating order every scan records nothing after the baseline', () => {
    const a = [doc('verified'), doc('expired')];
    let state = stateAfter(diffDocuments(null, a));
    for (let scan = 0; scan < 6; scan++) {
      const result = diffDocuments(state, scan % 2 ? a : [...a].reverse());
      expect(result.changes).toEqual([]);
      expect(result.snapshotChanged).toBe(false);
      state = stateAfter(result);
    }
  });

  it('identical duplicates pair with each other first, so swapping them stores nothing', () => {
    const a = [doc('verified', null, { verificationResponse: 'first' }), doc('verified', null, { verificationResponse: 'second' })];
    expect(diffAfter(a, [...a].reverse())).toEqual({ events: [], alerts: [], stored: false });
  });

  it('stored snapshots out of position order are read in position order', () => {
    const first = diffDocuments(null, [doc('verified', '/1'), doc('expired', '/2')]);
    const shuffled = { ...stateAfter(first), documents: [...first.next].reverse() };
    expect(diffDocuments(shuffled, [doc('verified', '/1'), doc('expired', '/2')]).changes).toEqual([]);
    expect(diffDocuments(shuffled, [doc('verified', '/1'), doc('declined', '/2')]).changes.map(line)).toEqual(['status_changed:/2:expired>declined']);
  });
});

describe('identity is purpose + documentType + name', () => {
  it.each([
    ['purpose', { purpose: 'KYB' }],
    ['documentType', { documentType: 'ID front side' }],
    ['name', { name: 'other.pdf' }],
  ])('a different %s is another document, even at the same location', (_, over) => {
    const result = diffAfter([doc('verified', '/same')], [doc('verified', '/same', over)]);
    expect(result.events.sort()).toEqual([`appeared:/same:->verified`, 'removed:/same:verified>-']);
  });

  it('identities that would run together when concatenated stay apart', () => {
    const a = { documentType: 'ab', name: 'c' };
    const b = { documentType: 'a', name: 'bc' };
    expect(diffAfter([doc('verified', null, a)], [doc('verified', null, b)]).events.sort()).toEqual(['appeared:bc:->verified', 'removed:c:verified>-']);
  });

  it('identity text with separators, quotes and NUL is compared exactly', () => {
    const odd = { purpose: 'K"Y,C', documentType: '1:x\u0000', name: '["a","b"]' };
    expect(diffAfter([doc('verified', null, odd)], [doc('verified', null, odd)]).events).toEqual([]);
  });
});

/** A small seeded generator, so that a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomResponse(next: () => number): ApiDocument[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  // Few identities, locations and statuses, so that duplicates of every kind are common.
  return Array.from({ length: Math.floor(next() * 12) }, () =>
    doc(pick(['verified', 'expired', 'declined', 'EXPIRED', ' Verified ', 'incomplete']), pick([null, null, '/1', '/2', `/1?sig=${next()}`]), {
      name: pick(['a', 'b']),
      purpose: pick(['KYC', 'KYB']),
      verificationResponse: pick([null, 'ok', 'no']),
    }),
  );
}

function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('property: a permutation of a response changes nothing against its own state', () => {
  it.each(Array.from({ length: 20 }, (_, k) => 1000 + k))('seed %i (50 responses, 5 permutations each)', (seed) => {
    const next = random(seed);
    for (let n = 0; n < 50; n++) {
      const response = randomResponse(next);
      // Its own state after a baseline, and after a check that changed something (an empty
      // answer after documents only marks them pending: that state is not the response's own).
      const changed = diffDocuments(stateAfter(diffDocuments(null, randomResponse(next))), response);
      const states = [stateAfter(diffDocuments(null, response)), ...(changed.emptyPending ? [] : [stateAfter(changed)])];
      for (const state of states) {
        for (let p = 0; p < 5; p++) {
          const permuted = shuffle(response, next);
          const result = diffDocuments(state, permuted);
          expect({ response, permuted, changes: result.changes }).toEqual({ response, permuted, changes: [] });
          expect(result.snapshotChanged).toBe(false);
        }
      }
    }
  });

  it.each(Array.from({ length: 10 }, (_, k) => 2000 + k))('seed %i: events add up (appeared − removed = count difference)', (seed) => {
    const next = random(seed);
    for (let n = 0; n < 100; n++) {
      const before = randomResponse(next);
      const after = randomResponse(next);
      const result = diffDocuments(stateAfter(diffDocuments(null, before)), after);
      const count = (kind: string) => result.changes.filter((c) => c.kind === kind).length;
      // An empty answer after documents records nothing until it is confirmed.
      const expected = after.length === 0 && before.length > 0 ? 0 : after.length - before.length;
      expect(count('appeared') - count('removed')).toBe(expected);
      if (!result.emptyPending) expect(diffDocuments(stateAfter(result), shuffle(after, next)).changes).toEqual([]);
    }
  });
});
