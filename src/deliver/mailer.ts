import { createTransport } from 'nodemailer';
import { parseSmtpUrl, type SmtpSettings } from '../domain/smtp-url.js';

// Sends one email over SMTP and says, per recipient, what the server did with it. The server's
// words enter the program here, so they are scrubbed of every secret here, before anything
// stores, logs or emails them.

export interface OutgoingEmail {
  from: string;
  to: readonly string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: Array<{ filename: string; content: string; contentType: string }>;
}

export type RecipientResult =
  | { recipient: string; status: 'sent'; messageId: string | null }
  /**
   * `retry`: refused for now (4xx) or not sent; `failed`: refused for good (5xx). `atRcpt`: the
   * server refused this recipient alone (at RCPT TO), rather than the whole message.
   */
  | { recipient: string; status: 'retry' | 'failed'; error: string; atRcpt: boolean };

/** Why no message reached the server at all. */
export interface SendFailure {
  /**
   * `authentication`: credentials rejected; `tls-required`: no TLS to send the credentials over;
   * `aborted`: the send's time ran out; `refused`: the server refused the message;
   * `unavailable`: connection, timeout or protocol failure.
   */
  reason: 'authentication' | 'tls-required' | 'aborted' | 'refused' | 'unavailable';
  /** A 5xx refusal: trying again will not help. */
  permanent: boolean;
  error: string;
}

export interface SendResult {
  /** One per address of the email. */
  recipients: RecipientResult[];
  /** Messages the server accepted: more than one when it takes only so many recipients per message. */
  messages: number;
  /** Set when a message was not accepted as a whole (before or after others were). */
  failure?: SendFailure;
}

export interface SendOptions {
  /** Aborts the send (and the connection); the recipients not yet accepted stay to be retried. */
  signal?: AbortSignal;
}

export interface Mailer {
  send(email: OutgoingEmail, options?: SendOptions): Promise<SendResult>;
  close(): void;
}

export type Scrub = (text: string) => string;

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  command?: string;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

const MAX_ERROR_LENGTH = 300;

/**
 * Secrets out first (a cut could leave half of one), then one line of bounded length with no
 * control characters (a NUL would make Postgres refuse the row that records the failure).
 */
function serverText(text: string, scrub: Scrub): string {
  // eslint-disable-next-line no-control-regex
  return (scrub(text).split(/\r?\n/)[0] ?? '').slice(0, MAX_ERROR_LENGTH).replace(/[\u0000-\u001f\u007f]/g, '\uFFFD');
}

export interface ClassifyContext {
  /** STARTTLS was required because the URL carries credentials (SmtpSettings.requireTls). */
  requireTls?: boolean;
}

export function classifySmtpError(error: SmtpError, scrub: Scrub = (text) => text, context: ClassifyContext = {}): SendFailure {
  const code = error.responseCode;
  const where = `${error.code ?? 'SMTP error'}${code ? ` ${code}` : ''}${error.command ? ` after ${error.command}` : ''}`;
  const reason = serverText(error.message ?? '', scrub);
  if (error.code === 'EABORT') {
    return { reason: 'aborted', permanent: false, error: 'EABORT: the send ran out of time (delivery deadline or claim lease); left for a later attempt' };
  }
  if (error.code === 'EAUTH' || code === 535 || code === 534 || code === 530) {
    // Bad credentials are the operator's problem, not this email's: keep it and try again.
    return { reason: 'authentication', permanent: false, error: `${where}: ${reason}` };
  }
  if (error.code === 'ETLS' && context.requireTls) {
    return {
      reason: 'tls-required',
      permanent: false,
      error: `${where}: ${reason} — SMTP_URL carries credentials, which are sent over TLS only: use smtps://, a server offering STARTTLS, or ?requireTLS=false`,
    };
  }
  // A TLS failure is the connection's, whatever code the server gave for STARTTLS.
  if (code !== undefined && code >= 500 && code < 600 && error.code !== 'ETLS') return { reason: 'refused', permanent: true, error: `${where}: ${reason}` };
  return { reason: 'unavailable', permanent: false, error: `${where}: ${reason}` };
}

export type Refusal = 'next-message' | 'retry' | 'failed';

/**
 * What a refusal of one recipient at RCPT TO means. "Too many recipients" (452, or 552 from
 * servers following RFC 821, which RFC 5321 says to treat as 452) is answered with another
 * message for the rest; other 4xx wait for a retry; 5xx is final for that recipient.
 */
