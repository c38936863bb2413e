import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCaseToken } from '../../src/domain/case-links.js';
import type { SandboxDocument } from '../../src/sandbox/generator.js';
import { runCli } from '../support/cli.js';
import { scanFixture } from '../support/scan-fixture.js';
import { freePort } from '../support/servers.js';
import { startWorker, stopWorker } from '../support/worker.js';

// Acknowledging from the email (SPEC §10), as a person does it: `scan` emails the alert with its
// case's link, a real worker process serves the page on WEB_PORT, headless Chromium opens the
// link from the email, and the form is filled in and sent. Also: a tampered and an expired link
// (403, nothing recorded) and a visit that only looks (nothing changes). Screenshots at desktop
// and phone widths go to a temporary directory, or to docs/screenshots/ with
// KYC_SAVE_SCREENSHOTS=1 (as committed there).

const LINK_SECRET = 'e2e-link-secret-0123456789-abcdefghij';
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p): p is string => p !== undefined && p !== '' && existsSync(p));
const SAVE_SCREENSHOTS = process.env.KYC_SAVE_SCREENSHOTS === '1';
const SCREENSHOTS = SAVE_SCREENSHOTS ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : mkdtempSync(path.join(tmpdir(), 'kyc-screenshots-'));

const f = scanFixture({ ALERT_BATCH_SECONDS: '0' });
let browser: Browser;

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('these tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH)');
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, pipe: true, args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (!SAVE_SCREENSHOTS) rmSync(SCREENSHOTS, { recursive: true, force: true });
});

const doc = (name: string, status: string, documentType = 'Passport'): SandboxDocument => ({
  purpose: 'KYC',
  documentType,
  name,
  location: `/${encodeURIComponent(name)}.pdf`,
  verificationResponse: 'Document validity date has passed',
  status,
  metadata: [],
});

interface CaseJson {
  id: number;
  state: string;
  acknowledgedBy: string | null;
  timeline: Array<{ kind: string; actor: string; via?: string; note?: string }>;
}

async function showCase(id: number): Promise<CaseJson> {
  const result = await runCli(['cases', 'show', String(id), '--json'], f.env());
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as CaseJson;
}

