import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CaseService } from '../../src/cases/cases.js';
import { caseLink, signCaseToken } from '../../src/domain/case-links.js';
import { MAX_FORM_BYTES, SECURITY_HEADERS, startCasePages, type CasePagesServer } from '../../src/web/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { visibleText } from '../support/html.js';

// The people's pages (SPEC §10) over real HTTP against a real database: what a GET shows and
// that it changes nothing, what a POST records, what every bad request is refused with, the
// headers of every answer, and hostile values escaped.

const SECRET = 'case-pages-test-secret-0123456789abcdef';
const PUBLIC_URL = 'https://kyc.example/compliance';
const links = { publicUrl: PUBLIC_URL, secret: SECRET };
const HOSTILE_NAME = '<script>alert(1)</script>';
const HOSTILE_NOTE = '</textarea><script>alert("note")</script>\n<img src=x onerror=alert(2)> & "quotes"';

let t: TestDatabase;
let pages: CasePagesServer;
let base: string;
const logLines: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  pages = await startCasePages({ port: 0, host: '127.0.0.1', cases: new CaseService(t.database), links, log });
  base = `http://127.0.0.1:${pages.port}`;
});
afterAll(async () => {
  await pages?.close();
  await t?.drop();
});
beforeEach(async () => {
  await t.reset();
  await t.db.trackedCustomer.create({ data: { customerId: 'cust-1' } });
});

/** A case as `scan` opens it: opened, its alert, its email; with a hostile document name and status. */
async function openCase(over: { documentName?: string; documentStatus?: string; state?: string } = {}): Promise<bigint> {
  const at = new Date(Date.now() - 3 * 3600_000);
  const created = await t.db.case.create({
    data: {
      customerId: 'cust-1',
      purpose: 'KYC',
      documentType: 'Passport',
      documentName: over.documentName ?? HOSTILE_NAME,
      documentStatus: over.documentStatus ?? 'expired',
      state: over.state ?? 'open',
      openedAt: at,
      lastAlertAt: at,
      ...(over.state === 'resolved' ? { resolvedAt: at, resolvedBy: 'system', resolution: 'recovered' } : {}),
    },
  });
  await t.db.caseEvent.createMany({
    data: [
      { caseId: created.id, at, kind: 'opened', actor: 'system' },
      { caseId: created.id, at, kind: 'email', actor: 'system', details: { recipients: ['compliance@example.com'], messageId: '<m1@x>' } },
      { caseId: created.id, at, kind: 'note', actor: 'Bob <b>Builder</b>', details: { note: HOSTILE_NOTE } },
    ],
  });
  return created.id;
}

/** The path and token of the case's link, as the email carries it. */
function link(id: bigint, now = new Date()): { path: string; token: string; url: string } {
  const url = new URL(caseLink(links, id, now));
  return { path: url.pathname, token: url.searchParams.get('t') ?? '', url: `${base}${url.pathname}${url.search}` };
}

function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
}

async function caseState(id: bigint) {
  const row = await t.db.case.findUniqueOrThrow({ where: { id } });
  return { state: row.state, acknowledgedBy: row.acknowledgedBy, events: await t.db.caseEvent.count({ where: { caseId: id } }) };
}

function expectSecurityHeaders(response: Response, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers.get(name), `${name} on ${what}`).toBe(value);
  expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('content-type'), what).toBe('text/html; charset=utf-8');
}

