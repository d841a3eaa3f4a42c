// The phone's outbox: every command and photo is written to IndexedDB first, with its
// Idempotency-Key, and sent from there in the order it was made — at once when the
// network is up, later when it returns. A retry sends the same key, so the server runs
// each command once. Nothing leaves the outbox unless the server accepted it, or the
// officer, shown why it was refused (a conflict with the fresh case), lets it go.
import { ApiError, NetworkError, SignedOut, newIdempotencyKey, userMessage } from "../api/client";
import { ITEMS, PHOTOS, Store } from "./db";

export interface Position {
  lng: number;
  lat: number;
  coord_type: "wgs84";
}

/** A photo as the phone keeps it until it is sent (bytes, not a Blob: older iOS WebViews
 *  cannot store Blobs in IndexedDB). */
export interface QueuedPhoto {
  /** The phone's own id for the photo; commands name photos by it before they are sent. */
  localId: string;
  bytes: ArrayBuffer;
  type: string;
  capturedAt: string;
  location: Position | null;
  /** Set as the photo's steps succeed, so a retry resumes rather than repeats. */
  evidenceId?: string;
  uploaded?: boolean;
}

interface Common {
  seq?: number;
  /** Who queued it: only their session sends it (a shared phone, a new sign-in). */
  userId?: number | null;
  key: string;
  /** What the officer did, in Chinese, for the queue's list. */
  label: string;
  queuedAt: string;
  status: "pending" | "conflict" | "failed";
  /** Why it was refused (a Chinese message), and the case as it is now (on a conflict). */
  error?: string;
  freshCase?: { id: number; version: number; state_label_zh: string; [k: string]: unknown };
}

/** A command on a case (`POST /api/v1/cases/{id}/{command}`). `photoRefs` are photos
 *  queued before it, added to its `evidence_ids` once they are sent. */
export interface CommandItem extends Common {
  kind: "command";
  caseId: number;
  command: string;
  body: Record<string, unknown> & { version: number };
  photoRefs: string[];
}

/** A photo for a case: grant, straight upload to object storage, complete. */
export interface PhotoItem extends Common {
  kind: "photo";
  caseId: number;
  purpose: "report" | "verification" | "recheck" | "other";
  photo: QueuedPhoto;
}

/** A patrol report: the new case, then its photos. */
export interface ReportItem extends Common {
  kind: "report";
  body: Record<string, unknown>;
  photos: QueuedPhoto[];
  /** The case the server made, once it answered. */
  caseId?: number;
}

export type OutboxItem = CommandItem | PhotoItem | ReportItem;
export type NewItem =
  | Omit<CommandItem, keyof Common | "photoRefs"> & { label: string; photoRefs?: string[] }
  | Omit<PhotoItem, keyof Common> & { label: string }
  | Omit<ReportItem, keyof Common> & { label: string };

export interface Grant {
  evidence_id: string;
  url: string;
  fields: Record<string, string>;
  file_field: string;
}

/** What the outbox needs of the network; the app's is over the API client and XHR. */
export interface Transport {
  command(path: string, body: unknown, key: string): Promise<{ id: number; version: number }>;
  createCase(body: unknown, key: string): Promise<{ id: number; version: number }>;
  grant(caseId: number, contentType: string, purpose: string): Promise<Grant>;
  upload(grant: Grant, photo: QueuedPhoto, onProgress: (fraction: number) => void): Promise<void>;
  complete(evidenceId: string, photo: QueuedPhoto): Promise<void>;
  getCase(caseId: number): Promise<NonNullable<Common["freshCase"]>>;
}

export interface OutboxOptions {
  store: Store;
  transport: Transport;
  sleep?: (ms: number) => Promise<void>;
  isOnline?: () => boolean;
  /** How often to ask again while a photo's check runs, at most. */
  maxCheckWaits?: number;
  /** The signed-in user, or null: nothing is sent without a session. */
  currentUser?: () => number | null;
}

