import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { ApiError, NetworkError } from "../src/api/client";
import { openDatabase, Store } from "../src/offline/db";
import {
  Outbox,
  UploadRefused,
  type Grant,
  type OutboxItem,
  type QueuedPhoto,
  type Transport,
} from "../src/offline/outbox";

const HERE = { lng: 121.4, lat: 31.0, coord_type: "wgs84" as const };

function photo(localId: string): QueuedPhoto {
  return {
    localId,
    bytes: new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]).buffer,
    type: "image/jpeg",
    capturedAt: "2026-12-02T10:00:00+08:00",
    location: HERE,
  };
}

const conflict = () =>
  new ApiError(409, "case_version_conflict", "stale", { code: "case_version_conflict" });
const checksPending = () =>
  new ApiError(409, "evidence_checks_pending", "wait", {
    code: "evidence_checks_pending",
    retry_after_s: 2,
  });

/** A server in memory: what it was sent, and failures to play back per call kind. */
class FakeServer implements Transport {
  calls: string[] = [];
  keys: Record<string, string[]> = {};
  bodies: Record<string, unknown>[] = [];
  cases = new Map<number, number>(); // id → version
  failures: Record<string, Error[]> = {};
  private nextCase = 100;
  private nextGrant = 1;

  private fail(kind: string): void {
    const error = this.failures[kind]?.shift();
    if (error) throw error;
  }

  async command(path: string, body: unknown, key: string) {
    this.calls.push(path);
    (this.keys[path] ??= []).push(key);
    this.fail("command");
    this.bodies.push(body as Record<string, unknown>);
    const id = Number(path.split("/")[4]);
    const version = (body as { version: number }).version + 1;
    this.cases.set(id, version);
    return { id, version };
  }

  async createCase(body: unknown, key: string) {
    this.calls.push("create");
    (this.keys.create ??= []).push(key);
    this.fail("create");
    const id = this.nextCase++;
    this.cases.set(id, 1);
    return { id, version: 1 };
  }

  async grant(caseId: number): Promise<Grant> {
    this.calls.push(`grant ${caseId}`);
    this.fail("grant");
    const n = this.nextGrant++;
    return { evidence_id: `ev-${n}`, url: "https://s3/bucket", fields: {}, file_field: "file" };
  }

  async upload(grant: Grant, _photo: QueuedPhoto, onProgress: (f: number) => void) {
    this.calls.push(`upload ${grant.evidence_id}`);
    this.fail("upload");
    onProgress(0.5);
    onProgress(1);
  }

  async complete(evidenceId: string) {
    this.calls.push(`complete ${evidenceId}`);
    this.fail("complete");
  }

  async getCase(caseId: number) {
    return { id: caseId, version: 9, state_label_zh: "处置中" };
  }
}

async function setUp(online = { now: true }, user: { id: number | null } = { id: 7 }) {
  const factory = new IDBFactory();
  const server = new FakeServer();
  const slept: number[] = [];
  const make = async () =>
    new Outbox({
      store: new Store(await openDatabase("test", factory)),
      transport: server,
      sleep: async (ms) => {
        slept.push(ms);
      },
      isOnline: () => online.now,
      currentUser: () => user.id,
    });
  return { server, slept, make, box: await make() };
}

const verify = (caseId: number, version: number, photoRefs: string[] = []) => ({
  kind: "command" as const,
  caseId,
  command: "verify",
  body: { version, outcome: "not_found" },
  photoRefs,
  label: "核查：现场未发现",
});