describe('GET /cases/<id>?t=<token>', () => {
  it('shows the case and its whole timeline, with the form, escaping every value; and changes nothing', async () => {
    const id = await openCase({ documentStatus: '<img src=x onerror=alert(3)>' });
    const before = await caseState(id);
    const { url, token } = link(id);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const html = await response.text();
    const text = visibleText(html);
    expect(text).toContain(`Case #${id} open`);
    expect(text).toContain('Customer cust-1');
    expect(text).toContain(`Passport KYC ${HOSTILE_NAME}`);
    expect(text).toContain('Case opened');
    expect(text).toContain('Emailed to compliance@example.com');
    expect(text).toContain('Bob <b>Builder</b>');
    expect(text).toContain('<script>alert("note")</script>');
    // Escaped: no markup from the API or a person made it into the page as markup.
    expect(html).not.toMatch(/<script|<img|<b>Builder|<\/textarea><script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;/textarea&gt;&lt;script&gt;alert(&quot;note&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(3)&gt;');
    // The form posts back to this page's path, the token in a hidden field.
    expect(html).toContain(`<form method="post" action="${id}">`);
    expect(html).toContain(`<input type="hidden" name="t" value="${token}">`);
    expect(html).toMatch(/<input type="text" id="by" name="by" required maxlength="200"/);
    expect(html).toMatch(/<textarea id="note" name="note" maxlength="2000"/);
    // No script in any form: no script element, no handler attribute, no javascript: URL in a tag.
    const tags = html.match(/<[^>]*>/g) ?? [];
    expect(tags.filter((tag) => /^<script|\son[a-z]+=|javascript:/i.test(tag))).toEqual([]);
    expectSecurityHeaders(response, 'GET');

    // Mail scanners follow links, some more than once, some with HEAD: nothing changes.
    for (let i = 0; i < 3; i++) expect((await fetch(url)).status).toBe(200);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expectSecurityHeaders(head, 'HEAD');
    expect(await caseState(id)).toEqual(before);
  });

  it('is served at /cases/<id> too (a proxy that strips PUBLIC_URL\'s path prefix)', async () => {
    const id = await openCase();
    const { path, token } = link(id);
    expect(path).toBe(`/compliance/cases/${id}`);
    expect((await fetch(`${base}/cases/${id}?t=${token}`)).status).toBe(200);
  });

  it('refuses a tampered, expired, missing or other case\'s token with 403, and an unknown case with 404', async () => {
    const id = await openCase();
    const other = await openCase({ documentName: 'other.pdf' });
    const { path, token } = link(id);
    const [expiry, mac] = token.split('.') as [string, string];
    const past = signCaseToken(SECRET, id, new Date(Date.now() - 1000));
    const refusals: Array<[string, string]> = [
      ['tampered MAC', `${expiry}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`],
      ['tampered expiry', `${Number(expiry) + 86_400}.${mac}`],
      ['expired', past],
      ['another secret', signCaseToken('another-secret-another-secret-0123', id, new Date(Date.now() + 86_400_000))],
      ['another case', link(other).token],
      ['missing', ''],
      ['malformed', 'not-a-token'],
    ];
    for (const [what, bad] of refusals) {
      const response = await fetch(`${base}${path}?t=${encodeURIComponent(bad)}`);
      expect(response.status, what).toBe(403);
      expectSecurityHeaders(response, `403 (${what})`);
      const text = visibleText(await response.text());
      expect(text, what).toContain(what === 'expired' ? 'This link has expired' : 'This link is not valid');
      expect(text).not.toContain(HOSTILE_NAME);
    }
    // A valid token for a case that does not exist (nor ever did): 404. An invalid one: 403 (nothing told).
    const unknown = 987_654n;
    const notFound = await fetch(link(unknown).url);
    expect(notFound.status).toBe(404);
    expectSecurityHeaders(notFound, '404 (unknown case)');
    expect(visibleText(await notFound.text())).toContain('No such case');
    expect((await fetch(`${base}/cases/${unknown}?t=${token}`)).status).toBe(403);
    expect(await caseState(id)).toMatchObject({ state: 'open', events: 3 });
  });

  it('answers 404 for any other path and 405 for any other method, with the same headers', async () => {
    const id = await openCase();
    const { token } = link(id);
    for (const path of ['/', '/cases', `/cases/${id}/`, `/cases/${id}/x`, '/cases/0', '/cases/017', '/cases/abc', '/cases/%31', '/metrics', '/healthz', `/other/cases/${id}`, `//cases/${id}`]) {
      const response = await fetch(`${base}${path}?t=${token}`);
      expect(response.status, path).toBe(404);
      expectSecurityHeaders(response, `404 ${path}`);
    }
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const response = await fetch(link(id).url, { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
      expectSecurityHeaders(response, method);
    }
    expect(await caseState(id)).toMatchObject({ state: 'open', events: 3 });
  });
});

describe('POST /cases/<id>', () => {
  it('acknowledges with the token and a name (and note), then redirects to the page; a second time changes nothing', async () => {
    const id = await openCase();
    const { path, token } = link(id);
    const response = await post(path, { t: token, by: '  Alice <Example>  ', note: 'Calling the customer\r\n<b>ticket</b> 42' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${id}?t=${token}`);
    expectSecurityHeaders(response, '303');
    expect(await caseState(id)).toEqual({ state: 'acknowledged', acknowledgedBy: 'Alice <Example>', events: 4 });
    const entry = await t.db.caseEvent.findFirstOrThrow({ where: { caseId: id, kind: 'acknowledged' } });
    expect(entry).toMatchObject({ actor: 'Alice <Example>', details: { via: 'web', note: 'Calling the customer\n<b>ticket</b> 42' } });

    // Where the redirect leads (resolved against the POST's URL): the case, acknowledged, no form.
    const page = await fetch(new URL(response.headers.get('location') ?? '', `${base}${path}`));
    const html = await page.text();
    expect(visibleText(html)).toContain('Alice <Example> acknowledged this case');
    expect(visibleText(html)).toContain('Acknowledged from the email link');
    expect(html).toContain('Alice &lt;Example&gt;');
    expect(html).toContain('&lt;b&gt;ticket&lt;/b&gt; 42');
    expect(html).not.toContain('<form');

    const again = await post(path, { t: token, by: 'Bob' });
    expect(again.status).toBe(200);
    expectSecurityHeaders(again, 'repeat POST');
    expect(visibleText(await again.text())).toContain('This case was acknowledged already, by Alice <Example>: your acknowledgement was not recorded');
    expect(await caseState(id)).toEqual({ state: 'acknowledged', acknowledgedBy: 'Alice <Example>', events: 4 });
  });

  it('two people acknowledging at once: one is recorded, the other told it was done already', async () => {
    const id = await openCase();
    const { path, token } = link(id);
    const answers = await Promise.all(['Erin', 'Frank', 'Grace'].map((by) => post(path, { t: token, by })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 303]);
    const after = await caseState(id);
    expect(after).toMatchObject({ state: 'acknowledged', events: 4 });
    const losers = await Promise.all(answers.filter((a) => a.status === 200).map(async (a) => visibleText(await a.text())));
    for (const text of losers) expect(text).toContain(`This case was acknowledged already, by ${after.acknowledgedBy}`);
  });

  it('works behind the prefix and without it, and leaves a resolved case as it is', async () => {
    const id = await openCase();
    expect((await post(`/cases/${id}`, { t: link(id).token, by: 'Carol' })).status).toBe(303);
    expect(await caseState(id)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'Carol' });

    const resolved = await openCase({ state: 'resolved', documentName: 'r.pdf' });
    const get = await (await fetch(link(resolved).url)).text();
    expect(visibleText(get)).toContain('Nothing to acknowledge');
    expect(get).not.toContain('<form');
    const response = await post(link(resolved).path, { t: link(resolved).token, by: 'Dave' });
    expect(response.status).toBe(200);
    expect(visibleText(await response.text())).toContain('This case is resolved already: your acknowledgement was not recorded');
    expect(await caseState(resolved)).toEqual({ state: 'resolved', acknowledgedBy: null, events: 3 });
  });

  it.each([
    ['no name', { by: '' }, 'Your name is required (1 to 200 characters).'],
    ['a blank name', { by: '   ' }, 'Your name is required (1 to 200 characters).'],
    ['a name of 201 characters', { by: 'x'.repeat(201) }, 'Your name is longer than 200 characters.'],
    ['a control character in the name', { by: 'Al\u001bice' }, 'Your name contains a control character.'],
    ['the product\'s own name', { by: 'System' }, 'Your name "system" is the product itself: name the person.'],
    ['a note of 2,001 characters', { by: 'Alice', note: 'n'.repeat(2001) }, 'The note is longer than 2000 characters.'],
    ['a control character in the note', { by: 'Alice', note: 'bell\u0007' }, 'The note contains a control character (only newlines are allowed).'],
  ])('refuses %s with 400, saying what is wrong, recording nothing', async (_what, fields, problem) => {
    const id = await openCase();
    const { path, token } = link(id);
    const response = await post(path, { t: token, ...fields });
    expect(response.status).toBe(400);
    expectSecurityHeaders(response, '400');
    const html = await response.text();
    expect(visibleText(html)).toContain(problem);
    expect(visibleText(html)).toContain('Nothing was recorded');
    // The form again, with what was typed.
    expect(html).toContain('<form method="post"');
    expect(await caseState(id)).toEqual({ state: 'open', acknowledgedBy: null, events: 3 });
  });

  it('takes the longest valid name and note, even in characters of 4 bytes', async () => {
    const id = await openCase();
    const { path, token } = link(id);
    const response = await post(path, { t: token, by: '😀'.repeat(200), note: '😀'.repeat(2000) });
    expect(response.status).toBe(303);
    expect(await caseState(id)).toMatchObject({ state: 'acknowledged', acknowledgedBy: '😀'.repeat(200) });
  });

  it('escapes what was typed when it shows the form again', async () => {
    const id = await openCase();
    const { path, token } = link(id);
    const html = await (await post(path, { t: token, by: '"><script>alert(1)</script>', note: `</textarea><script>alert(2)</script>${'n'.repeat(2001)}` })).text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).toContain('&lt;/textarea&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  it('refuses a bad token (403), an unknown case (404), a form too large (413) or of another type (415): nothing recorded', async () => {
    const id = await openCase();
    const { path, token } = link(id);
    const refused = await post(path, { t: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, by: 'Mallory' });
    expect(refused.status).toBe(403);
    expectSecurityHeaders(refused, 'POST 403');
    expect((await post(path, { t: signCaseToken(SECRET, id, new Date(Date.now() - 60_000)), by: 'Mallory' })).status).toBe(403);
    expect((await post(path, { by: 'Mallory' })).status).toBe(403);
    // The token of another case does not acknowledge this one, posted here.
    const other = await openCase({ documentName: 'other.pdf' });
    expect((await post(path, { t: link(other).token, by: 'Mallory' })).status).toBe(403);
    const unknown = await post(link(987_654n).path, { t: link(987_654n).token, by: 'Mallory' });
    expect(unknown.status).toBe(404);
    expectSecurityHeaders(unknown, 'POST 404');

    const tooLarge = await post(path, { t: token, by: 'Mallory', note: 'x'.repeat(MAX_FORM_BYTES) });
    expect(tooLarge.status).toBe(413);
    expectSecurityHeaders(tooLarge, '413');
    // Without a declared length (chunked): counted as it arrives.
    const chunked = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new ReadableStream({
        start(controller) {
          const piece = new TextEncoder().encode(`t=${token}&by=Mallory&note=${'y'.repeat(1024)}`);
          for (let i = 0; i < 40; i++) controller.enqueue(piece);
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const json = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ t: token, by: 'Mallory' }) });
    expect(json.status).toBe(415);
    expectSecurityHeaders(json, '415');
    expect(await caseState(id)).toEqual({ state: 'open', acknowledgedBy: null, events: 3 });
    expect(await caseState(other)).toMatchObject({ state: 'open', events: 3 });
    // The server still answers after refusing a large body.
    expect((await fetch(link(id).url)).status).toBe(200);
  });
});

describe('logs', () => {
  it('never hold a token or the secret', async () => {
    const id = await openCase();
    const { path, token, url } = link(id);
    await fetch(url);
    await fetch(`${base}${path}?t=${token.slice(0, -2)}xx`);
    await post(path, { t: token, by: 'Alice' });
    const text = logLines.join('');
    expect(text).toContain('case acknowledged from the email link');
    expect(text).toContain('case link refused');
    expect(text).not.toContain(token.split('.')[1] as string);
    expect(text).not.toContain(token.slice(0, -2));
    expect(text).not.toContain(SECRET);
  });
});
