import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTickScan } from '../../src/sql/insert-tick-scan.js';
import { createDatabase, type Database } from '../../src/store/database.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// A continuous-mode tick chooses, in the statement that starts its scan, the customers due now:
// at most its budget, most urgent first (lower priority, then longest overdue); nobody not due,
// nobody untracked; nothing at all when nobody is due or a scan is running.

let t: TestDatabase;
let db: Database;
beforeAll(async () => {
  t = await createTestDatabase();
  db = createDatabase({ url: t.url });
});
afterAll(async () => {
  await db.close();
  await t.drop();
});

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe('a tick’s selection', () => {
  it('takes the most urgent due customers within the budget, in that order', async () => {
    await t.db.trackedCustomer.createMany({
      data: [
        { customerId: 'routine-old', duePriority: 3, dueAt: ago(600) },
        { customerId: 'routine-new', duePriority: 3, dueAt: ago(1) },
        { customerId: 'review', duePriority: 1, dueAt: ago(2) },
        { customerId: 'expiry-day', duePriority: 0, dueAt: ago(1) },
        { customerId: 'watch', duePriority: 2, dueAt: ago(30) },
        { customerId: 'not-yet', duePriority: 0, dueAt: new Date(Date.now() + 3_600_000) },
        { customerId: 'untracked', duePriority: 0, dueAt: ago(5), active: false },
      ],
    });
    const none = await db.withClient((c) => insertTickScan(c, crypto.randomUUID(), 'tick-0', 30_000, 0));
    expect(none).toBeNull();
    const scan = await db.withClient((c) => insertTickScan(c, crypto.randomUUID(), 'tick-1', 30_000, 4));
    expect(scan?.trigger).toBe('continuous');
    expect(scan?.selection).toEqual(['expiry-day', 'review', 'watch', 'routine-old']);
    // A scan is running: the next tick starts none.
    expect(await db.withClient((c) => insertTickScan(c, crypto.randomUUID(), 'tick-2', 30_000, 4))).toBeNull();
    await t.db.scan.update({ where: { id: scan?.id ?? '' }, data: { status: 'completed', runningSlot: null, finishedAt: new Date() } });
    // The same tick delivered twice starts nothing; the next takes everyone due.
    expect(await db.withClient((c) => insertTickScan(c, crypto.randomUUID(), 'tick-1', 30_000, 4))).toBeNull();
    const next = await db.withClient((c) => insertTickScan(c, crypto.randomUUID(), 'tick-3', 30_000, 100));
    expect(next?.selection).toEqual(['expiry-day', 'review', 'watch', 'routine-old', 'routine-new']);
  });
});
