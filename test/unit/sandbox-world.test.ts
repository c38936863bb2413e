import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPIRY_METADATA_NAMES, readExpiry } from '../../src/domain/expiry.js';
import { realTime, scaledClock, scaledTime } from '../../src/domain/time-scale.js';
import { customerIdFor, generatedDocuments, worldChanges, type World } from '../../src/sandbox/generator.js';

// The sandbox's world (SPEC §8): a pure function of seed, origin, customer and time. Its
// documents carry expiry dates, turn expired on them, settle, and are renewed; its change log
// says exactly what changed when.

const DAY = 86_400_000;
const world: World = { seed: 7, origin: Date.parse('2026-11-26T09:00:00Z') };
const names = new Set<string>(DEFAULT_EXPIRY_METADATA_NAMES);
const ids = Array.from({ length: 400 }, (_, i) => customerIdFor(i));

describe('the sandbox world', () => {
  it('is the same world for the same seed and origin, and another for another seed', () => {
    expect(generatedDocuments(world, 'cust-000001', world.origin + 5 * DAY)).toEqual(generatedDocuments({ ...world }, 'cust-000001', world.origin + 5 * DAY));
    const statuses = (w: World) => ids.slice(0, 50).flatMap((id) => generatedDocuments(w, id, w.origin).map((d) => d.status)).join();
    expect(statuses({ ...world, seed: 8 })).not.toBe(statuses(world));
  });

  it('starts with documents at every stage, most verified, and expiry dates mostly readable', () => {
    const counts: Record<string, number> = {};
    let readable = 0;
    let unreadable = 0;
    let none = 0;
    let total = 0;
    for (const id of ids) {
      for (const doc of generatedDocuments(world, id, world.origin)) {
        total++;
        counts[doc.status] = (counts[doc.status] ?? 0) + 1;
        const reading = readExpiry(doc.metadata, names, 'UTC');
        if (reading.expiresOn !== null) readable++;
        else if (reading.unreadable > 0) unreadable++;
        else none++;
        // Every document carries its page count, whatever else.
        expect(doc.metadata[0]).toMatchObject({ name: 'pages', type: 'Number' });
      }
    }
    for (const status of ['verified', 'underverification', 'declined', 'incomplete', 'expired']) expect(counts[status], status).toBeGreaterThan(0);
    expect((counts.verified ?? 0) / total).toBeGreaterThan(0.7);
    expect(readable / total).toBeGreaterThan(0.85);
    // A few in a format no reader should guess (31/03/2027), a few with no expiry entry at all.
    expect(unreadable).toBeGreaterThan(0);
    expect(none).toBeGreaterThan(0);
  });

  it('gives expiry dates in several formats that all name the same day', () => {
    const formats = new Set<string>();
    for (const id of ids) {
      for (const doc of generatedDocuments(world, id, world.origin)) {
        const entry = doc.metadata[1];
        if (!entry) continue;
        formats.add(`${entry.name}/${entry.type}/${/^\d{4}-\d{2}-\d{2}$/.test(entry.value) ? 'date' : /T/.test(entry.value) ? 'date-time' : /\//.test(entry.value) ? 'dd/mm/yyyy' : entry.value.length > 11 ? 'ms' : 's'}`);
      }
    }
    expect([...formats].sort()).toEqual(['Expiration Date/Number/s', 'expires/Number/ms', 'expiryDate/String/date', 'expiryDate/String/dd/mm/yyyy', 'valid_until/String/date-time']);
  });

  it('turns a verified document expired on the first moment of its expiry date, and says so in its change log', () => {
    const expiries = ids.flatMap((id) => worldChanges(world, id, world.origin, world.origin + 60 * DAY)).filter((c) => c.reason === 'expired');
    expect(expiries.length).toBeGreaterThan(20);
    for (const change of expiries) {
      expect(change).toMatchObject({ from: 'verified', to: 'expired' });
      expect(new Date(change.at).toISOString()).toBe(`${change.expiresOn}T00:00:00.000Z`);
      const doc = (at: number) => generatedDocuments(world, change.customerId, at).find((d) => d.name === change.name);
      expect(doc(change.at - 1)?.status).toBe('verified');
      expect(doc(change.at)?.status).toBe('expired');
      expect(readExpiry(doc(change.at)?.metadata, names, 'UTC').expiresOn ?? change.expiresOn).toBe(change.expiresOn);
    }
  });

  it('settles documents under verification to verified, declined or incomplete within days', () => {
    const settled = ids.flatMap((id) => worldChanges(world, id, world.origin, world.origin + 60 * DAY)).filter((c) => c.reason === 'settled');
    expect(new Set(settled.map((c) => c.to))).toEqual(new Set(['verified', 'declined', 'incomplete']));
    for (const change of settled) expect(change.from).toBe('underverification');
    // Each upload is reviewed within five days.
    for (const id of ids.slice(0, 100)) {
      const log = worldChanges(world, id, world.origin, world.origin + 60 * DAY);
      for (const upload of log.filter((c) => c.to === 'underverification' && c.at + 5 * DAY < world.origin + 60 * DAY)) {
        expect(log.some((c) => c.name === upload.name && c.reason === 'settled' && c.at > upload.at && c.at <= upload.at + 5 * DAY), `${id} ${upload.name}`).toBe(true);
      }
    }
  });

  it('renews some documents: a new expiry date, under verification again', () => {
    const renewals = ids.flatMap((id) => worldChanges(world, id, world.origin, world.origin + 60 * DAY)).filter((c) => c.reason === 'renewed');
    expect(renewals.some((c) => c.from === 'expired')).toBe(true);
    expect(renewals.some((c) => c.from === 'verified')).toBe(true);
    for (const renewal of renewals) {
      expect(renewal.to).toBe('underverification');
      const doc = (at: number) => generatedDocuments(world, renewal.customerId, at).find((d) => d.name === renewal.name);
      const before = readExpiry(doc(renewal.at - 1)?.metadata, names, 'UTC').expiresOn;
      const after = readExpiry(doc(renewal.at)?.metadata, names, 'UTC').expiresOn;
      if (after !== null) expect(after).toBe(renewal.expiresOn);
      // A renewal of a valid or expired document runs longer; a new upload after a decline may not.
      if (after !== null && before !== null && (renewal.from === 'verified' || renewal.from === 'expired')) expect(after > before).toBe(true);
    }
  });

  it('lists every status change, and only those: sampled every hour over 30 days', () => {
    for (const id of ids.slice(0, 40)) {
      const from = world.origin;
      const to = world.origin + 30 * DAY;
      const log = worldChanges(world, id, from, to);
      expect(log.map((c) => c.at)).toEqual([...log.map((c) => c.at)].sort((a, b) => a - b));
      let previous = generatedDocuments(world, id, from);
      for (let at = from + 3_600_000; at < to; at += 3_600_000) {
        const current = generatedDocuments(world, id, at);
        current.forEach((doc, i) => {
          if (doc.status === previous[i]?.status) return;
          const listed = log.filter((c) => c.name === doc.name && c.at > at - 3_600_000 && c.at <= at);
          expect(listed.at(-1)?.to, `${id} ${doc.name} at ${new Date(at).toISOString()}`).toBe(doc.status);
        });
        previous = current;
      }
    }
  });
});

describe('scaled time', () => {
  const scale = { origin: Date.parse('2026-11-26T09:00:00Z'), scale: 1440 };

  it.each([
    ['at the origin', 0, 0],
    ['a minute later: a day', 60_000, DAY],
    ['a second before: 24 minutes before', -1000, -1_440_000],
  ])('%s', (_what, realOffset, scaledOffset) => {
    expect(scaledTime(scale, scale.origin + realOffset)).toBe(scale.origin + scaledOffset);
    expect(realTime(scale, scale.origin + scaledOffset)).toBe(scale.origin + realOffset);
  });

  it('is real time at scale 1 and stands still at scale 0', () => {
    expect(scaledTime({ origin: 5, scale: 1 }, 1_000_000)).toBe(1_000_000);
    expect(scaledTime({ origin: 5, scale: 0 }, 1_000_000)).toBe(5);
  });

  it('gives two clocks with the same origin and scale the same time', () => {
    let now = scale.origin + 12_345;
    const a = scaledClock(scale, () => now);
    const b = scaledClock({ ...scale }, () => now);
    expect(a().getTime()).toBe(b().getTime());
    now += 30_000;
    expect(a().getTime() - scale.origin).toBe((12_345 + 30_000) * 1440);
  });
});