describe("the outbox", () => {
  it("keeps what was queued offline, across a reload, and sends it in order once online", async () => {
    const online = { now: false };
    const { server, box, make } = await setUp(online);
    await box.enqueue({ kind: "photo", caseId: 7, purpose: "verification", photo: photo("p1"), label: "照片" });
    await box.enqueue(verify(7, 3, ["p1"]));
    await box.drain();
    expect(server.calls).toEqual([]);
    expect(box.pending.map((i) => i.kind)).toEqual(["photo", "command"]);

    // The page is reloaded: a new outbox over the same database finds both.
    const again = await make();
    await again.load();
    expect(again.pending.map((i) => i.status)).toEqual(["pending", "pending"]);
    online.now = true;
    await again.drain();
    expect(server.calls).toEqual([
      "grant 7",
      "upload ev-1",
      "complete ev-1",
      "/api/v1/cases/7/verify",
    ]);
    expect(server.bodies[0]).toMatchObject({ version: 3, evidence_ids: ["ev-1"] });
    expect(again.pending).toEqual([]);
  });

  it("asks again after a lost answer with the same Idempotency-Key", async () => {
    const { server, box } = await setUp();
    server.failures.command = [new NetworkError()];
    await box.enqueue(verify(7, 3));
    await box.drain();
    expect(box.pending).toHaveLength(1); // kept: nothing is known of the outcome
    await box.drain();
    expect(box.pending).toHaveLength(0);
    const keys = server.keys["/api/v1/cases/7/verify"]!;
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it("waits while the photos' checks run and sends the same command again", async () => {
    const { server, box, slept } = await setUp();
    server.failures.command = [checksPending(), checksPending()];
    await box.enqueue(verify(7, 3));
    await box.drain();
    expect(box.pending).toEqual([]);
    expect(slept).toEqual([2000, 2000]);
    const keys = server.keys["/api/v1/cases/7/verify"];
    expect(new Set(keys).size).toBe(1);
    expect(keys).toHaveLength(3);
  });

  it("shows a conflict with the fresh case and never drops it on its own", async () => {
    const { server, box } = await setUp();
    server.failures.command = [conflict()];
    await box.enqueue(verify(7, 3));
    await box.enqueue({ ...verify(8, 1), label: "另一件" });
    await box.drain();
    const kept = box.pending[0] as OutboxItem;
    expect(box.pending).toHaveLength(1); // the other case's command went on
    expect(kept.status).toBe("conflict");
    expect(kept.error).toBe("案件已被他人更新，已为您显示最新情况");
    expect(kept.freshCase).toMatchObject({ id: 7, version: 9 });

    // Sent again on the officer's word: with the fresh version and a new key.
    const firstKey = kept.key;
    await box.retry(kept.seq!);
    expect(box.pending).toEqual([]);
    expect(server.bodies.at(-1)).toMatchObject({ version: 9 });
    expect(server.keys["/api/v1/cases/7/verify"]!.at(-1)).not.toBe(firstKey);
  });

  it("gives a queued command the version the one before it produced", async () => {
    const online = { now: false };
    const { server, box } = await setUp(online);
    await box.enqueue({ kind: "command", caseId: 7, command: "accept", body: { version: 3 }, label: "接收" });
    await box.enqueue(verify(7, 3));
    await box.drain();
    online.now = true;
    await box.drain();
    expect(server.bodies.map((b) => b.version)).toEqual([3, 4]);
  });

  it("makes a report's case once, even when its photo fails on the way", async () => {
    const { server, box } = await setUp();
    server.failures.upload = [new NetworkError()];
    await box.enqueue({
      kind: "report",
      body: { violation_type: "05-04", location: HERE, description: "门前堆物" },
      photos: [photo("r1"), photo("r2")],
      label: "上报：店外经营",
    });
    await box.drain();
    expect(box.pending).toHaveLength(1);
    expect((box.pending[0] as { caseId?: number }).caseId).toBe(100);
    await box.drain();
    expect(box.pending).toEqual([]);
    expect(server.calls.filter((c) => c === "create")).toHaveLength(1);
    expect(server.calls.filter((c) => c.startsWith("complete"))).toEqual([
      "complete ev-2",
      "complete ev-3",
    ]);
  });

  it("asks for a new grant once when the storage refuses an old one", async () => {
    const { server, box } = await setUp();
    server.failures.upload = [new UploadRefused(403)];
    await box.enqueue({ kind: "photo", caseId: 7, purpose: "verification", photo: photo("p1"), label: "照片" });
    await box.drain();
    expect(server.calls).toEqual(["grant 7", "upload ev-1", "grant 7", "upload ev-2", "complete ev-2"]);
  });

  it("says why a refused command was refused and keeps it for the officer", async () => {
    const { server, box } = await setUp();
    server.failures.command = [
      new ApiError(400, "rectify_by_past", "past", { code: "rectify_by_past" }),
    ];
    await box.enqueue(verify(7, 3));
    await box.drain();
    expect(box.pending[0]).toMatchObject({ status: "failed" });
    expect(box.pending[0]!.error).not.toMatch(/rectify_by_past|\{/);
    await box.discard(box.pending[0]!.seq!);
    expect(box.pending).toEqual([]);
  });

  it("sends only the signed-in officer's items, and nothing without a session", async () => {
    const user: { id: number | null } = { id: null };
    const online = { now: false };
    const { server, box } = await setUp(online, user);
    await box.enqueue(verify(7, 3)); // queued while signed out: nobody's
    user.id = 7;
    await box.enqueue({ ...verify(8, 1), label: "七号的" });
    online.now = true;
    user.id = null;
    await box.drain();
    user.id = 9; // another officer signs in on this phone
    await box.drain();
    expect(server.calls).toEqual([]);
    user.id = 7;
    await box.drain();
    expect(server.calls).toEqual(["/api/v1/cases/8/verify"]);
  });

  it("stops on a command whose photo was never sent, and says so", async () => {
    const { box } = await setUp();
    await box.enqueue(verify(7, 3, ["never-queued"]));
    await box.drain();
    expect(box.pending[0]).toMatchObject({ status: "failed", error: "所附照片未能上传，请重新拍照" });
  });
});
