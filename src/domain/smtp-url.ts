import type { Parsed } from './recipients.js';

// SMTP_URL, as far as kyc-monitor decides anything about it: credentials go over TLS only.
// `smtps://` is TLS from the start; `smtp://` with a user or password requires STARTTLS (so a
// server that does not offer it never gets the password), unless the URL says
// `?requireTLS=false`. nodemailer reads the same parameter from the URL, so the URL is handed
// to it unchanged.

export interface SmtpSettings {
  /** The nodemailer connection URL. */
  url: string;
  /** Whether nodemailer must upgrade with STARTTLS before anything else (its `requireTLS`). */
  requireTls: boolean;
}

/** Never quotes the URL: it may hold a password. */
export function parseSmtpUrl(text: string): Parsed<SmtpSettings> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, error: 'is not a valid URL' };
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    return { ok: false, error: `must be a smtp or smtps URL (got ${url.protocol})` };
  }
  const asked = url.searchParams.getAll('requireTLS');
  if (asked.length > 1 || (asked.length === 1 && asked[0] !== 'true' && asked[0] !== 'false')) {
    return { ok: false, error: 'requireTLS must be true or false' };
  }
  const credentials = url.username !== '' || url.password !== '';
  const requireTls = asked.length === 1 ? asked[0] === 'true' : url.protocol === 'smtp:' && credentials;
  return { ok: true, value: { url: text, requireTls } };
}
