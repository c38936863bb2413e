import { describe, expect, it } from 'vitest';
import { raisesAlert, type AlertRules } from '../../src/domain/alert-rules.js';
import type { ApiDocument } from '../../src/domain/documents.js';
import { diffDocuments, TOMBSTONES_KEPT, type DiffResult, type DocumentChange, type StoredState } from '../../src/domain/status-diff.js';

// Issue 9 item 4: an empty answer is recorded only when the next check confirms it, and a document
// that reappears in the status it had when it was removed raises no alert.

const rules: AlertRules = { statuses: ['expired', 'declined'], onBaseline: true };
const doc = (name: string, status: string, location: string | null = null): ApiDocument => ({
  purpose: 'KYC',
  documentType: 'Passport',
  name,
  location,
  status,
  verificationResponse: null,
});
const line = (c: DocumentChange) => `${c.kind}:${c.name}${c.locationKey}:${c.previousStatus ?? '-'}>${c.newStatus ?? '-'}${c.reappeared ? ':reappeared' : ''}`;
const stateAfter = (r: DiffResult): StoredState => ({ documents: r.next, removed: r.removed, emptyPending: r.emptyPending });

/** Runs checks one after the other from a customer's baseline; what each recorded and stored. */
function checks(...responses: ApiDocument[][]) {
  let state: StoredState | null = null;
  return responses.map((response) => {
    const result: DiffResult = diffDocuments(state, response);
    state = stateAfter(result);
    return {
      events: result.changes.map(line),
      alerts: result.changes.filter((c) => raisesAlert(c, rules)).map(line),
      stored: result.snapshotChanged,
      pending: result.emptyPending,
      documents: result.next.length,
      tombstones: result.removed.length,
    };
  });
}

const STATUSES = ['verified', 'expired', 'declined', 'incomplete'];
const many = (n: number) => Array.from({ length: n }, (_, i) => doc(`d${i}`, STATUSES[i % 4] as string, `/f/${i}.pdf?sig=${i}`));
const countOf = (lines: string[], prefix: string) => lines.filter((l) => l.startsWith(prefix)).length;

describe('an answer with no documents', () => {
  it('400 documents, one empty answer, the real answer: nothing recorded, nothing alerted (the issue)', () => {
    const [, empty, back] = checks(many(400), [], many(400));
    expect(empty).toEqual({ events: [], alerts: [], stored: true, pending: true, documents: 400, tombstones: 0 });
    expect(back).toEqual({ events: [], alerts: [], stored: true, pending: false, documents: 400, tombstones: 0 });
  });

  it('a real answer after the empty one is diffed against the kept snapshots', () => {
    const [, , back] = checks([doc('a', 'verified'), doc('b', 'verified')], [], [doc('a', 'expired'), doc('b', 'verified')]);
    expect(back).toMatchObject({ events: ['status_changed:a:verified>expired'], alerts: ['status_changed:a:verified>expired'], pending: false });
  });

  it('a second empty answer confirms: the removals are recorded then, without alert', () => {
    const [, first, second, third] = checks(many(400), [], [], []);
    expect(first).toMatchObject({ events: [], pending: true, documents: 400 });
    expect(countOf(second?.events ?? [], 'removed:')).toBe(400);
    expect(second).toMatchObject({ alerts: [], stored: true, pending: false, documents: 0, tombstones: 400 });
    expect(third).toEqual({ events: [], alerts: [], stored: false, pending: false, documents: 0, tombstones: 400 });
  });

  it('empty, then the documents reordered: nothing recorded', () => {
    const [, , back] = checks([doc('a', 'expired'), doc('b', 'verified')], [], [doc('b', 'verified'), doc('a', 'expired')]);
    expect(back).toMatchObject({ events: [], alerts: [], pending: false, documents: 2 });
  });

  it('empty, then some of the documents: those missing are removed at once', () => {
    const [, , back] = checks([doc('a', 'expired'), doc('b', 'verified')], [], [doc('a', 'expired')]);
    expect(back).toMatchObject({ events: ['removed:b:verified>-'], alerts: [], pending: false, documents: 1, tombstones: 1 });
  });

  it('an answer that removes only some documents is recorded at once', () => {
    const [, partial] = checks([doc('a', 'expired'), doc('b', 'verified')], [doc('a', 'expired')]);
    expect(partial).toMatchObject({ events: ['removed:b:verified>-'], pending: false });
  });

  it('a baseline with no documents is nothing pending, and neither is an empty answer after it', () => {
    expect(checks([], [], [doc('a', 'expired')])).toEqual([
      { events: [], alerts: [], stored: true, pending: false, documents: 0, tombstones: 0 },
      { events: [], alerts: [], stored: false, pending: false, documents: 0, tombstones: 0 },
      { events: ['appeared:a:->expired'], alerts: ['appeared:a:->expired'], stored: true, pending: false, documents: 1, tombstones: 0 },
    ]);
  });

  it('the pending mark on a customer with no snapshots is cleared by any answer', () => {
    const result = diffDocuments({ documents: [], removed: [], emptyPending: true }, []);
    expect(result).toMatchObject({ changes: [], emptyPending: false, snapshotChanged: true });
  });

  it('empty, real, empty, real: nothing recorded at all', () => {
    const results = checks(many(10), [], many(10), [], many(10));
    expect(results.slice(1).map((r) => r.events)).toEqual([[], [], [], []]);
    expect(results.map((r) => r.pending)).toEqual([false, true, false, true, false]);
  });
});

