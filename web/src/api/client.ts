// The API client: bearer tokens, a refresh that survives a weak network, commands with an
// Idempotency-Key kept across retries, and every failure turned into a Chinese message.
import { GENERIC_ERROR, NETWORK_ERROR, SERVER_ERROR, messageFor } from "./messages";
import type { components } from "./schema";

export type TokenResponse = components["schemas"]["TokenResponse"];
export type UserRead = components["schemas"]["UserRead"];

/** A signed-in session as the phone keeps it. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, ms since the epoch (phone clock). */
  expiresAt: number;
  user: UserRead;
}

export interface SessionStore {
  load(): Session | null;
  save(session: Session): void;
  clear(): void;
}

/** The API answered with an error: its code, our Chinese message, and the body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly body: Record<string, unknown>,
  ) {
    super(messageFor(code));
    this.name = "ApiError";
  }
}

/** No answer came back (offline, dropped, timed out): nothing is known about the outcome. */
export class NetworkError extends Error {
  constructor(readonly cause?: unknown) {
    super(NETWORK_ERROR);
    this.name = "NetworkError";
  }
}

/** The session ended on the server's word (not on a network error): sign in again. */
export class SignedOut extends Error {
  constructor(readonly code: string) {
    super(messageFor(code));
    this.name = "SignedOut";
  }
}

/** The Chinese message for anything a call may throw; never raw JSON or a stack. */
export function userMessage(error: unknown): string {
  if (error instanceof ApiError || error instanceof NetworkError || error instanceof SignedOut) {
    return error.message;
  }
  return GENERIC_ERROR;
}

export interface RequestOptions {
  body?: unknown;
  /** Retries stop once the first try is this old, ms; each try waits at most the rest. */
  retryWindowMs?: number;
  query?: Record<string, string | number | boolean | undefined>;
  /** Commands: sent as Idempotency-Key, the same on every retry of this call. */
  idempotencyKey?: string;
  /** Sign-in and refresh go without a bearer token. */
  anonymous?: boolean;
  /** The body as a Blob (a file download), not JSON. */
  blob?: boolean;
}

export interface ApiClientOptions {
  baseUrl?: string;
  store: SessionStore;
  fetch?: typeof fetch;
  /** Waits between retries; tests pass a fake. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Backoff before each retry of a lost answer, ms (its length is the number of retries). */
  retryDelays?: number[];
  /** How long to wait for one answer before treating it as lost, ms. */
  timeoutMs?: number;
  onSignedOut?: (reason: SignedOut) => void;
}

const DEFAULT_RETRY_DELAYS = [500, 1500, 3000, 5000];
// The server answers a replayed refresh with the same pair for 20 s; after that the same
// token counts as reuse and ends every session of the sign-in. So a refresh is asked
// again only while the first try is less than this old, each try waiting at most
// REFRESH_TIMEOUT_MS for its answer.
export const REFRESH_WINDOW_MS = 15_000;
const REFRESH_TIMEOUT_MS = 5_000;
const REFRESH_AHEAD_MS = 30_000;
const SESSION_ENDING_CODES = new Set([
  "refresh_token_invalid",
  "refresh_token_expired",
  "refresh_token_revoked",
  "refresh_token_reused",
  "account_disabled",
]);

