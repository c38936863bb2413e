import { parse } from 'csv-parse/sync';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

// A real SMTP server for tests: stores every accepted message, parsed, and can be told to
// answer RCPT/DATA with an error for a while.

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  parsed: ParsedMail;
  raw: string;
}

/** The rows of an alert email's CSV attachment, keyed by the header (empty without one). */
export function csvRows(mail: ReceivedMail): Array<Record<string, string>> {
  return parse(mail.parsed.attachments[0]?.content.toString('utf8') ?? '', { columns: true }) as Array<Record<string, string>>;
}

export class TestSmtpServer {
  readonly messages: ReceivedMail[] = [];
  private server: SMTPServer | undefined;
  /** When set, DATA is answered with this code and message. */
  reject: { code: number; message: string } | undefined;
  /** When true, a received message is kept and its DATA left unanswered until releaseStalled(). */
  stall = false;
  private stalled: Array<() => void> = [];
  /** How many messages are held unanswered. */
  get stalledCount(): number {
    return this.stalled.length;
  }
  /** Accepts the held messages (their senders may be long gone). */
  releaseStalled(): void {
    for (const accept of this.stalled.splice(0)) accept();
  }
  private waiters: Array<() => void> = [];

  /** `starttls: true` offers STARTTLS (smtp-server's self-signed certificate); by default it is not offered. */
  constructor(private readonly options: Partial<SMTPServerOptions> & { starttls?: boolean } = {}) {}

  async start(): Promise<this> {
    const { starttls, ...options } = this.options;
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: starttls ? [] : ['STARTTLS'],
      logger: false,
      ...options,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.reject) {
            const error = new Error(this.reject.message) as Error & { responseCode: number };
            error.responseCode = this.reject.code;
            return callback(error);
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          if (this.stall) {
            this.stalled.push(() => void this.store(raw, session.envelope, callback));
            return;
          }
          void this.store(raw, session.envelope, callback);
        });
      },
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    return this;
  }

  private async store(raw: string, envelope: { mailFrom: false | { address: string }; rcptTo: Array<{ address: string }> }, callback: (error?: Error | null) => void): Promise<void> {
    try {
      const parsed = await simpleParser(raw);
      this.messages.push({ envelope: { from: envelope.mailFrom ? envelope.mailFrom.address : '', to: envelope.rcptTo.map((r) => r.address) }, parsed, raw });
      for (const w of this.waiters.splice(0)) w();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  get port(): number {
    return ((this.server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Resolves when at least `count` messages have arrived (fails after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 30_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} email(s), got ${this.messages.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
