// The app's one outbox: loaded at start, sent when the network returns and every
// little while, and a reactive view of it for the pages (the 待发送 badge and list).
import { onUnmounted, ref, shallowRef } from "vue";
import { api } from "../api";
import { openDatabase, Store } from "./db";
import { Outbox, type OutboxItem, type Progress } from "./outbox";
import { apiTransport } from "./transport";

const RETRY_EVERY_MS = 20_000;
let outbox: Promise<Outbox> | null = null;

/** The outbox, opened (and its sending started) on first use. */
export function theOutbox(): Promise<Outbox> {
  outbox ??= openDatabase("offsite-outbox").then((db) => {
    const box = new Outbox({
      store: new Store(db),
      transport: apiTransport,
      isOnline: () => navigator.onLine !== false,
      currentUser: () => api.session?.user.id ?? null,
    });
    window.addEventListener("online", () => void box.drain());
    setInterval(() => {
      if (box.pending.some((i) => i.status === "pending")) void box.drain();
    }, RETRY_EVERY_MS);
    void box.drain();
    return box;
  });
  return outbox;
}

/** What became of a queued item after a short wait: sent, refused (shown on the page),
 *  or still waiting for the network. */
export async function settle(item: OutboxItem, waitMs = 4000): Promise<"sent" | "refused" | "waiting"> {
  const box = await theOutbox();
  await Promise.race([box.drain(), new Promise((r) => setTimeout(r, waitMs))]);
  const now = box.pending.find((i) => i.seq === item.seq);
  if (!now) return "sent";
  return now.status === "pending" ? "waiting" : "refused";
}

/** The outbox's items and upload progress, kept current while the page is shown. */
export function useOutbox() {
  const items = shallowRef<OutboxItem[]>([]);
  const progress = ref<Progress>({});
  let stop: (() => void) | null = null;
  let gone = false;
  void theOutbox().then((box) => {
    if (gone) return;
    stop = box.subscribe((list, p) => {
      items.value = list;
      progress.value = p;
    });
  });
  onUnmounted(() => {
    gone = true;
    stop?.();
  });
  return { items, progress };
}

export type { OutboxItem, QueuedPhoto } from "./outbox";