/** The page opened in the browser, refusing any dialog (a script that ran). */
async function open(url: string, width: number): Promise<{ page: Page; status: number | undefined }> {
  const page = await browser.newPage();
  await page.setViewport({ width, height: 800, deviceScaleFactor: width < 600 ? 2 : 1 });
  page.on('dialog', (dialog) => {
    void dialog.dismiss();
    throw new Error(`a script ran on the page: ${dialog.message()}`);
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  return { page, status: response?.status() };
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, name);
  await page.screenshot({ path: file as `${string}.png`, fullPage: true });
  // A PNG, as wide as the viewport (times its pixel ratio).
  const png = readFileSync(file);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect(png.readUInt32BE(16)).toBe((page.viewport()?.width ?? 0) * (page.viewport()?.deviceScaleFactor ?? 1));
}

describe('acknowledging from the email, in a browser', () => {
  it('the link from the alert email opens the case; looking changes nothing; the form acknowledges it; bad links are refused', async () => {
    const webPort = await freePort();
    const web = { PUBLIC_URL: `http://127.0.0.1:${webPort}/`, LINK_SECRET, WEB_PORT: String(webPort) };
    await f.trackIds(['cust-000017', 'cust-000042']);
    f.sandbox.setDocuments('cust-000017', [doc('passport-2019.pdf', 'expired')]);
    f.sandbox.setDocuments('cust-000042', [doc('<script>alert(1)</script>', 'declined', 'selfie')]);
    expect(await f.scanSummary(web)).toMatchObject({ alerts: 2 });

    // The email: every case with its link, in the text and the HTML alike.
    const [email] = await f.smtp.waitFor(1);
    const text = email?.parsed.text ?? '';
    const found = [...text.matchAll(/Acknowledge case #(\d+): (\S+)/g)].map((m) => ({ id: Number(m[1]), url: m[2] as string }));
    expect(found).toHaveLength(2);
    for (const { url } of found) {
      expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${webPort}/cases/\\d+\\?t=\\d+\\.[A-Za-z0-9_-]{43}$`));
      expect(email?.parsed.html).toContain(`href="${url}"`);
    }
    const cases = JSON.parse((await runCli(['cases', 'list', '--json'], f.env())).stdout) as Array<{ id: number; customerId: string }>;
    const idOf = (customer: string) => cases.find((c) => c.customerId === customer)?.id;
    const passport = found.find((c) => c.id === idOf('cust-000017'));
    const hostile = found.find((c) => c.id === idOf('cust-000042'));
    expect(passport && hostile).toBeTruthy();

    const worker = await startWorker(f.env({ ...web, LOG_LEVEL: 'info', SCAN_EVERY_SECONDS: '3600' }));
    f.running.push(worker);
    try {
      await worker.waitForOutput(new RegExp(`"port":${webPort},"msg":"case pages listening"`));
      const before = await showCase(passport!.id);
      expect(before).toMatchObject({ state: 'open', acknowledgedBy: null });
      expect(before.timeline.map((e) => e.kind)).toEqual(['opened', 'alert', 'email']);

      // A visit that only looks (a person, or a mail scanner following the link): nothing changes.
      const desktop = await open(passport!.url, 1280);
      expect(desktop.status).toBe(200);
      expect(await desktop.page.$eval('h1', (h) => h.textContent)).toBe(`Case #${passport!.id} open`);
      // The inline stylesheet applies under the Content-Security-Policy (style-src 'unsafe-inline').
      // (Expressions as text: the type check knows no DOM.)
      expect(await desktop.page.evaluate('getComputedStyle(document.querySelector("button[type=submit]")).backgroundColor')).toBe('rgb(29, 78, 216)');
      await screenshot(desktop.page, 'case-page-desktop.png');
      const phone = await open(passport!.url, 390);
      expect(phone.status).toBe(200);
      // Nothing wider than the phone: no sideways scrolling.
      expect(await phone.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await screenshot(phone.page, 'case-page-phone.png');
      await phone.page.close();
      expect(await showCase(passport!.id)).toEqual(before);

      // Hostile values from the API are shown as text, never run.
      const evil = await open(hostile!.url, 1280);
      expect(evil.status).toBe(200);
      expect(await evil.page.$eval('dd .muted', (s) => s.textContent)).toBe('<script>alert(1)</script>');
      expect(await evil.page.$$eval('script', (s) => s.length)).toBe(0);
      await evil.page.close();

      // The form: a name and a note, sent.
      await desktop.page.type('#by', 'Alice Example');
      await desktop.page.type('#note', 'Calling the customer today.\nTicket 42.');
      const [answer] = await Promise.all([desktop.page.waitForNavigation({ waitUntil: 'load' }), desktop.page.click('button[type=submit]')]);
      // After the 303, the page itself, on the link's own address.
      expect(answer?.status()).toBe(200);
      expect(desktop.page.url()).toBe(passport!.url);
      expect(await desktop.page.$eval('h1', (h) => h.textContent)).toBe(`Case #${passport!.id} acknowledged`);
      expect(await desktop.page.$('form')).toBeNull();
      expect(await desktop.page.$eval('main', (m) => m.textContent)).toContain('Alice Example acknowledged this case');
      await screenshot(desktop.page, 'case-page-acknowledged-desktop.png');
      const phoneAfter = await open(passport!.url, 390);
      await screenshot(phoneAfter.page, 'case-page-acknowledged-phone.png');
      await phoneAfter.page.close();
      await desktop.page.close();

      const acknowledged = await showCase(passport!.id);
      expect(acknowledged).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'Alice Example' });
      expect(acknowledged.timeline.map((e) => e.kind)).toEqual(['opened', 'alert', 'email', 'acknowledged']);
      expect(acknowledged.timeline.at(-1)).toMatchObject({ kind: 'acknowledged', actor: 'Alice Example', via: 'web', note: 'Calling the customer today.\nTicket 42.' });

      // A tampered link and an expired one: 403, nothing recorded, and no form to send.
      const other = await showCase(hostile!.id);
      const url = new URL(hostile!.url);
      const token = url.searchParams.get('t') ?? '';
      url.searchParams.set('t', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
      const tampered = await open(url.toString(), 390);
      expect(tampered.status).toBe(403);
      expect(await tampered.page.$eval('h1', (h) => h.textContent)).toBe('This link is not valid');
      expect(await tampered.page.$('form')).toBeNull();
      await screenshot(tampered.page, 'case-link-refused-phone.png');
      await tampered.page.close();
      url.searchParams.set('t', signCaseToken(LINK_SECRET, hostile!.id, new Date(Date.now() - 60_000)));
      const expired = await open(url.toString(), 1280);
      expect(expired.status).toBe(403);
      expect(await expired.page.$eval('h1', (h) => h.textContent)).toBe('This link has expired');
      await expired.page.close();
      expect(await showCase(hostile!.id)).toEqual(other);
      expect(other.state).toBe('open');

      expect(await stopWorker(worker)).toBe(0);
      // Neither the secret nor a token reached the worker's log.
      const { stdout, stderr } = worker.output();
      for (const secret of [LINK_SECRET, ...found.map((c) => new URL(c.url).searchParams.get('t') ?? 'x')]) expect(`${stdout}${stderr}`).not.toContain(secret);
    } finally {
      await stopWorker(worker);
    }
  }, 180_000);

  it('the worker refuses WEB_PORT equal to HTTP_PORT (exit 2), and names a busy WEB_PORT (exit 1)', async () => {
    const links = { PUBLIC_URL: 'https://kyc.example.com', LINK_SECRET };
    const same = await runCli(['worker'], f.env({ ...links, HTTP_PORT: '8099', WEB_PORT: '8099' }));
    expect(same.code).toBe(2);
    expect(same.stderr).toBe("kyc-monitor: configuration: WEB_PORT (8099) must differ from HTTP_PORT (8099): the people's pages are never served beside the internal metrics\n");
    const half = await runCli(['scan'], f.env({ PUBLIC_URL: 'https://kyc.example.com' }));
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('kyc-monitor: configuration: LINK_SECRET (or LINK_SECRET_FILE) is required when PUBLIC_URL is set');

    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', () => resolve()));
    try {
      const port = (busy.address() as { port: number }).port;
      const worker = await runCli(['worker'], f.env({ ...links, WEB_PORT: String(port), LOG_LEVEL: 'silent' }));
      expect(worker.code).toBe(1);
      expect(worker.stderr).toBe(`kyc-monitor: WEB_PORT ${port} is in use: set WEB_PORT to a free port (the case pages' port, apart from HTTP_PORT)\n`);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
