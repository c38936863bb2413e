// Every secret this process knows, and the one function that takes them out of a text: the
// configured ones (tokens, client secret, passwords in URLs) and those it learns while running
// (access tokens issued by the token endpoint). Text from outside (an API's error body, an SMTP
// server's reply, a database error) goes through `scrub` where it enters the program, before it
// is stored, printed, logged or emailed; the logger scrubs every line once more.

/** Shorter values are not treated as secrets: scrubbing them would garble ordinary text. */
export const MIN_SECRET_LENGTH = 4;

export class Secrets {
  private readonly values = new Set<string>();
  private pattern: RegExp | null = null;

  constructor(configured: Iterable<string> = []) {
    for (const value of configured) this.remember(value);
  }

  /** Adds a secret learnt at run time (an issued access token). */
  remember(value: string): void {
    if (value.length < MIN_SECRET_LENGTH || this.values.has(value)) return;
    this.values.add(value);
    this.pattern = null;
  }

  get size(): number {
    return this.values.size;
  }

  /** The text with every secret, raw or in any of the encodings it travels in, replaced by `[REDACTED]`. */
  scrub(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= buildPattern(this.values);
    return text.replace(this.pattern, '[REDACTED]');
  }
}

function buildPattern(values: ReadonlySet<string>): RegExp {
  const variants = new Set<string>();
  for (const v of values) {
    variants.add(v);
    variants.add(encodeURIComponent(v));
    // application/x-www-form-urlencoded (a token request body echoed back)
    variants.add(new URLSearchParams({ v }).toString().slice(2));
    // inside a JSON string (a log line, an echoed JSON body)
    variants.add(JSON.stringify(v).slice(1, -1));
  }
  // Longest first, so that a secret containing another is replaced whole.
  const alternatives = [...variants].sort((a, b) => b.length - a.length).map((v) => RegExp.escape(v));
  return new RegExp(alternatives.join('|'), 'g');
}
