// Server-Sent Events read with fetch + ReadableStream: EventSource cannot send the
// Authorization header our stream needs, so the bytes are parsed here, to the letter of
// the HTML standard's event-stream format (fields, comments, CR/LF/CRLF, multi-line data).

export interface SseMessage {
  event: string;
  data: string;
  /** The event's id, or the last one seen before it (the stream's cursor). */
  id: string;
}

/** Feed it text as it arrives; it returns the events completed by that text. */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private lastId = "";
  private sawCr = false;

  constructor(lastEventId = "") {
    this.lastId = lastEventId;
  }

  get lastEventId(): string {
    return this.lastId;
  }

  push(text: string): SseMessage[] {
    const out: SseMessage[] = [];
    let chunk = text;
    if (this.sawCr && chunk.startsWith("\n")) chunk = chunk.slice(1); // CRLF split in two
    this.sawCr = false;
    this.buffer += chunk;
    for (;;) {
      const at = this.buffer.search(/[\r\n]/);
      if (at < 0) break;
      const line = this.buffer.slice(0, at);
      let next = at + 1;
      if (this.buffer[at] === "\r") {
        if (next === this.buffer.length) this.sawCr = true;
        else if (this.buffer[next] === "\n") next += 1;
      }
      this.buffer = this.buffer.slice(next);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null; // a comment: the server's keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.lastId = value;
    return null;
  }

  private dispatch(): SseMessage | null {
    const data = this.data;
    const event = this.event || "message";
    this.data = [];
    this.event = "";
    if (!data.length) return null;
    return { event, data: data.join("\n"), id: this.lastId };
  }
}
