import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { scaledClock } from '../domain/time-scale.js';
import { customerIdFor, customerIndex, generatedDetails, generatedDocuments, worldChanges, type SandboxDocument, type World, type WorldChange } from './generator.js';

// The built-in Cyrexa API simulator (SPEC §8): getDocuments and getDetailsById with the real
// API's header checks, a client-credentials token endpoint, and a control API under /_sandbox/
// for tests and demos.

export type FailureMode = '500' | '503' | '429' | '401' | '404' | 'invalid-json' | 'schema' | 'timeout' | 'reset';
const FAILURE_MODES: readonly FailureMode[] = ['500', '503', '429', '401', '404', 'invalid-json', 'schema', 'timeout', 'reset'];

export interface SandboxOptions {
  port?: number;
  host?: string;
  customers?: number;
  latencyMs?: number;
  seed?: number;
  /**
   * How fast the world's time runs: 1 (the default) is real time, 1440 a day a minute, 0 stands
   * still at `origin`. Its documents settle, expire and are renewed on that time.
   */
  timeScale?: number;
  /** The instant (ms) the world was generated around, where its time and real time agree; default: now. */
  origin?: number;
  /** The world's time (ms), instead of the scaled real time (tests set it). */
  clock?: () => number;
  tenantId?: string;
  /** Accepted static bearer token; undefined accepts any non-empty one. */
  accessToken?: string;
  /** Accepted `token` header; undefined accepts any non-empty one. */
  tokenHeader?: string;
  clientId?: string;
  clientSecret?: string;
  tokenLifetimeSeconds?: number;
  /** Most API requests (getDocuments, getDetailsById) in any one second; more get 429 with `Retry-After: 1`. */
  rateLimit?: number;
}

export interface SandboxStats {
  /** getDocuments requests. */
  requests: number;
  /** getDetailsById requests, by customer. */
  detailsRequests: Record<string, number>;
  byStatus: Record<string, number>;
  tokensIssued: number;
}

interface Failure {
  mode: FailureMode;
  remaining: number;
  retryAfter?: string;
}

export class Sandbox {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly overrides = new Map<string, SandboxDocument[] | null>();
  private readonly failures = new Map<string, Failure>();
  /** Tenant named in answers, per customer (null: everyone), when not the configured one. */
  private readonly answeredTenants = new Map<string | null, string>();
  private globalFailure: Failure | undefined;
  /** Names set for getDetailsById (null: the customer has no details, 404). */
  private readonly names = new Map<string, string | null>();
  private readonly detailsFailures = new Map<string | null, Failure>();
  private readonly issuedTokens = new Map<string, number>();
  stats: SandboxStats = { requests: 0, detailsRequests: {}, byStatus: {}, tokensIssued: 0 };
  readonly options: Required<Omit<SandboxOptions, 'accessToken' | 'tokenHeader' | 'clientId' | 'clientSecret' | 'rateLimit' | 'clock'>> &
    Pick<SandboxOptions, 'accessToken' | 'tokenHeader' | 'clientId' | 'clientSecret' | 'rateLimit'>;
  /** The world's time (ms). */
  readonly now: () => number;
  readonly world: World;

  /** Told of every getDocuments request as it arrives (tests that count requests per customer). */
  onDocumentsRequest: ((customerId: string) => void) | undefined;

  /** The rate limit's clock (monotonic ms): a test may stop it to make every request of a burst arrive at once. */
  rateClock: () => number = () => performance.now();

