// The fetch ky makes each attempt of one call through. It reads the whole body inside the
// attempt, so that ky's per-attempt `timeout` covers the body too (a trickled body times out
// and is retried like a silent server) and a body is never larger than allowed. ky then gets a
// body-less copy of the answer: its status and headers are all it needs for its retry
// decisions, and the text is kept here, read once (handing the body on in a new Response, read
// again through ky, cost about a tenth of a request's CPU).

export type AttemptStatus = number | 'network' | 'timeout';

/** An answer that points elsewhere: never followed (it could carry the credentials to another origin). */
export class RedirectRefused extends Error {
  override name = 'RedirectRefused';
  constructor(readonly status: number) {
    super(`redirect (${status}) not followed`);
  }
}

/** A 2xx body larger than allowed. */
export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
  constructor(readonly maxBytes: number) {
    super(`response body larger than ${maxBytes} bytes`);
  }
}

export interface AttemptOptions {
  maxBodyBytes: number;
  /** Error bodies are only ever shown as a snippet: this much of them is read. */
  maxErrorBodyBytes?: number;
  fetch?: typeof globalThis.fetch;
  /** Told of every HTTP attempt, when its answer (or failure) arrives. */
  onAttempt?: (outcome: { status: AttemptStatus; ms: number }) => void;
}

export class Attempts {
  /** Body of the last answer (of an error answer: its first maxBodyBytes). */
  body = '';
  /** Access token sent with the last attempt. */
  token = '';
  /** A rejected token was replaced once already. */
  refreshed = false;

  constructor(private readonly options: AttemptOptions) {}

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const signal = input instanceof Request ? input.signal : init?.signal;
    const started = performance.now();
    let response: Response;
    try {
      response = await (this.options.fetch ?? globalThis.fetch)(input, init);
    } catch (error) {
      // ky aborts the attempt's signal on its timeout (or the caller aborted: no answer either way).
      this.options.onAttempt?.({ status: signal?.aborted ? 'timeout' : 'network', ms: performance.now() - started });
      throw error;
    }
    this.options.onAttempt?.({ status: response.status, ms: performance.now() - started });
    if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
      await response.body?.cancel().catch(() => undefined);
      throw new RedirectRefused(response.status);
    }
    this.body = await readBody(response, response.ok ? this.options.maxBodyBytes : (this.options.maxErrorBodyBytes ?? 64 * 1024));
    // The headers matter to ky only for a retry decision (Retry-After): not worth a copy on success.
    return new Response(null, { status: response.status, statusText: response.statusText, ...(response.ok ? {} : { headers: response.headers }) });
  };
}

/**
 * The body as text. A 2xx body over maxBytes is refused; an error body is cut there (only a
 * snippet of it is ever shown). A read aborted by the attempt's deadline rejects, as fetch does.
 */
async function readBody(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (response.ok && Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLarge(maxBytes);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      await reader.cancel().catch(() => undefined);
      if (response.ok) throw new BodyTooLarge(maxBytes);
      chunks.push(value.subarray(0, maxBytes - size));
      size = maxBytes;
      break;
    }
    size += value.byteLength;
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** The code of a network failure (ECONNREFUSED, UND_ERR_SOCKET …), found along its causes. */
export function networkErrorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code) return code;
    current = current.cause;
  }
  return error instanceof Error ? error.name : 'error';
}
