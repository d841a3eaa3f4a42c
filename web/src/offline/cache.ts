// The last answers the officer saw (my tasks, each task), per user, for the phone to show
// while offline: actions on them go through the outbox, whose conflicts say if they aged.
import { api } from "../api";

function key(name: string): string | null {
  const user = api.session?.user.id;
  return user === undefined ? null : `offsite.cache.${user}.${name}`;
}

export function remember(name: string, value: unknown): void {
  const k = key(name);
  if (!k) return;
  try {
    localStorage.setItem(k, JSON.stringify({ at: Date.now(), value }));
  } catch {
    // storage full: the cache is a convenience, the outbox is what must not be lost
  }
}

export function recall<T>(name: string): { at: number; value: T } | null {
  const k = key(name);
  if (!k) return null;
  try {
    const raw = localStorage.getItem(k);
    return raw ? (JSON.parse(raw) as { at: number; value: T }) : null;
  } catch {
    return null;
  }
}

/** Sign-out: this officer's cached cases leave the phone (the outbox stays, theirs). */
export function forgetAll(): void {
  const prefix = key("");
  if (!prefix) return;
  for (const k of Object.keys(localStorage)) if (k.startsWith(prefix)) localStorage.removeItem(k);
}