  constructor(options: SandboxOptions = {}) {
    this.options = {
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      customers: options.customers ?? 100,
      latencyMs: options.latencyMs ?? 0,
      seed: options.seed ?? 1,
      timeScale: options.timeScale ?? 1,
      origin: options.origin ?? Date.now(),
      tenantId: options.tenantId ?? 'sandbox-tenant',
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 2399,
      rateLimit: options.rateLimit,
      accessToken: options.accessToken,
      tokenHeader: options.tokenHeader,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
    };
    if (!(this.options.timeScale >= 0 && Number.isFinite(this.options.timeScale))) throw new Error(`timeScale must be a number ≥ 0 (got ${this.options.timeScale})`);
    this.world = { seed: this.options.seed, origin: this.options.origin };
    const scaled = scaledClock({ origin: this.options.origin, scale: this.options.timeScale });
    this.now = options.clock ?? (() => scaled().getTime());
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('sandbox is not listening');
    return `http://${this.options.host}:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.options.port, this.options.host, () => resolve());
    });
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Sets a customer's documents exactly (the customer exists from now on, generated or not). */
  setDocuments(customerId: string, documents: SandboxDocument[] | Array<Partial<SandboxDocument>>): void {
    this.overrides.set(customerId, documents as SandboxDocument[]);
  }

  /** Makes the customer unknown (404) from now on. */
  deleteCustomer(customerId: string): void {
    this.overrides.set(customerId, null);
  }

  /** The next `times` getDocuments for the customer (or for everyone, with customerId null) fail this way. */
  failNext(customerId: string | null, mode: FailureMode, times = 1, retryAfter?: string): void {
    const failure: Failure = { mode, remaining: times, ...(retryAfter !== undefined ? { retryAfter } : {}) };
    if (customerId === null) this.globalFailure = failure;
    else this.failures.set(customerId, failure);
  }

  /** Answers for the customer (or for everyone, with customerId null) name this tenant from now on: a tenant mix-up. */
  answerAsTenant(customerId: string | null, tenantId: string | undefined): void {
    if (tenantId === undefined) this.answeredTenants.delete(customerId);
    else this.answeredTenants.set(customerId, tenantId);
  }

  clearFailures(): void {
    this.failures.clear();
    this.globalFailure = undefined;
    this.detailsFailures.clear();
  }

  /** The customer's name in getDetailsById from now on (null: no details, 404); by default one is generated. */
  setCustomerName(customerId: string, name: string | null): void {
    this.names.set(customerId, name);
  }

  /**
   * The next `times` getDetailsById for the customer (or for everyone, with customerId null) fail
   * this way; `echo` answers 200 with the request's credentials as the customer's name.
   */
  failDetailsNext(customerId: string | null, mode: FailureMode | 'echo', times = 1): void {
    this.detailsFailures.set(customerId, { mode: mode as FailureMode, remaining: times });
  }

  resetStats(): void {
    this.stats = { requests: 0, detailsRequests: {}, byStatus: {}, tokensIssued: 0 };
  }

  documentsOf(customerId: string): SandboxDocument[] | null {
    if (this.overrides.has(customerId)) return this.overrides.get(customerId) ?? null;
    if (customerIndex(customerId, this.options.customers) === null) return null;
    return generatedDocuments(this.world, customerId, this.now());
  }

  /**
   * What changed in the generated customers' documents in `[from, to)` of the world's time,
   * oldest first (customers whose documents were set or deleted are not generated: not listed).
   */
  changes(from: number, to: number, customerId?: string): WorldChange[] {
    const ids = customerId !== undefined ? [customerId] : Array.from({ length: this.options.customers }, (_, i) => customerIdFor(i));
    const changes: WorldChange[] = [];
    for (const id of ids) {
      if (this.overrides.has(id) || customerIndex(id, this.options.customers) === null) continue;
      changes.push(...worldChanges(this.world, id, from, to));
    }
    return changes.sort((a, b) => a.at - b.at);
  }

  private count(status: number | string): void {
    const key = String(status);
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      if (url.pathname.startsWith('/_sandbox/')) return await this.control(req, res, url);
      if (req.method === 'POST' && url.pathname === '/oauth/token') return await this.token(req, res);
      const match = /^\/getDocuments\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && match?.[1] !== undefined) return await this.getDocuments(req, res, decodeURIComponent(match[1]));
      const details = /^\/getDetailsById\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && details?.[1] !== undefined) return await this.getDetailsById(req, res, decodeURIComponent(details[1]));
      this.send(res, 404, { status: 404, message: 'Not Found', path: url.pathname });
    } catch (error) {
      if (!res.headersSent) this.send(res, 500, { status: 500, message: (error as Error).message });
    }
  }

  private authorised(req: IncomingMessage): boolean {
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!bearer) return false;
    const issued = this.issuedTokens.get(bearer);
    const bearerOk = this.options.accessToken === undefined ? true : bearer === this.options.accessToken || (issued !== undefined && issued > Date.now());
    const tenantOk = req.headers.tenantid === this.options.tenantId;
    const token = req.headers.token;
    const tokenOk = typeof token === 'string' && token !== '' && (this.options.tokenHeader === undefined || token === this.options.tokenHeader || this.issuedTokens.has(token));
    return bearerOk && tenantOk && tokenOk;
  }

  private async getDocuments(req: IncomingMessage, res: ServerResponse, customerId: string): Promise<void> {
    this.stats.requests++;
    this.onDocumentsRequest?.(customerId);
    if (this.overRateLimit()) {
      this.count(429);
      return this.send(res, 429, { status: 429, message: 'Too Many Requests' }, { 'retry-after': '1' });
    }
    if (this.options.latencyMs > 0) await new Promise((r) => setTimeout(r, this.options.latencyMs));
    const failure = this.takeFailure(customerId);
    if (failure) return this.fail(res, failure);
    if (!this.authorised(req)) {
      this.count(401);
      return this.send(res, 401, { status: 401, message: 'Unauthorized', path: req.url });
    }
    const documents = this.documentsOf(customerId);
    if (documents === null) {
      this.count(404);
      return this.send(res, 404, { status: 404, message: 'Customer not found', path: req.url });
    }
    this.count(200);
    const tenantId = this.answeredTenants.get(customerId) ?? this.answeredTenants.get(null) ?? this.options.tenantId;
    this.send(res, 200, { tenantId, documents });
  }

  private async getDetailsById(req: IncomingMessage, res: ServerResponse, customerId: string): Promise<void> {
    // Counted apart: `requests` and `byStatus` stay getDocuments' (the benchmark reads them).
    this.stats.detailsRequests[customerId] = (this.stats.detailsRequests[customerId] ?? 0) + 1;
    // One limit for every endpoint, as an API gateway counts.
    if (this.overRateLimit()) {
      return this.send(res, 429, { status: 429, message: 'Too Many Requests' }, { 'retry-after': '1' });
    }
    if (this.options.latencyMs > 0) await new Promise((r) => setTimeout(r, this.options.latencyMs));
    const failure = this.takeDetailsFailure(customerId);
    if ((failure?.mode as string) === 'echo') {
      const echoed = `${req.headers.authorization ?? ''} ${String(req.headers.token ?? '')}`;
      return this.send(res, 200, generatedDetails(this.options.seed, customerId, echoed));
    }
    if (failure) return this.fail(res, failure, false);
    if (!this.authorised(req)) {
      return this.send(res, 401, { status: 401, message: 'Unauthorized', path: req.url });
    }
    const name = this.names.get(customerId);
    if (name === null || (name === undefined && this.documentsOf(customerId) === null)) {
      return this.send(res, 404, { status: 404, message: 'Customer not found', path: req.url });
    }
    this.send(res, 200, generatedDetails(this.options.seed, customerId, name));
  }

  private takeDetailsFailure(customerId: string): Failure | undefined {
    for (const key of [customerId, null]) {
      const failure = this.detailsFailures.get(key);
      if (failure && failure.remaining > 0) {
        failure.remaining--;
        if (failure.remaining === 0) this.detailsFailures.delete(key);
        return failure;
      }
    }
    return undefined;
  }

  /** Arrival times of the last `rateLimit` accepted requests, as a ring. */
  private arrivals: Float64Array | undefined;
  private arrivalNext = 0;

  /** A sliding one-second window: the request is over the limit when `rateLimit` were accepted in the last second. */
  private overRateLimit(): boolean {
    const limit = this.options.rateLimit;
    if (limit === undefined) return false;
    this.arrivals ??= new Float64Array(limit).fill(-Infinity);
    const now = this.rateClock();
    const oldest = this.arrivals[this.arrivalNext] ?? -Infinity;
    if (now - oldest < 1000) return true;
    this.arrivals[this.arrivalNext] = now;
    this.arrivalNext = (this.arrivalNext + 1) % limit;
    return false;
  }

  private takeFailure(customerId: string): Failure | undefined {
    for (const [holder, failure] of [['one', this.failures.get(customerId)], ['all', this.globalFailure]] as const) {
      if (failure && failure.remaining > 0) {
        failure.remaining--;
        if (failure.remaining === 0) {
          if (holder === 'one') this.failures.delete(customerId);
          else this.globalFailure = undefined;
        }
        return failure;
      }
    }
    return undefined;
  }

  private fail(res: ServerResponse, failure: Failure, counted = true): void {
    const mode = failure.mode;
    if (counted) this.count(mode);
    switch (mode) {
      case 'invalid-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"tenantId": "t", "documents": [ {"status": ');
        return;
      case 'schema':
        return this.send(res, 200, { tenantId: this.options.tenantId, documents: 'not-a-list' });
      case 'timeout':
        // Never answer; the client must give up on its own.
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      default: {
        const status = Number(mode);
        const headers: Record<string, string> = failure.retryAfter !== undefined ? { 'retry-after': failure.retryAfter } : {};
        return this.send(res, status, { status, message: `sandbox failure ${status}` }, headers);
      }
    }
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readText(req));
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    const clientId = form.get('client_id') ?? basicId;
    const clientSecret = form.get('client_secret') ?? basicSecret;
    const expectedId = this.options.clientId;
    const expectedSecret = this.options.clientSecret;
    if (form.get('grant_type') !== 'client_credentials' || !clientId || !clientSecret || (expectedId !== undefined && clientId !== expectedId) || (expectedSecret !== undefined && clientSecret !== expectedSecret)) {
      return this.send(res, 401, { error: 'invalid_client' });
    }
    const token = randomBytes(24).toString('base64url');
    this.issuedTokens.set(token, Date.now() + this.options.tokenLifetimeSeconds * 1000);
    this.stats.tokensIssued++;
    this.send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: this.options.tokenLifetimeSeconds });
  }

  /** Every access token issued so far (tests look for them where they must not be). */
  issuedTokenValues(): string[] {
    return [...this.issuedTokens.keys()];
  }

  /** Expires every issued token now (the next request with one gets 401). */
  revokeTokens(): void {
    for (const token of this.issuedTokens.keys()) this.issuedTokens.set(token, 0);
  }

  private clockState(): { now: string; origin: string; timeScale: number } {
    return { now: new Date(this.now()).toISOString(), origin: new Date(this.options.origin).toISOString(), timeScale: this.options.timeScale };
  }

  /** `GET /_sandbox/changes?from=…&to=…&customer=…`: from defaults to the origin, to to now (the world's time). */
  private changesAnswer(res: ServerResponse, url: URL): void {
    const from = instantParam(url, 'from') ?? this.options.origin;
    const to = instantParam(url, 'to') ?? this.now();
    if (Number.isNaN(from) || Number.isNaN(to)) return this.send(res, 400, { message: 'from and to must be ISO 8601 instants or milliseconds since 1970' });
    if (to - from > 400 * 86_400_000) return this.send(res, 400, { message: 'from and to may be at most 400 days apart' });
    const customer = url.searchParams.get('customer') ?? undefined;
    const changes = this.changes(from, to, customer).map((c) => ({ ...c, at: new Date(c.at).toISOString() }));
    this.send(res, 200, { ...this.clockState(), from: new Date(from).toISOString(), to: new Date(to).toISOString(), changes });
  }

  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice('/_sandbox'.length);
    const customer = /^\/customers\/([^/]+)(\/documents|\/fail)?$/.exec(path);
    if (req.method === 'GET' && path === '/stats') return this.send(res, 200, this.stats);
    if (req.method === 'GET' && path === '/clock') return this.send(res, 200, this.clockState());
    if (req.method === 'GET' && path === '/changes') return this.changesAnswer(res, url);
    if (req.method === 'POST' && path === '/stats/reset') {
      this.resetStats();
      return this.send(res, 200, this.stats);
    }
    if (req.method === 'GET' && path === '/customers') {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? this.options.customers), this.options.customers);
      const ids = Array.from({ length: limit }, (_, i) => customerIdFor(i));
      return this.send(res, 200, `${ids.join('\n')}\n`);
    }
    if (req.method === 'POST' && path === '/fail') {
      const body = JSON.parse((await readText(req)) || '{}') as { mode?: string; times?: number; retryAfter?: string };
      if (!FAILURE_MODES.includes(body.mode as FailureMode)) return this.send(res, 400, { message: `mode must be one of ${FAILURE_MODES.join(', ')}` });
      this.failNext(null, body.mode as FailureMode, body.times ?? 1, body.retryAfter);
      return this.send(res, 200, { ok: true });
    }
    if (req.method === 'POST' && path === '/tokens/revoke') {
      this.revokeTokens();
      return this.send(res, 200, { ok: true });
    }
    if (customer?.[1] !== undefined) {
      const id = decodeURIComponent(customer[1]);
      if (req.method === 'PUT' && customer[2] === '/documents') {
        const body = JSON.parse(await readText(req)) as { documents?: SandboxDocument[] };
        if (!Array.isArray(body.documents)) return this.send(res, 400, { message: 'body must be {"documents": [...]}' });
        this.setDocuments(id, body.documents);
        return this.send(res, 200, { ok: true });
      }
      if (req.method === 'GET' && customer[2] === '/documents') return this.send(res, 200, { documents: this.documentsOf(id) });
      if (req.method === 'POST' && customer[2] === '/fail') {
        const body = JSON.parse((await readText(req)) || '{}') as { mode?: string; times?: number; retryAfter?: string };
        if (!FAILURE_MODES.includes(body.mode as FailureMode)) return this.send(res, 400, { message: `mode must be one of ${FAILURE_MODES.join(', ')}` });
        this.failNext(id, body.mode as FailureMode, body.times ?? 1, body.retryAfter);
        return this.send(res, 200, { ok: true });
      }
      if (req.method === 'DELETE' && customer[2] === undefined) {
        this.deleteCustomer(id);
        return this.send(res, 200, { ok: true });
      }
    }
    this.send(res, 404, { message: 'unknown sandbox control endpoint' });
  }
}

/** A query parameter as an instant: ISO 8601 or milliseconds; null when absent, NaN when unreadable. */
function instantParam(url: URL, name: string): number | null {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return null;
  return /^\d+$/.test(text) ? Number(text) : Date.parse(text);
}

async function readText(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
