import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { byProblem, normaliseNote, noteProblem, parseCaseId } from '../domain/cases.js';
import { verifyCaseToken, type CaseLinkSettings, type TokenCheck } from '../domain/case-links.js';
import type { CaseService } from '../cases/cases.js';
import { errorMessage, type Logger } from '../logger.js';
import { isDatabaseUnavailable } from '../store/unavailable.js';
import { casePage, messagePage } from './case-page.js';

// The people's pages (SPEC §10), on WEB_PORT, apart from the internal metrics: the case a link in
// an email names, its timeline, and the form that acknowledges it. GET changes nothing (mail
// scanners follow links); POST, with the link's token in its body, acknowledges. A bad, expired
// or tampered token is 403 with nothing recorded, a case that does not exist 404. The token and
// the secret never reach a log line: requests are logged by case id, never by URL.

/** Every response carries these (OWASP: a page that runs no script and is never framed, cached or referred). */
export const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex, nofollow',
} as const;

/**
 * Largest form body. A note of 2,000 characters outside the BMP is 24,000 bytes once
 * percent-encoded (12 per character), the name up to 2,400 more: 32 KiB admits every valid form.
 */
export const MAX_FORM_BYTES = 32 * 1024;

export interface CasePagesOptions {
  /** 0: any free port (tests). */
  port: number;
  host?: string;
  cases: Pick<CaseService, 'show' | 'acknowledge'>;
  links: CaseLinkSettings;
  log: Logger;
  /** The clock tokens are checked against (tests move it). */
  now?: () => Date;
  maxFormBytes?: number;
}

export interface CasePagesServer {
  server: Server;
  port: number;
  /** Stops accepting, lets requests in flight finish (at most `graceMs`), then ends every connection. */
  close(graceMs?: number): Promise<void>;
}

class FormTooLarge extends Error {
  override name = 'FormTooLarge';
}

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(html)), ...headers });
  res.end(html);
}

/** `/cases/17`, or the same behind PUBLIC_URL's path prefix (a proxy may pass it on or strip it). */
function casePath(path: string, prefix: string): bigint | null {
  const rest = prefix !== '' && path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
  const match = /^\/cases\/([1-9][0-9]{0,18})$/.exec(rest);
  return match ? parseCaseId(match[1] as string) : null;
}

function refusedLink(check: Exclude<TokenCheck, { ok: true }>): string {
  if (check.reason === 'expired' && check.expiredAt) {
    return messagePage('This link has expired', [
      `Case links work for 30 days; this one stopped working on ${check.expiredAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. Nothing was recorded.`,
      'Use the link in a more recent email about this case, or acknowledge it with `kyc-monitor cases ack`.',
    ]);
  }
  return messagePage('This link is not valid', [
    'It may have been cut short or changed on the way (some mail programs break long links). Nothing was recorded.',
    'Open the link from the email again, whole, or acknowledge the case with `kyc-monitor cases ack`.',
  ]);
}

const NOT_FOUND = messagePage('Not found', ['There is no such page here. Case links look like /cases/17?t=…, as the emails carry them.']);
const NO_SUCH_CASE = messagePage('No such case', ['This link names a case that does not exist here. Nothing was recorded.']);

/** The form's fields; FormTooLarge past `limit` bytes, the rest left unread (the request is not destroyed: the 413 must still go out). */
function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) return reject(new FormTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd).off('error', onError);
      req.pause();
      reject(new FormTooLarge());
    };
    const onEnd = () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const onError = (error: Error) => reject(error);
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