export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  // Older WebViews without randomUUID (or on plain http): 128 random bits.
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function sessionOf(answer: TokenResponse, now: number): Session {
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    expiresAt: now + answer.expires_in * 1000,
    user: answer.user,
  };
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly retryDelays: number[];
  private readonly timeoutMs: number;
  private refreshing: Promise<Session> | null = null;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl ?? "";
    this.fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.retryDelays = options.retryDelays ?? DEFAULT_RETRY_DELAYS;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  get session(): Session | null {
    return this.options.store.load();
  }

  /** Start a session from a sign-in answer (password or a platform's own sign-on). */
  begin(answer: TokenResponse): Session {
    const session = sessionOf(answer, this.now());
    this.options.store.save(session);
    return session;
  }

  /** Forget the session on this phone (after sign-out, or when the server ended it). */
  end(): void {
    this.options.store.clear();
  }

  get<T>(path: string, query?: RequestOptions["query"]): Promise<T> {
    return this.request<T>("GET", path, { query });
  }

  /** A file (an .xlsx report) with the bearer token a bare link cannot carry. */
  getBlob(path: string, query?: RequestOptions["query"]): Promise<Blob> {
    return this.request<Blob>("GET", path, { query, blob: true });
  }

  /** A command: retried on a lost answer with the same Idempotency-Key, so it runs once. */
  command<T>(path: string, body: unknown, idempotencyKey: string = newIdempotencyKey()) {
    return this.request<T>("POST", path, { body, idempotencyKey });
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    // Reads and keyed commands are safe to repeat; other writes are sent once.
    const retriable = method === "GET" || opts.idempotencyKey !== undefined;
    let refreshed = false;
    for (;;) {
      const token = opts.anonymous ? null : await this.freshAccessToken();
      const response = await this.send(method, path, opts, token, retriable);
      if (response.status === 401 && !opts.anonymous && !refreshed) {
        const body = await readBody(response);
        if (body.code === "token_expired" || body.code === "token_invalid") {
          refreshed = true;
          await this.refresh(token);
          continue;
        }
        throw toError(response.status, body);
      }
      if (!response.ok) throw toError(response.status, await readBody(response));
      if (response.status === 204) return undefined as T;
      if (opts.blob) return (await response.blob()) as T;
      return (await response.json()) as T;
    }
  }

  /** A new pair for the current refresh token. One refresh at a time; its answer, when
   *  lost, is asked for again with the same token (the server repeats the same pair). */
  refresh(staleAccessToken: string | null = null): Promise<Session> {
    const current = this.options.store.load();
    if (!current) return Promise.reject(this.signedOut("auth_required"));
    if (staleAccessToken !== null && current.accessToken !== staleAccessToken) {
      return Promise.resolve(current); // someone else refreshed meanwhile
    }
    if (!this.refreshing) {
      this.refreshing = this.spendRefreshToken(current.refreshToken).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async spendRefreshToken(refreshToken: string): Promise<Session> {
    const response = await this.send(
      "POST",
      "/api/v1/auth/refresh",
      { body: { refresh_token: refreshToken }, anonymous: true, retryWindowMs: REFRESH_WINDOW_MS },
      null,
      true,
    );
    const body = await readBody(response);
    if (response.ok) return this.begin(body as unknown as TokenResponse);
    const code = typeof body.code === "string" ? body.code : "";
    if (SESSION_ENDING_CODES.has(code)) throw this.signedOut(code);
    throw toError(response.status, body);
  }

  private signedOut(code: string): SignedOut {
    this.options.store.clear();
    const reason = new SignedOut(code);
    this.options.onSignedOut?.(reason);
    return reason;
  }

  /** A bearer token for a request the client does not send itself (the live stream). */
  accessToken(): Promise<string | null> {
    return this.freshAccessToken();
  }

  private async freshAccessToken(): Promise<string | null> {
    const session = this.options.store.load();
    if (!session) return null;
    if (session.expiresAt - this.now() > REFRESH_AHEAD_MS) return session.accessToken;
    try {
      return (await this.refresh()).accessToken;
    } catch (error) {
      // Offline: try the old token; the server says if it is really expired.
      if (error instanceof NetworkError) return session.accessToken;
      throw error;
    }
  }

  /** One request, retried while no answer comes back (or a 502/503/504 from a proxy). */
  private async send(
    method: string,
    path: string,
    opts: RequestOptions,
    token: string | null,
    retriable: boolean,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: opts.blob ? "*/*" : "application/json" };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.idempotencyKey) headers["idempotency-key"] = opts.idempotencyKey;
    const init: RequestInit = {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    };
    const url = this.baseUrl + path + queryString(opts.query);
    const delays = retriable ? this.retryDelays : [];
    const windowMs = opts.retryWindowMs;
    const started = this.now();
    for (let attempt = 0; ; attempt++) {
      const timeout =
        windowMs === undefined
          ? this.timeoutMs
          : Math.min(REFRESH_TIMEOUT_MS, windowMs - (this.now() - started));
      let answered: Response | undefined;
      let lost: unknown;
      try {
        answered = await this.fetchWithTimeout(url, init, timeout);
        if (![502, 503, 504].includes(answered.status)) return answered;
      } catch (error) {
        lost = error;
      }
      const delay = delays[attempt];
      // A phone that knows it is offline gets its answer (and its queue) now, not after
      // the backoff: the browser's own offline flag, when there is one, is believed.
      const offline = !answered && typeof navigator !== "undefined" && navigator.onLine === false;
      const tooLate =
        offline ||
        delay === undefined ||
        (windowMs !== undefined && this.now() + delay - started >= windowMs);
      if (tooLate) {
        if (answered) return answered; // the proxy's 502/503/504, as it was
        throw new NetworkError(lost);
      }
      await this.sleep(delay);
    }
  }

  private async fetchWithTimeout(url: string, init: RequestInit, timeoutMs: number) {
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : null;
    try {
      return await this.fetchImpl(url, { ...init, signal: controller?.signal });
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

function queryString(query: RequestOptions["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function readBody(response: Response): Promise<Record<string, unknown>> {
  try {
    const body: unknown = await response.json();
    return body && typeof body === "object" ? (body as Record<string, unknown>) : {};
  } catch {
    return {}; // not JSON (a proxy's HTML page): the status decides the message
  }
}

function toError(status: number, body: Record<string, unknown>): ApiError {
  const code = typeof body.code === "string" ? body.code : "";
  const detail = typeof body.detail === "string" ? body.detail : "";
  const error = new ApiError(status, code, detail, body);
  // No code at all (a proxy's page, a crash before our handler): say which side failed.
  if (!code && status >= 500) error.message = SERVER_ERROR;
  return error;
}
