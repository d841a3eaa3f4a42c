import type { Session, SessionStore } from "../api/client";

/** The session in localStorage, so a reload or a WebView restart keeps the officer in. */
export function localSessionStore(key = "offsite.session"): SessionStore {
  return {
    load() {
      try {
        const raw = localStorage.getItem(key);
        return raw ? (JSON.parse(raw) as Session) : null;
      } catch {
        return null;
      }
    },
    save(session) {
      localStorage.setItem(key, JSON.stringify(session));
    },
    clear() {
      localStorage.removeItem(key);
    },
  };
}

export function memorySessionStore(initial: Session | null = null): SessionStore {
  let current = initial;
  return {
    load: () => current,
    save: (s) => {
      current = s;
    },
    clear: () => {
      current = null;
    },
  };
}
