// A raw SCP frame client for tests: a TCP socket plus the length-prefix framing
// and nothing else (no handshake, no crypto), so a test can script exactly
// which bytes go out and assert exactly which frames come back.
//
//   const a = await RawClient.connect(server.port);
//   assert.equal(await a.nextText(), '{"type": 41, "protocol_version": "6.0.1"}');
//   a.sendJson({ type: 51 });
//   await a.expectNoFrame(150);
//   a.close();
//
// Frames are queued as they arrive; nextFrame() takes the oldest one or waits
// for the next (rejecting after a timeout, or when the connection ends first).
// Waiting is event-driven: only expectNoFrame() sleeps, by design.
import { connect as netConnect, type Socket } from "node:net";
import { FrameDecoder } from "../../src/protocol/frame.js";
import { pyjson, type JsonObject, type JsonValue } from "../../src/protocol/pyjson.js";

/** How long a wait for a frame lasts (a wait, not an assertion: generous for loaded machines). */
export const DEFAULT_TIMEOUT_MS = 15_000;

type Waiter = { resolve: (f: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class RawClient {
  /** Complete frames received and not yet taken by nextFrame(). */
  private readonly queue: Buffer[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly decoder: FrameDecoder;
  private ended = false;
  private endError: Error | null = null;
  private readonly endedPromise: Promise<void>;
  /** Total payload bytes and frames received so far (taken or not). */
  bytesReceived = 0;
  framesReceived = 0;
  /** KEEP_ALIVE frames answered automatically (see answerKeepalives()). */
  keepalivesAnswered = 0;
  private autoKeepalive = false;

  private constructor(
    readonly socket: Socket,
    maxFrame: number,
    readonly label: string,
  ) {
    this.decoder = new FrameDecoder({ maxFrame });
    socket.on("data", (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        socket.destroy(err as Error);
        return;
      }
      for (const f of frames) {
        const b = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
        this.bytesReceived += b.length;
        this.framesReceived++;
        if (this.autoKeepalive && isKeepAlive(b)) {
          this.keepalivesAnswered++;
          this.send(KEEP_ALIVE_RESPONSE);
          continue;
        }
        const w = this.waiters.shift();
        if (w) {
          clearTimeout(w.timer);
          w.resolve(b);
        } else this.queue.push(b);
      }
    });
    this.endedPromise = new Promise<void>((resolve) => {
      const finish = (err?: Error): void => {
        if (this.ended) return;
        this.ended = true;
        if (err) this.endError = err;
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`${this.label}: connection ended while waiting for a frame`));
        }
        resolve();
      };
      socket.on("end", () => finish());
      socket.on("close", () => finish());
      socket.on("error", (err) => finish(err));
    });
  }

  /** Connects to host:port (from `localAddress` if given); resolves once the TCP connection is established. */
  static connect(
    port: number,
    host = "127.0.0.1",
    opts: { label?: string; maxFrame?: number; localAddress?: string } = {},
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host, ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }) });
      socket.setNoDelay(true);
      const client = new RawClient(socket, opts.maxFrame ?? 0xffffffff, opts.label ?? "client");
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(client);
      });
      socket.once("error", reject);
    });
  }

  // ------------------------------------------------------------- sending

  /** Sends one frame (adds the length prefix). Strings are sent as UTF-8. */
  send(payload: Uint8Array | string): boolean {
    const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    this.socket.cork();
    this.socket.write(head);
    const ok = this.socket.write(body);
    this.socket.uncork();
    return ok;
  }

  /** Sends an object serialized the way the reference does (pyjson). */
  sendJson(obj: { [k: string]: JsonValue }): boolean {
    return this.send(pyjson(obj));
  }

  /** Sends bytes as they are (no prefix): for partial or hostile framing. */
  sendRaw(bytes: Uint8Array | string): boolean {
    return this.socket.write(typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes);
  }

  /**
   * From now on, answer every KEEP_ALIVE with KEEP_ALIVE_RESPONSE at once and
   * keep it out of the frame queue (like a live client would), so tests with
   * a short --keepalive-interval only see the frames they care about.
   */
  answerKeepalives(on = true): this {
    this.autoKeepalive = on;
    return this;
  }

  // ------------------------------------------------------------- receiving

  /** The next frame's payload; rejects after `timeoutMs` or if the connection ends first. */
  nextFrame(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(new Error(`${this.label}: connection already ended, no frame queued`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.timer === timer);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`${this.label}: no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ resolve, reject, timer });
    });
  }

  /** The next frame as (UTF-8) text. */
  async nextText(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    return (await this.nextFrame(timeoutMs)).toString("utf8");
  }

  /** The next frame parsed as a JSON object (throws if it is not one). */
  async nextJson(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<JsonObject> {
    const text = await this.nextText(timeoutMs);
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(`${this.label}: not a JSON object: ${text}`);
    return v as JsonObject;
  }

  /** Takes the next `n` frames as text. */
  async nextTexts(n: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await this.nextText(timeoutMs));
    return out;
  }

  /**
   * Asserts that no frame arrives within `ms` (the one place where waiting is
   * a sleep: absence cannot be awaited). Frames already queued fail it too.
   */
  async expectNoFrame(ms = 150): Promise<void> {
    if (this.queue.length > 0) throw new Error(`${this.label}: unexpected frame: ${preview(this.queue[0]!)}`);
    let got: Buffer | null = null;
    try {
      got = await this.nextFrame(ms);
    } catch {
      return; // timeout (or end of connection): nothing arrived
    }
    throw new Error(`${this.label}: unexpected frame: ${preview(got)}`);
  }

  /**
   * Waits until the server closes the connection (EOF or reset). Frames that
   * arrive first are an error unless `allowFrames` is set.
   */
  async expectClosed(timeoutMs = DEFAULT_TIMEOUT_MS, allowFrames = false): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.label}: still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.endedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (!allowFrames && this.queue.length > 0) {
      throw new Error(`${this.label}: frame before close: ${preview(this.queue[0]!)}`);
    }
  }

  /** True once the connection has ended (EOF, reset or local close). */
  get isClosed(): boolean {
    return this.ended;
  }

  /** The socket error that ended the connection, if any. */
  get error(): Error | null {
    return this.endError;
  }

  /** Frames received but not yet taken. */
  get queued(): number {
    return this.queue.length;
  }

  /** Resolves when the connection has ended. */
  get closed(): Promise<void> {
    return this.endedPromise;
  }

  /** Stops reading from the socket (the server's writes then back up). */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Half-closes (FIN) after pending writes. */
  end(): void {
    this.socket.end();
  }

  /** Closes immediately. Safe to call more than once. */
  close(): void {
    this.socket.destroy();
  }
}

const KEEP_ALIVE_PREFIX = Buffer.from('{"type": 44,');
const KEEP_ALIVE_RESPONSE = '{"type": 51}';
function isKeepAlive(b: Buffer): boolean {
  return b.length < 100 && b.subarray(0, KEEP_ALIVE_PREFIX.length).equals(KEEP_ALIVE_PREFIX);
}

/** Short printable form of a frame for error messages. */
export function preview(b: Buffer): string {
  const text = b.toString("utf8");
  const printable = /^[\x20-\x7e]*$/.test(text);
  const s = printable ? text : "hex:" + b.toString("hex");
  return s.length > 160 ? s.slice(0, 160) + `... (${b.length} bytes)` : s;
}