export async function startCasePages(options: CasePagesOptions): Promise<CasePagesServer> {
  const { cases, links, log } = options;
  const now = options.now ?? (() => new Date());
  const limit = options.maxFormBytes ?? MAX_FORM_BYTES;
  const prefix = new URL(links.publicUrl).pathname.replace(/\/+$/, '');

  const show = async (res: ServerResponse, id: bigint, token: string): Promise<number> => {
    const check = verifyCaseToken(links.secret, id, token, now());
    if (!check.ok) {
      log.info({ caseId: String(id), reason: check.reason }, 'case link refused');
      send(res, 403, refusedLink(check));
      return 403;
    }
    const found = await cases.show(id);
    if (!found) {
      send(res, 404, NO_SUCH_CASE);
      return 404;
    }
    send(res, 200, casePage({ ...found, token, linkExpiresAt: check.expiresAt, now: now() }));
    return 200;
  };

  const acknowledge = async (req: IncomingMessage, res: ServerResponse, id: bigint): Promise<number> => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      send(res, 415, messagePage('Unsupported form', ['Acknowledge the case with the form on its page. Nothing was recorded.']));
      return 415;
    }
    const form = await readForm(req, limit);
    const token = form.get('t') ?? '';
    const check = verifyCaseToken(links.secret, id, token, now());
    if (!check.ok) {
      log.info({ caseId: String(id), reason: check.reason }, 'case link refused');
      send(res, 403, refusedLink(check));
      return 403;
    }
    const by = form.get('by') ?? '';
    const noteText = form.get('note') ?? '';
    const note = noteText.trim() === '' ? null : noteText;
    // The rules of `cases ack --by/--note`, in the form's words.
    const problems: string[] = [];
    const byWrong = by.trim() === '' ? 'is required (1 to 200 characters)' : byProblem(by);
    if (byWrong) problems.push(`Your name ${byWrong}.`);
    const noteWrong = note === null ? null : noteProblem(note);
    if (noteWrong) problems.push(`The note ${noteWrong}.`);
    const found = await cases.show(id);
    if (!found) {
      send(res, 404, NO_SUCH_CASE);
      return 404;
    }
    const page = (status: number, extra: Partial<Parameters<typeof casePage>[0]>) =>
      send(res, status, casePage({ ...found, token, linkExpiresAt: check.expiresAt, now: now(), ...extra }));
    if (problems.length > 0) {
      page(400, { form: { by, note: noteText, problems }, notice: { tone: 'warning', text: 'Nothing was recorded: correct the form below and send it again.' } });
      return 400;
    }
    const [change] = await cases.acknowledge([id], { by: by.trim(), note: note === null ? null : normaliseNote(note), via: 'web' });
    if (!change?.changed) {
      // As it is now, with whoever was first in its timeline.
      const current = (await cases.show(id)) ?? found;
      const c = current.case;
      const text = c.state === 'resolved' ? 'This case is resolved already: your acknowledgement was not recorded, and nothing changed.' : `This case was acknowledged already, by ${c.acknowledged_by ?? 'someone'}: your acknowledgement was not recorded, and nothing changed.`;
      send(res, 200, casePage({ ...current, token, linkExpiresAt: check.expiresAt, now: now(), notice: { tone: 'info', text } }));
      return 200;
    }
    log.info({ caseId: String(id) }, 'case acknowledged from the email link');
    // Post/Redirect/Get: a reload shows the case rather than sending the form again. Relative, so
    // that it works behind whatever prefix PUBLIC_URL has.
    const location = `${id}?t=${encodeURIComponent(token)}`;
    send(res, 303, messagePage('Acknowledged', ['The case is acknowledged.']), { location });
    return 303;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const [path, query] = mark === -1 ? [url, ''] : [url.slice(0, mark), url.slice(mark + 1)];
    const id = casePath(path, prefix);
    if (id === null) {
      send(res, 404, NOT_FOUND);
      return 404;
    }
    if (req.method === 'GET' || req.method === 'HEAD') return show(res, id, new URLSearchParams(query).get('t') ?? '');
    if (req.method === 'POST') return acknowledge(req, res, id);
    send(res, 405, messagePage('Not allowed', ['Case pages are read with GET and acknowledged with the form (POST).']), { allow: 'GET, HEAD, POST' });
    return 405;
  };

  const server = createServer((req, res) => {
    const started = Date.now();
    handle(req, res).then(
      (status) => log.debug({ method: req.method, status, ms: Date.now() - started }, 'case page request'),
      (error: unknown) => {
        if (error instanceof FormTooLarge) {
          // The rest of the body is not read: the connection ends with the answer.
          send(res, 413, messagePage('Too large', [`The form may hold at most ${limit} bytes. Nothing was recorded.`]), { connection: 'close' });
          return;
        }
        const unavailable = isDatabaseUnavailable(error);
        log.error({ method: req.method, err: errorMessage(error).split('\n')[0]?.slice(0, 300) }, 'case page failed');
        if (res.headersSent) return res.destroy();
        const what = req.method === 'POST' ? 'The case could not be acknowledged just now: open its link again to see whether it was, then try again.' : 'The case could not be shown just now.';
        send(res, unavailable ? 503 : 500, messagePage('Something went wrong', [what, 'Try again in a minute; from a terminal, `kyc-monitor cases` does the same.']));
      },
    );
  });
  // A slow or silent client does not hold a connection for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'case pages listening');
  return {
    server,
    port,
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
