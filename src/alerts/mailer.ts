import { createTransport } from 'nodemailer';

// Sends one email over SMTP and says what a failure means for the alerts in it.

export interface OutgoingEmail {
  from: string;
  to: readonly string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: Array<{ filename: string; content: string; contentType: string }>;
}

export type SendResult =
  | { ok: true; messageId: string | null }
  /** `retry`: try later (4xx, connection, timeout, authentication); `failed`: the server refused this email for good (5xx). */
  | { ok: false; disposition: 'retry' | 'failed'; error: string; authentication: boolean };

export interface Mailer {
  send(email: OutgoingEmail): Promise<SendResult>;
  verify(): Promise<void>;
  close(): void;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  command?: string;
}

export function classifySmtpError(error: SmtpError): SendResult {
  const code = error.responseCode;
  const authentication = error.code === 'EAUTH' || code === 535 || code === 534 || code === 530;
  // Never the server's full response: it can echo what we sent. Code, command and a short reason.
  const reason = (error.message ?? '').split('\n')[0]?.slice(0, 200) ?? '';
  const text = `${error.code ?? 'SMTP error'}${code ? ` ${code}` : ''}${error.command ? ` after ${error.command}` : ''}: ${reason}`;
  // Bad credentials are an operator's problem, not this email's: keep it and try again.
  if (authentication) return { ok: false, disposition: 'retry', error: text, authentication };
  if (code !== undefined && code >= 500 && code < 600) return { ok: false, disposition: 'failed', error: text, authentication };
  return { ok: false, disposition: 'retry', error: text, authentication };
}

export function createSmtpMailer(smtpUrl: string, options: { timeoutMs?: number } = {}): Mailer {
  const timeout = options.timeoutMs ?? 30_000;
  const transport = createTransport({
    url: smtpUrl,
    connectionTimeout: Math.min(timeout, 15_000),
    greetingTimeout: Math.min(timeout, 15_000),
    socketTimeout: timeout,
    dnsTimeout: 10_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  } as Parameters<typeof createTransport>[0]);
  return {
    async send(email) {
      try {
        const info = await transport.sendMail({
          from: email.from,
          to: [...email.to],
          subject: email.subject,
          text: email.text,
          ...(email.html ? { html: email.html } : {}),
          ...(email.attachments ? { attachments: email.attachments } : {}),
        });
        return { ok: true, messageId: (info as { messageId?: string }).messageId ?? null };
      } catch (error) {
        return classifySmtpError(error as SmtpError);
      }
    },
    async verify() {
      await transport.verify();
    },
    close() {
      transport.close();
    },
  };
}
