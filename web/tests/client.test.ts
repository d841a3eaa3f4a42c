import { describe, expect, it, vi } from "vitest";
import {
  ApiClient,
  ApiError,
  NetworkError,
  REFRESH_WINDOW_MS,
  SignedOut,
  userMessage,
  type Session,
} from "../src/api/client";
import { ERROR_MESSAGES, GENERIC_ERROR, NETWORK_ERROR, SERVER_ERROR } from "../src/api/messages";
import { memorySessionStore } from "../src/auth/store";

const NOW = 1_800_000_000_000;
const user = { id: 7, display_name: "张三", role: "officer", role_label_zh: "执法队员" };

function session(overrides: Partial<Session> = {}): Session {
  return {
    accessToken: "access-1",
    refreshToken: "refresh-1",
    expiresAt: NOW + 600_000,
    user: user as Session["user"],
    ...overrides,
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

const pair = (n: number) => ({
  access_token: `access-${n}`,
  refresh_token: `refresh-${n}`,
  expires_in: 900,
  token_type: "bearer",
  user,
});

type Step = Response | Error;

/** A fetch that answers from a script and records what it was sent. */
function scriptedFetch(steps: Step[]) {
  const calls: { url: string; headers: Record<string, string>; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(url),
      headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    const step = steps.shift();
    if (!step) throw new Error("unexpected request");
    if (step instanceof Error) throw step;
    return step;
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

function client(steps: Step[], initial: Session | null = session()) {
  const store = memorySessionStore(initial);
  const { fetch, calls } = scriptedFetch(steps);
  const onSignedOut = vi.fn();
  const api = new ApiClient({
    store,
    fetch,
    now: () => NOW,
    sleep: async () => {},
    retryDelays: [10, 10, 10],
    onSignedOut,
  });
  return { api, store, calls, onSignedOut };
}

const lost = () => new TypeError("Failed to fetch");

describe("token refresh on a weak network", () => {
  it("retries a refresh whose answer was lost with the same refresh token", async () => {
    const { api, store, calls, onSignedOut } = client([
      json(401, { code: "token_expired", detail: "expired" }),
      lost(), // the refresh reached the server, its answer did not come back
      json(200, pair(2)), // the same token again: the server repeats the pair
      json(200, { items: [], next_cursor: null }),
    ]);
    await expect(api.get("/api/v1/me/tasks")).resolves.toEqual({ items: [], next_cursor: null });
    const refreshes = calls.filter((c) => c.url.endsWith("/auth/refresh"));
    expect(refreshes.map((c) => c.body)).toEqual([
      { refresh_token: "refresh-1" },
      { refresh_token: "refresh-1" },
    ]);
    expect(calls[3]!.headers.authorization).toBe("Bearer access-2");
    expect(store.load()?.refreshToken).toBe("refresh-2");
    expect(onSignedOut).not.toHaveBeenCalled();
  });

  it("never signs out on a network error: the session stays for the next try", async () => {
    const { api, store, onSignedOut } = client(
      [lost(), lost(), lost(), lost()],
      session({ expiresAt: NOW + 1000 }),
    );
    await expect(api.refresh()).rejects.toBeInstanceOf(NetworkError);
    expect(store.load()?.refreshToken).toBe("refresh-1");
    expect(onSignedOut).not.toHaveBeenCalled();
  });

  it("asks again only while the server would still repeat its answer", async () => {
    // Each lost try takes 4 s to time out; retries wait 0.5, 1.5, 3 and 5 s.
    let clock = NOW;
    const sentAt: number[] = [];
    const store = memorySessionStore(session({ expiresAt: NOW + 1000 }));
    const onSignedOut = vi.fn();
    const api = new ApiClient({
      store,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
      fetch: (async () => {
        sentAt.push(clock - NOW);
        clock += 4000;
        throw new TypeError("Failed to fetch");
      }) as unknown as typeof globalThis.fetch,
      onSignedOut,
    });
    await expect(api.refresh()).rejects.toBeInstanceOf(NetworkError);
    expect(sentAt).toEqual([0, 4500, 10000]); // the next would start at 17 s: too late
    expect(sentAt.every((t) => t < REFRESH_WINDOW_MS)).toBe(true);
    expect(store.load()?.refreshToken).toBe("refresh-1");
    expect(onSignedOut).not.toHaveBeenCalled();
  });

  it("refreshes ahead of expiry and sends one refresh for concurrent calls", async () => {
    const { api, calls } = client(
      [json(200, pair(2)), json(200, { a: 1 }), json(200, { b: 2 })],
      session({ expiresAt: NOW + 5_000 }),
    );
    await Promise.all([api.get("/api/v1/me"), api.get("/api/v1/me/tasks")]);
    expect(calls.filter((c) => c.url.endsWith("/auth/refresh"))).toHaveLength(1);
    expect(calls.slice(1).map((c) => c.headers.authorization)).toEqual([
      "Bearer access-2",
      "Bearer access-2",
    ]);
  });

  it("ends the session when the server says the refresh token is spent", async () => {
    const { api, store, onSignedOut } = client([
      json(401, { code: "token_expired", detail: "expired" }),
      json(401, { code: "refresh_token_reused", detail: "reused" }),
    ]);
    const error = await api.get("/api/v1/me").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignedOut);
    expect((error as SignedOut).message).toBe(ERROR_MESSAGES.refresh_token_reused);
    expect(store.load()).toBeNull();
    expect(onSignedOut).toHaveBeenCalledOnce();
  });
});

describe("commands with an Idempotency-Key", () => {
  it("retries a command whose answer was lost with the same key", async () => {
    const { api, calls } = client([lost(), json(503, {}), json(200, { id: 1, version: 2 })]);
    await expect(api.command("/api/v1/cases/1/accept", { version: 1 }, "key-1")).resolves.toEqual({
      id: 1,
      version: 2,
    });
    expect(calls.map((c) => c.headers["idempotency-key"])).toEqual(["key-1", "key-1", "key-1"]);
    expect(calls.every((c) => JSON.stringify(c.body) === '{"version":1}')).toBe(true);
  });

  it("keeps the key when the access token is refreshed in between", async () => {
    const { api, calls } = client([
      json(401, { code: "token_expired", detail: "" }),
      json(200, pair(2)),
      json(200, { ok: true }),
    ]);
    await api.command("/api/v1/cases/1/accept", { version: 1 }, "key-9");
    const sent = calls.filter((c) => c.url.endsWith("/accept"));
    expect(sent.map((c) => [c.headers["idempotency-key"], c.headers.authorization])).toEqual([
      ["key-9", "Bearer access-1"],
      ["key-9", "Bearer access-2"],
    ]);
  });

  it("generates a key when none is given, and reports a network failure as such", async () => {
    const { api, calls } = client([lost(), lost(), lost(), lost()]);
    const error = await api.command("/api/v1/cases/1/accept", { version: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(userMessage(error)).toBe(NETWORK_ERROR);
    const keys = new Set(calls.map((c) => c.headers["idempotency-key"]));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{32,36}$/);
  });

  it("does not retry an unkeyed write", async () => {
    const { api, calls } = client([lost()]);
    await expect(api.request("POST", "/api/v1/auth/logout", { body: {} })).rejects.toBeInstanceOf(
      NetworkError,
    );
    expect(calls).toHaveLength(1);
  });
});

describe("errors in Chinese", () => {
  it("maps a documented code to its message and keeps the body", async () => {
    const { api } = client([
      json(409, { code: "case_version_conflict", detail: "stale", current_version: 4 }),
    ]);
    const error = (await api.command("/api/v1/cases/1/accept", { version: 3 }).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(409);
    expect(error.code).toBe("case_version_conflict");
    expect(error.message).toBe("案件已被他人更新，已为您显示最新情况");
    expect(error.body.current_version).toBe(4);
  });

  it("gives unknown codes a generic message, never the raw answer", async () => {
    const { api } = client([json(418, { code: "teapot_overflow", detail: "I'm a teapot" })]);
    const error = await api.get("/api/v1/me").catch((e: unknown) => e);
    expect(userMessage(error)).toBe(GENERIC_ERROR);
  });

  it("reads a proxy's HTML error page as a server error", async () => {
    const { api } = client([new Response("<html>Bad gateway</html>", { status: 500 })]);
    const error = await api.get("/api/v1/me").catch((e: unknown) => e);
    expect(userMessage(error)).toBe(SERVER_ERROR);
  });

  it("says something readable for any other failure", () => {
    expect(userMessage(new SyntaxError("Unexpected token < in JSON"))).toBe(GENERIC_ERROR);
    expect(userMessage("boom")).toBe(GENERIC_ERROR);
  });

  it("sends no bearer token when signed out, and maps the 401", async () => {
    const { api, calls } = client([json(401, { code: "auth_required", detail: "" })], null);
    const error = await api.get("/api/v1/me").catch((e: unknown) => e);
    expect(calls[0]!.headers.authorization).toBeUndefined();
    expect(userMessage(error)).toBe("请先登录");
  });
});

describe("a phone that knows it is offline", () => {
  it("gets the network error at once instead of after the backoff", async () => {
    const online = vi.spyOn(navigator, "onLine", "get").mockReturnValue(false);
    try {
      const { api, calls } = client([lost(), lost(), lost(), lost()]);
      const error = await api.command("/api/v1/cases/1/accept", { version: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect(calls).toHaveLength(1);
    } finally {
      online.mockRestore();
    }
  });
});
