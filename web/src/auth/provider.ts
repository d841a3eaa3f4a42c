// How a phone gets a session. Password sign-in today; the 一网统管 platform's own sign-on
// (a ticket handed to the light app, exchanged by our API for a token pair) is another
// provider of the same shape, added without touching the client or the pages.
import type { ApiClient, Session, TokenResponse } from "../api/client";

export interface AuthProvider<Input = unknown> {
  /** Stable id, e.g. "password", "ywtg". */
  readonly id: string;
  /** What the sign-in page calls it. */
  readonly label: string;
  /** Ask the API for a token pair; throws ApiError / NetworkError. */
  signIn(input: Input): Promise<TokenResponse>;
}

export interface PasswordInput {
  username: string;
  password: string;
}

export function passwordProvider(api: ApiClient): AuthProvider<PasswordInput> {
  return {
    id: "password",
    label: "账号密码登录",
    signIn: ({ username, password }) =>
      api.request<TokenResponse>("POST", "/api/v1/auth/login", {
        body: { username, password },
        anonymous: true,
      }),
  };
}

/** Sign in through a provider and keep the session on this phone. */
export async function signIn<I>(api: ApiClient, provider: AuthProvider<I>, input: I): Promise<Session> {
  return api.begin(await provider.signIn(input));
}

/** End the session on the server (best effort) and always on this phone. */
export async function signOut(api: ApiClient): Promise<void> {
  const session = api.session;
  try {
    if (session) {
      await api.request("POST", "/api/v1/auth/logout", {
        body: { refresh_token: session.refreshToken },
      });
    }
  } catch {
    // Offline or already ended: the phone forgets the session either way; the refresh
    // token expires on its own on the server.
  } finally {
    api.end();
  }
}
