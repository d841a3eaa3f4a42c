// The officer's other pages, fetched once the first page has shown what it is for (or a
// few seconds after the load, whichever is first): a page opened later while offline
// (the outbox, a report) must not need the network to load its code, and on a slow
// network these chunks must not compete with the first page's own data.
const FALLBACK_MS = 4000;
let started = false;

export function firstPageShown(): void {
  if (started) return;
  started = true;
  void Promise.allSettled([
    import("./views/TasksView.vue"),
    import("./views/TaskView.vue"),
    import("./views/ReportView.vue"),
    import("./views/OutboxView.vue"),
  ]);
}

export function prefetchAfterLoad(): void {
  window.addEventListener("load", () => setTimeout(firstPageShown, FALLBACK_MS));
}
