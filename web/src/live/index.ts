// The app's one live stream and what it feeds: the unread badge, and board listeners.
import { ref } from "vue";
import { api } from "../api";
import type { components } from "../api/schema";
import { openStream } from "./stream";

export type FeedItem = components["schemas"]["FeedItem"];
export type NotificationItem = components["schemas"]["NotificationItem"];
type NotificationPage = components["schemas"]["NotificationPage"];

/** Notifications not read yet; rises as the stream brings new ones. */
export const unread = ref(0);
/** Whether the stream is connected now. */
export const connected = ref(false);

const boardListeners = new Set<(item: FeedItem) => void>();
const inboxListeners = new Set<(item: NotificationItem) => void>();
let close: (() => void) | null = null;

/** Call fn for every board change (squad leaders' streams carry them); returns an unsubscribe. */
export function onBoard(fn: (item: FeedItem) => void): () => void {
  boardListeners.add(fn);
  return () => boardListeners.delete(fn);
}

export function onNotification(fn: (item: NotificationItem) => void): () => void {
  inboxListeners.add(fn);
  return () => inboxListeners.delete(fn);
}

export async function refreshUnread(): Promise<void> {
  try {
    const page = await api.get<NotificationPage>("/api/v1/notifications", { limit: 1 });
    unread.value = page.unread;
  } catch {
    // Offline: the badge keeps its last figure; the stream's reconnection reads it again.
  }
}

/** Start the stream for the signed-in user (once); stops by itself on sign-out. */
export function startLive(): void {
  if (close || !api.session) return;
  void refreshUnread();
  let dropped = false;
  close = openStream({
    url: "/api/v1/stream",
    token: async () => {
      const token = api.session ? await api.accessToken() : null;
      if (!token) stopLive();
      return token;
    },
    refresh: (stale) => api.refresh(stale),
    onState: (up) => {
      // Back after a drop: what was read meanwhile (on another phone) is not in the stream.
      if (up && dropped) void refreshUnread();
      dropped = !up;
      connected.value = up;
    },
    onMessage: (message) => {
      if (message.event === "notification") {
        const item = JSON.parse(message.data) as NotificationItem;
        if (!item.read_at) unread.value += 1;
        inboxListeners.forEach((fn) => fn(item));
      } else if (message.event === "board") {
        const item = JSON.parse(message.data) as FeedItem;
        boardListeners.forEach((fn) => fn(item));
      }
    },
  });
}

export function stopLive(): void {
  close?.();
  close = null;
  connected.value = false;
}
