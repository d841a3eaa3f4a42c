import { describe, expect, it } from "vitest";
import { SseParser } from "../src/live/sse";
import { openStream } from "../src/live/stream";

describe("SseParser", () => {
  it("reads events, ids and comments as the server frames them", () => {
    const p = new SseParser();
    const out = p.push(": keep-alive\n\nevent: board\ndata: {\"a\":1}\nid: 3.7\n\n");
    expect(out).toEqual([{ event: "board", data: '{"a":1}', id: "3.7" }]);
    expect(p.lastEventId).toBe("3.7");
  });

  it("joins events split anywhere, CRLF included, and multi-line data", () => {
    const p = new SseParser("1.1");
    const text = "event: notification\r\ndata: one\r\ndata: two\r\nid: 2.1\r\n\r\ndata: x\r\n\r\n";
    const got = [];
    for (const ch of text) got.push(...p.push(ch));
    expect(got).toEqual([
      { event: "notification", data: "one\ntwo", id: "2.1" },
      { event: "message", data: "x", id: "2.1" },
    ]);
  });

  it("keeps the resume id when an event has none", () => {
    const p = new SseParser("9.9");
    expect(p.push("data: y\n\n")).toEqual([{ event: "message", data: "y", id: "9.9" }]);
  });
});

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      chunks.forEach((x) => c.enqueue(enc.encode(x)));
      c.close();
    },
  });
}

describe("openStream", () => {
  it("sends the bearer token, resumes with Last-Event-ID and refreshes on 401", async () => {
    const calls: Record<string, string>[] = [];
    const answers = [
      () => new Response(body(["event: board\ndata: 1\nid: 0.5\n\n"]), { status: 200 }),
      () => new Response(JSON.stringify({ code: "token_expired" }), { status: 401 }),
      () => new Response(body(["event: board\ndata: 2\nid: 0.6\n\n"]), { status: 200 }),
    ];
    const seen: string[] = [];
    let refreshed = 0;
    let stop = () => {};
    const done = new Promise<void>((resolve) => {
      stop = openStream({
        url: "/api/v1/stream",
        token: async () => `t${refreshed}`,
        refresh: async () => {
          refreshed += 1;
        },
        fetch: async (_url, init) => {
          calls.push({ ...(init?.headers as Record<string, string>) });
          const next = answers.shift();
          if (!next) throw new Error("offline");
          return next();
        },
        sleep: async () => {},
        onMessage: (m) => {
          seen.push(m.data);
          if (seen.length === 2) resolve();
        },
      });
    });
    await done;
    stop();
    expect(seen).toEqual(["1", "2"]);
    expect(calls[0]?.authorization).toBe("Bearer t0");
    expect(calls[0]?.["last-event-id"]).toBeUndefined();
    expect(calls[1]?.["last-event-id"]).toBe("0.5");
    expect(refreshed).toBe(1);
    expect(calls[2]?.authorization).toBe("Bearer t1");
    expect(calls[2]?.["last-event-id"]).toBe("0.5");
  });
});
