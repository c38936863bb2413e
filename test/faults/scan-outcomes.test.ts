import { describe, expect, it } from 'vitest';
import { freePort } from '../support/servers.js';
import { scanFixture } from '../support/scan-fixture.js';

// Scans that tell the truth (issue 9, item 14): a scan in which every check failed, or most for
// one reason, is a failed scan with one operations alert per incident; customers crossing the
// failure streak in one scan are listed in one email. The CLI runs as a child process.

const f = scanFixture({ SCAN_LEASE_SECONDS: '2' });
const ids = (n: number, p = 'c') => Array.from({ length: n }, (_, i) => `${p}-${String(i).padStart(4, '0')}`);
const opsAlerts = async (subject: string) => f.t.db.alert.findMany({ where: { kind: 'ops', subject: { contains: subject } }, orderBy: { id: 'asc' } });

describe('a scan where the checks fail for one reason', () => {
  it('the API unreachable: a failed scan, exit 1, one operations alert per incident, no alert per customer', async () => {
    await f.track(ids(6));
    const closed = `http://127.0.0.1:${await freePort()}`;
    for (let i = 0; i < 3; i++) {
      const scan = await f.scanJson({ CYREXA_BASE_URL: closed });
      expect(scan.code, scan.stderr).toBe(1);
      expect(scan.json).toMatchObject({ status: 'failed', customers: 6, checked: 0, failed: 6 });
      expect(String(scan.json?.error)).toMatch(/could not be reached/);
    }
    const incident = await opsAlerts('a scan failed');
    expect(incident).toHaveLength(1);
    expect(incident[0]?.body).toMatch(/^Check CYREXA_BASE_URL/);
    // Three failed scans in a row are that one incident, not news about each customer.
    expect(await f.t.db.alert.count({ where: { kind: 'ops' } })).toBe(1);

    // Back to normal: a completed scan ends the incident; the next outage is reported again.
    const ok = await f.scanJson();
    expect(ok.json).toMatchObject({ status: 'completed', checked: 6, failed: 0 });
    expect((await f.scanJson({ CYREXA_BASE_URL: closed })).code).toBe(1);
    expect(await opsAlerts('a scan failed')).toHaveLength(2);
  });

  it('404 for every customer (a wrong base URL): a failed scan naming the cause', async () => {
    await f.track(ids(12));
    const scan = await f.scanJson({ CYREXA_BASE_URL: `${f.sandbox.url}/wrong/1.0.0` });
    expect(scan.code).toBe(1);
    expect(scan.json).toMatchObject({ status: 'failed', failed: 12 });
    expect(String(scan.json?.error)).toMatch(/404/);
    expect((await opsAlerts('a scan failed'))[0]?.subject).toMatch(/404/);
  });

  it('a few customers failing three scans in a row are reported in one email listing them', async () => {
    const good = ids(17, 'ok');
    await f.track(good);
    await f.trackIds(['gone-1', 'gone-2', 'gone-3']);
    for (let i = 0; i < 4; i++) {
      const scan = await f.scanJson();
      expect(scan.json).toMatchObject({ status: 'completed', checked: 17, failed: 3 });
    }
    const streak = await f.t.db.alert.findMany({ where: { kind: 'ops' } });
    expect(streak).toHaveLength(1);
    expect(streak[0]?.subject).toMatch(/3 customer\(s\) failed 3 scans in a row/);
    for (const id of ['gone-1', 'gone-2', 'gone-3']) expect(streak[0]?.body).toContain(id);
  });
});
