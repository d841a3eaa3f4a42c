import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, type Session } from "../src/api/client";
import { passwordProvider, signIn, signOut } from "../src/auth/provider";
import { memorySessionStore } from "../src/auth/store";

const NOW = 1_800_000_000_000;
const user = { id: 3, display_name: "李娜", role: "officer", role_label_zh: "执法队员" };
const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status });

function setup(answers: (Response | Error)[], initial: Session | null = null) {
  const store = memorySessionStore(initial);
  const sent: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({ url: String(url), init: init ?? {} });
    const next = answers.shift();
    if (!next || next instanceof Error) throw next ?? new Error("unexpected");
    return next;
  });
  const api = new ApiClient({
    store,
    fetch: fetch as unknown as typeof globalThis.fetch,
    now: () => NOW,
    sleep: async () => {},
    retryDelays: [1],
  });
  return { api, store, sent };
}

describe("password sign-in through the provider seam", () => {
  it("keeps the session the API answers, with its expiry", async () => {
    const { api, store, sent } = setup([
      json(200, { access_token: "a", refresh_token: "r", expires_in: 900, token_type: "bearer", user }),
    ]);
    const provider = passwordProvider(api);
    expect(provider.id).toBe("password");
    const session = await signIn(api, provider, { username: "officer.x", password: "pw" });
    expect(session).toMatchObject({ accessToken: "a", refreshToken: "r", expiresAt: NOW + 900_000 });
    expect(store.load()?.user.display_name).toBe("李娜");
    expect(JSON.parse(String(sent[0]!.init.body))).toEqual({ username: "officer.x", password: "pw" });
    expect((sent[0]!.init.headers as Record<string, string>).authorization).toBeUndefined();
  });

  it("says wrong credentials in Chinese and keeps nothing", async () => {
    const { api, store } = setup([json(401, { code: "invalid_credentials", detail: "wrong" })]);
    const error = await signIn(api, passwordProvider(api), { username: "x", password: "y" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe("用户名或密码错误");
    expect(store.load()).toBeNull();
  });
});

describe("sign-out", () => {
  const session: Session = {
    accessToken: "a",
    refreshToken: "r",
    expiresAt: NOW + 600_000,
    user: user as Session["user"],
  };

  it("revokes the refresh token on the server and forgets the session", async () => {
    const { api, store, sent } = setup([json(204, null)], session);
    await signOut(api);
    expect(sent[0]!.url).toBe("/api/v1/auth/logout");
    expect(JSON.parse(String(sent[0]!.init.body))).toEqual({ refresh_token: "r" });
    expect(store.load()).toBeNull();
  });

  it("forgets the session on the phone even offline", async () => {
    const { api, store } = setup([new TypeError("Failed to fetch")], session);
    await signOut(api);
    expect(store.load()).toBeNull();
  });
});