describe('tombstones: a document back in the status it was removed in', () => {
  it('400 documents removed (confirmed) then back: appeared again, no alert (the issue)', () => {
    const [, , removed, back] = checks(many(400), [], [], many(400));
    expect(removed?.tombstones).toBe(400);
    expect(back?.events).toHaveLength(400);
    expect(back?.events.every((e) => e.startsWith('appeared:') && e.endsWith(':reappeared'))).toBe(true);
    expect(back).toMatchObject({ alerts: [], documents: 400, tombstones: 0 });
  });

  it.each([
    { name: 'same status: no alert', back: 'expired', alerts: 0, reappeared: true },
    { name: 'same status in other case and spacing: no alert', back: ' EXPIRED ', alerts: 0, reappeared: true },
    { name: 'another alert status: alert', back: 'declined', alerts: 1, reappeared: false },
    { name: 'a status that does not alert: no alert', back: 'verified', alerts: 0, reappeared: false },
  ])('removed as expired, back as $back — $name', ({ back, alerts, reappeared }) => {
    const [, removed, returned] = checks([doc('a', 'expired'), doc('x', 'verified')], [doc('x', 'verified')], [doc('a', back), doc('x', 'verified')]);
    expect(removed?.events).toEqual(['removed:a:expired>-']);
    expect(returned?.events).toEqual([`appeared:a:->${back}${reappeared ? ':reappeared' : ''}`]);
    expect(returned?.alerts).toHaveLength(alerts);
    expect(returned?.tombstones).toBe(0);
  });

  it('removed as verified, back as expired: alert', () => {
    const [, , returned] = checks([doc('a', 'verified'), doc('x', 'verified')], [doc('x', 'verified')], [doc('a', 'expired'), doc('x', 'verified')]);
    expect(returned?.alerts).toEqual(['appeared:a:->expired']);
  });

  it('a tombstone is consumed: a second copy appearing later alerts', () => {
    const x = doc('x', 'verified');
    const results = checks([doc('a', 'expired'), x], [x], [doc('a', 'expired'), x], [doc('a', 'expired'), doc('a', 'expired'), x]);
    expect(results[2]?.alerts).toEqual([]);
    expect(results[3]?.events).toEqual(['appeared:a:->expired']);
    expect(results[3]?.alerts).toEqual(['appeared:a:->expired']);
  });

  it('paired by location first: back at the location of the verified one, as expired, alerts', () => {
    const x = doc('x', 'verified');
    const [, , returned] = checks([doc('a', 'expired', '/1'), doc('a', 'verified', '/2'), x], [x], [doc('a', 'expired', '/2?s=2'), x]);
    expect(returned?.events).toEqual(['appeared:a/2:->expired']);
    expect(returned?.alerts).toEqual(['appeared:a/2:->expired']);
    expect(returned?.tombstones).toBe(1);
  });

  it('location-less duplicates back in the other order: no alert', () => {
    const x = doc('x', 'verified');
    const [, , returned] = checks([doc('a', 'verified'), doc('a', 'expired'), x], [x], [doc('a', 'expired'), doc('a', 'verified'), x]);
    expect(returned?.alerts).toEqual([]);
    expect(returned?.tombstones).toBe(0);
  });

  it('identity decides: another document at the removed one’s location is new', () => {
    const x = doc('x', 'verified');
    const [, , returned] = checks([doc('a', 'expired', '/1'), x], [x], [doc('b', 'expired', '/1'), x]);
    expect(returned?.alerts).toEqual(['appeared:b/1:->expired']);
    expect(returned?.tombstones).toBe(1);
  });

  it(`at most ${TOMBSTONES_KEPT}, or as many as the customer had documents, kept: the most recent first`, () => {
    const n = TOMBSTONES_KEPT + 500;
    const a = Array.from({ length: n }, (_, i) => doc(`a${i}`, 'expired'));
    const b = Array.from({ length: n }, (_, i) => doc(`b${i}`, 'verified'));
    const [, , removedA, , , removedB, back] = checks(a, [], [], b, [], [], a);
    // Every document the customer had is remembered when it loses them all …
    expect(removedA?.tombstones).toBe(n);
    // … but no more than that: the later removals push the older ones out, and those alert again.
    expect(removedB?.tombstones).toBe(n);
    expect(back?.alerts).toHaveLength(n);
    expect(back?.alerts[0]).toBe('appeared:a0:->expired');
  });

  it('newer removals push out the oldest tombstones', () => {
    const old = doc('old', 'expired');
    const filler = Array.from({ length: TOMBSTONES_KEPT }, (_, i) => doc(`f${i}`, 'verified'));
    const filler2 = Array.from({ length: TOMBSTONES_KEPT }, (_, i) => doc(`g${i}`, 'verified'));
    const x = doc('x', 'verified');
    const results = checks([old, ...filler, x], [...filler, x], [...filler2, x], [x], [old, x]);
    expect(results[1]?.tombstones).toBe(1);
    expect(results[2]?.tombstones).toBe(TOMBSTONES_KEPT + 1);
    expect(results[3]?.tombstones).toBe(TOMBSTONES_KEPT + 1);
    expect(results[4]?.alerts).toEqual(['appeared:old:->expired']);
  });

  it('an answer flipping between 5,000 documents and 200 of them raises no alert after the first (attack)', () => {
    const all = Array.from({ length: 5_000 }, (_, i) => doc(`d${i}`, 'expired'));
    const few = all.slice(0, 200);
    const results = checks(all, few, all, few, all);
    expect(results[0]?.alerts).toHaveLength(5_000);
    // Was: 3,800 alerts again at each return (only 1,000 of the 4,800 removed were remembered).
    for (const r of results.slice(1)) expect(r.alerts).toEqual([]);
    expect(results[1]?.tombstones).toBe(4_800);
    expect(results[2]?.tombstones).toBe(0);
  });

  it('a baseline has no tombstones: every document in an alert status alerts', () => {
    expect(checks([doc('a', 'expired')])[0]).toMatchObject({ alerts: ['appeared:a:->expired'], tombstones: 0 });
  });
});
