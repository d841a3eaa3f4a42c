// The signed-in user's live stream (GET /api/v1/stream): inbox notifications and, for
// squad leaders, board changes. Read with fetch so it carries the bearer token; on a drop
// it reconnects with Last-Event-ID, so nothing sent meanwhile is lost.
import { SseParser, type SseMessage } from "./sse";

export interface StreamOptions {
  url: string;
  /** The bearer token for the next connection (refreshed when needed). */
  token: () => Promise<string | null>;
  /** The server refused the token: get a new one before reconnecting. */
  refresh: (stale: string | null) => Promise<unknown>;
  onMessage: (message: SseMessage) => void;
  /** Connected (true) or waiting to reconnect (false). */
  onState?: (connected: boolean) => void;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Waits before each reconnection, ms; the last one repeats. */
  backoff?: number[];
}

const BACKOFF = [500, 1000, 2000, 5000, 10000];

/** Open the stream and keep it open until the returned function is called. */
export function openStream(options: StreamOptions): () => void {
  const controller = new AbortController();
  const fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const backoff = options.backoff ?? BACKOFF;
  let lastEventId = "";

  async function once(): Promise<boolean> {
    const token = await options.token();
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastEventId) headers["last-event-id"] = lastEventId;
    const response = await fetchImpl(options.url, { headers, signal: controller.signal });
    if (response.status === 401) {
      await options.refresh(token);
      return false;
    }
    if (!response.ok || !response.body) return false;
    options.onState?.(true);
    const parser = new SseParser(lastEventId);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let received = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const message of parser.push(value)) {
        lastEventId = message.id;
        received = true;
        options.onMessage(message);
      }
    }
    return received;
  }

  void (async () => {
    let failures = 0;
    while (!controller.signal.aborted) {
      try {
        failures = (await once()) ? 0 : failures + 1;
      } catch {
        failures += 1; // offline, dropped, or a refused refresh: try again later
      }
      options.onState?.(false);
      if (controller.signal.aborted) break;
      await sleep(backoff[Math.min(failures, backoff.length - 1)] ?? 10_000);
    }
  })();
  return () => controller.abort();
}
