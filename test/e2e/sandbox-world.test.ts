import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPIRY_METADATA_NAMES, readExpiry } from '../../src/domain/expiry.js';
import { realTime, scaledTime } from '../../src/domain/time-scale.js';
import { customerIdFor, generatedDocuments, worldChanges, type World } from '../../src/sandbox/generator.js';
import { csvRows } from '../support/smtp.js';
import { scanFixture } from '../support/scan-fixture.js';

// The monitor and the sandbox's world on one clock running a day and a half a second (TIME_SCALE
// and `--time-scale`, one origin): a document of the generated world is warned about 30 days and
// then 7 days before the expiry date its metadata carries, and alerted on that date, as the
// sandbox's change log says it expired. (The rules themselves: expiry-warnings and expiry-dates tests.)
// Each scan has at least 4.6 real seconds (6.9 world days) to make its check in, on a busy machine.

const DAY = 86_400_000;
const time = { origin: Date.now(), scale: 129_600 };
const world: World = { seed: 11, origin: time.origin };
const names = new Set<string>(DEFAULT_EXPIRY_METADATA_NAMES);

/**
 * The verified document of the world expiring first among those whose expiry date (ISO in
 * their metadata) is at least 38 days ahead of the world's time now (the test may start a while
 * after the world did: a busy machine), that nothing happens to before it expires nor in the 12
 * days after.
 */
function target() {
  const now = scaledTime(time, Date.now());
  let best: { id: string; doc: ReturnType<typeof generatedDocuments>[number]; expiresOn: string; expiresAt: number } | undefined;
  for (let i = 0; i < 400; i++) {
    const id = customerIdFor(i);
    for (const doc of generatedDocuments(world, id, now)) {
      const expiresOn = readExpiry(doc.metadata, names, 'UTC').expiresOn;
      if (doc.status !== 'verified' || expiresOn === null) continue;
      const expiresAt = Date.parse(`${expiresOn}T00:00:00Z`);
      if (expiresAt < now + 38 * DAY || (best && expiresAt >= best.expiresAt)) continue;
      const changes = worldChanges(world, id, now, expiresAt + 12 * DAY).filter((c) => c.name === doc.name);
      if (changes.length === 1 && changes[0]?.reason === 'expired' && changes[0].at === expiresAt) best = { id, doc, expiresOn, expiresAt };
    }
  }
  if (!best) throw new Error('no document of the world fits (the generator changed?)');
  return best;
}

const f = scanFixture(
  { ALERT_BATCH_SECONDS: '0', TIME_SCALE: String(time.scale), TIME_ORIGIN: new Date(time.origin).toISOString(), EXPIRY_WARNING_DAYS: '30,7' },
  { customers: 400, seed: world.seed, origin: world.origin, timeScale: time.scale },
);

/** Waits until the world's time reaches `at`. */
const until = (at: number) => sleep(Math.max(0, realTime(time, at) - Date.now()));

describe('the monitor in the sandbox world, a day and a half a second', () => {
  it('warns 30 and then 7 days before a document expires, and alerts on its expiry date', async () => {
    const { id, doc, expiresOn, expiresAt } = target();
    await f.trackIds([id]);
    const warned = async () =>
      (await f.t.db.$queryRaw<Array<{ warned_days: number | null; status: string }>>`SELECT warned_days, status FROM document_snapshots WHERE customer_id = ${id} AND name = ${doc.name}`)[0];
    const alerts = () => f.t.db.alert.findMany({ where: { customerId: id, documentName: doc.name }, orderBy: { id: 'asc' } });

    // Checked at least 8 days before the 30 days start.
    await f.scanSummary();
    expect(await warned()).toEqual({ warned_days: null, status: 'verified' });

    // Checked within 30 days but before the last 7 (22 world days for it).
    await until(expiresAt - 29 * DAY);
    await f.scanSummary();
    expect(await warned()).toEqual({ warned_days: 30, status: 'verified' });

    // Checked within the last 7 days (6.9 world days for it, from 02:24 of the 7th day before).
    await until(expiresAt - 6.9 * DAY);
    await f.scanSummary();
    expect(await warned()).toEqual({ warned_days: 7, status: 'verified' });

    // Checked after the expiry, before anything else happens to the document (11.5 world days).
    await until(expiresAt + 0.5 * DAY);
    await f.scanSummary();
    expect((await warned())?.status).toBe('expired');
    expect((await alerts()).map((a) => [a.kind, a.previousStatus, a.newStatus, a.expiresOn?.toISOString().slice(0, 10)])).toEqual([
      ['expiring', 'verified', 'expiring', expiresOn],
      ['expiring', 'verified', 'expiring', expiresOn],
      ['document', 'verified', 'expired', expiresOn],
    ]);
    // Each went out by email: two warnings, then the expiry, with its case.
    const rows = f.smtp.messages.flatMap((m) => csvRows(m)).filter((r) => r.customer_id === id && r.document_name === doc.name);
    expect(rows.map((r) => [r.new_status, r.expires_on, r.case_id === '' ? '' : 'case'])).toEqual([
      ['expiring', expiresOn, ''],
      ['expiring', expiresOn, ''],
      ['expired', expiresOn, 'case'],
    ]);
    // Days left as the check counted them, on the world's clock: within 30, then within 7.
    const daysLeft = f.smtp.messages
      .map((m) => new RegExp(`Expires on ${expiresOn} \\((in (\\d+) days|tomorrow|today)\\)`).exec(m.parsed.text ?? ''))
      .filter((m) => m !== null)
      .map((m) => (m[2] ? Number(m[2]) : m[1] === 'tomorrow' ? 1 : 0));
    expect(daysLeft).toHaveLength(2);
    expect(daysLeft[0]).toBeLessThanOrEqual(30);
    expect(daysLeft[0]).toBeGreaterThan(7);
    expect(daysLeft[1]).toBeLessThanOrEqual(7);
    // The sandbox's change log says when it expired.
    const log = (await (await fetch(`${f.sandbox.url}/_sandbox/changes?customer=${id}&from=${expiresAt - 30 * DAY}`)).json()) as { changes: Array<{ at: string; name: string; from: string; to: string }> };
    expect(log.changes.filter((c) => c.name === doc.name)).toEqual([expect.objectContaining({ at: new Date(expiresAt).toISOString(), from: 'verified', to: 'expired' })]);
  });
});