export type Progress = Record<number, number>;
type Listener = (items: OutboxItem[], progress: Progress) => void;

/** The storage refused an upload (an expired grant, a policy it no longer meets). */
export class UploadRefused extends Error {
  constructor(readonly status: number) {
    super(`storage answered ${status}`);
    this.name = "UploadRefused";
  }
}

export class Outbox {
  private items: OutboxItem[] = [];
  private progress: Progress = {};
  private listeners = new Set<Listener>();
  private draining: Promise<void> | null = null;
  private again = false;
  private loaded: Promise<void> | null = null;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly isOnline: () => boolean;
  private readonly currentUser: () => number | null;

  constructor(private readonly options: OutboxOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.isOnline = options.isOnline ?? (() => true);
    this.currentUser = options.currentUser ?? (() => null);
  }

  /** Read what an earlier visit left in the outbox. */
  load(): Promise<void> {
    this.loaded ??= this.options.store.all<OutboxItem>(ITEMS).then((items) => {
      this.items = items.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
      this.emit();
    });
    return this.loaded;
  }

  get pending(): OutboxItem[] {
    return [...this.items];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.pending, { ...this.progress });
    return () => this.listeners.delete(listener);
  }

  /** Keep an action (written to IndexedDB before this resolves), then try to send. */
  async enqueue(item: NewItem): Promise<OutboxItem> {
    await this.load();
    const full = {
      photoRefs: [],
      ...item,
      key: newIdempotencyKey(),
      userId: this.currentUser(),
      queuedAt: new Date().toISOString(),
      status: "pending",
    } as OutboxItem;
    full.seq = Number(await this.options.store.put(ITEMS, full));
    this.items.push(full);
    this.emit();
    if (this.draining) this.again = true; // the run under way may have passed it by
    void this.drain();
    return full;
  }

  /** Send again a refused item: a conflict goes with the fresh case's version and a new key. */
  async retry(seq: number): Promise<void> {
    const item = this.items.find((i) => i.seq === seq);
    if (!item) return;
    if (item.kind === "command" && item.freshCase) item.body.version = item.freshCase.version;
    item.key = newIdempotencyKey();
    item.status = "pending";
    delete item.error;
    delete item.freshCase;
    await this.save(item);
    await this.drain();
  }

  /** The officer lets a refused item go (it was shown to them, with the fresh case). */
  async discard(seq: number): Promise<void> {
    await this.remove(seq);
  }

  /** Send what is pending, in order; one run at a time (a call during a run joins it). */
  drain(): Promise<void> {
    if (this.draining) return this.draining;
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.load();
          await this.run();
        } while (this.again);
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  private async run(): Promise<void> {
    // Versions the server answered in this run: a command queued after another on the
    // same case goes with the version that one produced.
    const versions = new Map<number, number>();
    const user = this.currentUser();
    if (user === null) return; // signed out: kept for the next sign-in
    for (const item of [...this.items]) {
      if (item.status !== "pending") continue;
      if ((item.userId ?? null) !== user) continue; // another sign-in's: theirs to send
      if (!this.isOnline()) return;
      try {
        await this.send(item, versions);
        await this.remove(item.seq!);
      } catch (error) {
        this.clearProgress(item.seq!); // whatever was under way starts over
        if (error instanceof NetworkError || error instanceof SignedOut) return; // later
        if (error instanceof ApiError && error.status >= 500) return; // the server's trouble
        if (error instanceof ApiError && error.status === 401) return; // after a new sign-in
        if (error instanceof ChecksStillRunning) return; // the next run asks again
        await this.refuse(item, error);
      }
    }
  }

  private async send(item: OutboxItem, versions: Map<number, number>): Promise<void> {
    const t = this.options.transport;
    switch (item.kind) {
      case "command": {
        const body = { ...item.body };
        const known = versions.get(item.caseId);
        if (known !== undefined) body.version = known;
        if (item.photoRefs.length) {
          const ids = await Promise.all(item.photoRefs.map((ref) => this.sentPhoto(ref)));
          body.evidence_ids = [...new Set([...((body.evidence_ids as string[]) ?? []), ...ids])];
        }
        const path = `/api/v1/cases/${item.caseId}/${item.command}`;
        const answer = await this.waitingForChecks(() => t.command(path, body, item.key));
        versions.set(item.caseId, answer.version);
        return;
      }
      case "photo":
        await this.sendPhoto(item, item.caseId, item.purpose, item.photo);
        return;
      case "report": {
        if (item.caseId === undefined) {
          const made = await t.createCase(item.body, item.key);
          item.caseId = made.id;
          versions.set(made.id, made.version);
          await this.save(item); // the case exists now: never ask for it again
        }
        for (const photo of item.photos) await this.sendPhoto(item, item.caseId, "report", photo);
      }
    }
  }

  private async sendPhoto(item: OutboxItem, caseId: number, purpose: string, photo: QueuedPhoto) {
    const t = this.options.transport;
    if (await this.options.store.get<string>(PHOTOS, photo.localId)) return; // already sent
    const seq = item.seq!;
    if (!photo.uploaded || !photo.evidenceId) {
      for (let grants = 0; ; grants++) {
        const grant = await t.grant(caseId, photo.type, purpose);
        photo.evidenceId = grant.evidence_id;
        try {
          await t.upload(grant, photo, (f) => this.setProgress(seq, f));
          break;
        } catch (error) {
          // An expired grant (a long time offline): a new one, once.
          if (!(error instanceof UploadRefused) || grants > 0) throw error;
        }
      }
      photo.uploaded = true;
      await this.save(item); // a later run only completes it
    }
    await t.complete(photo.evidenceId!, photo);
    await this.options.store.put(PHOTOS, photo.evidenceId, photo.localId);
    this.setProgress(seq, 1);
  }

  private async sentPhoto(localId: string): Promise<string> {
    const id = await this.options.store.get<string>(PHOTOS, localId);
    if (!id) throw new PhotoNotSent();
    return id;
  }

  /** 409 `evidence_checks_pending`: the photos' checks still run; ask again, same key. */
  private async waitingForChecks<T>(call: () => Promise<T>): Promise<T> {
    const waits = this.options.maxCheckWaits ?? 30;
    for (let i = 0; ; i++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== "evidence_checks_pending") throw error;
        if (i >= waits) throw new ChecksStillRunning();
        const after = Number(error.body.retry_after_s ?? 2);
        await this.sleep(Math.min(10, Math.max(0.5, after)) * 1000);
      }
    }
  }

  private async refuse(item: OutboxItem, error: unknown): Promise<void> {
    item.error = error instanceof PhotoNotSent ? error.message : userMessage(error);
    item.status = "failed";
    if (error instanceof ApiError && error.status === 409 && "caseId" in item && item.caseId) {
      item.status = "conflict";
      try {
        item.freshCase = await this.options.transport.getCase(item.caseId);
      } catch {
        // the fresh case could not be read now; the conflict is shown all the same
      }
    }
    await this.save(item);
  }

  private async save(item: OutboxItem): Promise<void> {
    await this.options.store.put(ITEMS, item);
    this.emit();
  }

  private async remove(seq: number): Promise<void> {
    await this.options.store.delete(ITEMS, seq);
    this.items = this.items.filter((i) => i.seq !== seq);
    delete this.progress[seq];
    this.emit();
  }

  private setProgress(seq: number, fraction: number): void {
    this.progress[seq] = fraction;
    this.emit();
  }

  private clearProgress(seq: number): void {
    if (!(seq in this.progress)) return;
    delete this.progress[seq];
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.pending, { ...this.progress });
  }
}

class ChecksStillRunning extends Error {}

class PhotoNotSent extends Error {
  constructor() {
    super("所附照片未能上传，请重新拍照");
  }
}