export function classifyRefusal(error: SmtpError): Refusal {
  const code = error.responseCode ?? 0;
  const text = error.response ?? error.message ?? '';
  if (code === 452 || (code === 552 && /\b5\.5\.3\b|too many recipients/i.test(text))) return 'next-message';
  return code >= 500 && code < 600 ? 'failed' : 'retry';
}

function refusalText(error: SmtpError, scrub: Scrub): string {
  return `refused at RCPT TO: ${serverText(error.response ?? error.message ?? '', scrub)}`;
}

interface MessageInfo {
  messageId?: string;
  accepted?: unknown[];
  rejectedErrors?: SmtpError[];
}

export interface SmtpMailerOptions {
  /** Connection, greeting and socket timeouts (at most 15 s for the first two). */
  timeoutMs?: number;
  /** Removes secrets from the server's replies (app.secrets.scrub). */
  scrub?: Scrub;
}

/** `smtp` as configured (config.mail.smtp), or a URL given the same TLS policy. */
export function createSmtpMailer(smtp: SmtpSettings | string, options: SmtpMailerOptions = {}): Mailer {
  const settings = typeof smtp === 'string' ? parseSmtpUrl(smtp) : { ok: true as const, value: smtp };
  if (!settings.ok) throw new TypeError(`SMTP URL: ${settings.error}`);
  const timeout = options.timeoutMs ?? 30_000;
  const scrub = options.scrub ?? ((text: string) => text);
  const transport = createTransport({
    url: settings.value.url,
    requireTLS: settings.value.requireTls,
    connectionTimeout: Math.min(timeout, 15_000),
    greetingTimeout: Math.min(timeout, 15_000),
    socketTimeout: timeout,
    dnsTimeout: 10_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    async send(email, { signal } = {}) {
      const results = new Map<string, RecipientResult>();
      const key = (address: string) => address.trim().toLowerCase();
      let remaining = [...email.to];
      let messages = 0;
      let messageId: string | undefined;
      let failure: SendFailure | undefined;
      while (remaining.length > 0) {
        let info: MessageInfo;
        try {
          info = (await transport.sendMail({
            from: email.from,
            to: [...email.to],
            // Later messages carry the same headers and Message-ID to fewer envelope recipients.
            envelope: { from: email.from, to: remaining },
            ...(messageId ? { messageId } : {}),
            subject: email.subject,
            text: email.text,
            ...(email.html ? { html: email.html } : {}),
            ...(email.attachments ? { attachments: email.attachments } : {}),
            ...(signal ? { signal } : {}),
          })) as MessageInfo;
        } catch (error) {
          const smtpError = error as SmtpError;
          // Every recipient refused at RCPT: nodemailer throws, with each refusal attached.
          if (smtpError.code === 'EENVELOPE' && smtpError.command === 'RCPT TO' && smtpError.rejectedErrors?.length) {
            info = { accepted: [], rejectedErrors: smtpError.rejectedErrors };
          } else {
            failure = classifySmtpError(smtpError, scrub, { requireTls: settings.value.requireTls });
            for (const recipient of remaining) results.set(key(recipient), { recipient, status: failure.permanent ? 'failed' : 'retry', error: failure.error, atRcpt: false });
            break;
          }
        }
        const accepted = (info.accepted ?? []).map((a) => key(String(a)));
        if (accepted.length > 0) {
          messages++;
          messageId ??= info.messageId;
        }
        for (const address of accepted) results.set(address, { recipient: address, status: 'sent', messageId: info.messageId ?? null });
        const again: string[] = [];
        for (const refusal of info.rejectedErrors ?? []) {
          const recipient = key(refusal.recipient ?? '');
          const kind = classifyRefusal(refusal);
          if (kind === 'next-message' && accepted.length > 0) again.push(recipient);
          else results.set(recipient, { recipient, status: kind === 'failed' ? 'failed' : 'retry', error: refusalText(refusal, scrub), atRcpt: true });
        }
        remaining = again;
      }
      return {
        recipients: email.to.map((address) => {
          const result = results.get(key(address));
          return result ? { ...result, recipient: address } : { recipient: address, status: 'retry' as const, error: 'the server gave no answer for this recipient', atRcpt: false };
        }),
        messages,
        ...(failure ? { failure } : {}),
      };
    },
    close() {
      transport.close();
    },
  };
}
