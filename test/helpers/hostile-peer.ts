// A hostile SCP peer for client tests: a raw TCP client that performs a real
// key exchange through the real server with the protocol library, then sends
// crafted frames (forged HMACs, replays, odd counters, bad files, ...).
// Frames to the client are paced (≤ 4 per second) unless sent with `now`,
// because the client's rate limiter (WIRE-NOTES §12.1) drops the 6th frame in a
// one-second window outside bypass — which is correct behaviour.
import * as net from "node:net";
import {
  FrameDecoder,
  Initiator,
  MessageType,
  b64decodeStrict,
  b64encode,
  encodeFrame,
  join,
  parseJsonObject,
  pyjson,
  respond,
  toBytes,
  type JsonObject,
  type JsonValue,
  type Session,
} from "../../src/protocol/index.js";
import { hmac } from "../../src/protocol/primitives.js";
import { hmacInputFor } from "../../src/protocol/session.js";

export const PACE_MS = 270;

export class HostilePeer {
  session: Session | null = null;
  /** Decrypted inner messages from the client, in order. */
  readonly inner: JsonObject[] = [];
  /** Plaintext outer frames from the client or server. */
  readonly plain: JsonObject[] = [];
  private readonly decoder = new FrameDecoder();
  private waiters: { pred: (o: JsonObject) => boolean; resolve: (o: JsonObject) => void }[] = [];
  private plainWaiters: { pred: (o: JsonObject) => boolean; resolve: (o: JsonObject) => void }[] = [];
  private lastPaced = 0;
  private paceChain: Promise<void> = Promise.resolve();
  private initiator: Initiator | null = null;
  completeAt = 0;
  readonly sentWires: Uint8Array[] = [];
  /** ENCRYPTED_MESSAGE frames received from the client, as parsed. */
  readonly receivedWires: JsonObject[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      for (const f of this.decoder.push(d)) this.onFrame(f);
    });
    socket.on("error", () => undefined);
  }

  /** With `room`, joins that room first (as `pqchat chat --room` does). */
  static connect(port: number, host = "127.0.0.1", room?: string): Promise<HostilePeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => {
        const h = new HostilePeer(s);
        if (room !== undefined) h.writeNow(join(room));
        resolve(h);
      });
      s.once("error", reject);
    });
  }

  /** Binary frames (FILE_CHUNK) from the client, counted, not decrypted. */
  binaryFrames = 0;
  private binaryWaiters: { n: number; resolve: () => void }[] = [];

  /** Resolves once `n` binary frames arrived in total. */
  binaryCount(n: number, timeoutMs = 20000): Promise<void> {
    if (this.binaryFrames >= n) return Promise.resolve();
    return withTimeout(new Promise((resolve) => this.binaryWaiters.push({ n, resolve })), timeoutMs, `hostile peer: ${n} binary frames`);
  }

  private onFrame(f: Uint8Array): void {
    if (f.length > 0 && f[0] !== 0x7b) {
      this.binaryFrames++;
      this.binaryWaiters = this.binaryWaiters.filter((w) => {
        if (this.binaryFrames < w.n) return true;
        w.resolve();
        return false;
      });
      return;
    }
    const obj = parseJsonObject(f);
    if (!obj) return;
    const type = obj["type"];
    if (type === MessageType.INITIATE_KEY_EXCHANGE) {
      this.initiator = new Initiator();
      this.writeNow(this.initiator.initMessage);
    } else if (type === MessageType.KEY_EXCHANGE_INIT && !this.session) {
      const r = respond(obj);
      this.session = r.session;
      this.writeNow(r.response);
    } else if (type === MessageType.KEY_EXCHANGE_RESPONSE && this.initiator) {
      this.session = this.initiator.finish(obj);
    } else if (type === MessageType.KEY_EXCHANGE_COMPLETE) {
      this.completeAt = performance.now();
    } else if (type === MessageType.KEEP_ALIVE) {
      this.writeNow(toBytes('{"type": 51}'));
    } else if (type === MessageType.ENCRYPTED_MESSAGE && this.session) {
      this.receivedWires.push(obj);
      try {
        const d = this.session.decrypt(obj);
        const inner = parseJsonObject(d.plaintext);
        if (inner) {
          this.inner.push(inner);
          for (const w of [...this.waiters]) {
            if (w.pred(inner)) {
              this.waiters = this.waiters.filter((x) => x !== w);
              w.resolve(inner);
            }
          }
        }
      } catch {
        // not our concern here
      }
      return;
    }
    this.plain.push(obj);
    for (const w of [...this.plainWaiters]) {
      if (w.pred(obj)) {
        this.plainWaiters = this.plainWaiters.filter((x) => x !== w);
        w.resolve(obj);
      }
    }
  }

  /** Waits for the exchange to complete, then for the client's post-handshake quiet second. */
  async ready(timeoutMs = 10000): Promise<void> {
    const t0 = performance.now();
    while (!this.completeAt || !this.session) {
      if (performance.now() - t0 > timeoutMs) throw new Error("hostile peer: no key exchange");
      await new Promise((r) => setTimeout(r, 20));
    }
    this.lastPaced = this.completeAt + 1100 - PACE_MS;
  }

  /** The next decrypted inner message from the client matching `pred` (already received ones count). */
  nextInner(pred: (o: JsonObject) => boolean, timeoutMs = 10000): Promise<JsonObject> {
    const hit = this.inner.findIndex(pred);
    if (hit >= 0) return Promise.resolve(this.inner.splice(hit, 1)[0]!);
    return withTimeout(new Promise((resolve) => this.waiters.push({ pred, resolve })), timeoutMs, "hostile peer: inner message");
  }

  nextPlain(pred: (o: JsonObject) => boolean, timeoutMs = 10000): Promise<JsonObject> {
    const hit = this.plain.findIndex(pred);
    if (hit >= 0) return Promise.resolve(this.plain.splice(hit, 1)[0]!);
    return withTimeout(new Promise((resolve) => this.plainWaiters.push({ pred, resolve })), timeoutMs, "hostile peer: plaintext message");
  }

  writeNow(payload: Uint8Array): void {
    this.socket.write(encodeFrame(payload));
  }

  /** Writes raw bytes (no framing) — e.g. a lying length prefix. */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends a frame no sooner than PACE_MS after the previous paced frame. Resolves once written. */
  send(payload: Uint8Array): Promise<void> {
    this.paceChain = this.paceChain.then(async () => {
      const wait = this.lastPaced + PACE_MS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.lastPaced = performance.now();
      this.writeNow(payload);
    });
    return this.paceChain;
  }

  /** Encrypts an inner message (object → pyjson, or raw bytes) into an ENCRYPTED_MESSAGE wire. */
  encrypt(inner: JsonValue | Uint8Array): Uint8Array {
    if (!this.session) throw new Error("no session");
    const bytes = inner instanceof Uint8Array ? inner : toBytes(pyjson(inner));
    const { wire } = this.session.encrypt(bytes);
    this.sentWires.push(wire);
    return wire;
  }

  sendInner(inner: JsonValue | Uint8Array, now = false): Promise<void> {
    const w = this.encrypt(inner);
    if (now) {
      this.writeNow(w);
      return Promise.resolve();
    }
    return this.send(w);
  }

  sendChunk(transferId: string, index: number, data: Uint8Array): void {
    if (!this.session) throw new Error("no session");
    this.writeNow(this.session.encryptChunk(transferId, index, data).frame);
  }

  /** An ENCRYPTED_MESSAGE with an arbitrary counter and a VALID HMAC (the ciphertext is junk). */
  forgeCounter(counter: number): Uint8Array {
    if (!this.session) throw new Error("no session");
    const w = parseJsonObject(this.encrypt({ type: 12, data: "" }))!;
    const nonce = w["nonce"] as string;
    const eph = w["dh_public_key"] as string;
    const mac = b64encode(hmac("sha512", this.session._chains.encryptionKey, hmacInputFor(counter, nonce, eph)));
    return toBytes(pyjson({ type: 10, counter, nonce, ciphertext: w["ciphertext"]!, dh_public_key: eph, verification: mac }));
  }

  /** A valid wire with one field modified. */
  static tamper(wire: Uint8Array, field: "verification" | "ciphertext"): Uint8Array {
    const o = parseJsonObject(wire)!;
    const b = b64decodeStrict(o[field] as string);
    b[b.length - 1] = (b[b.length - 1] ?? 0) ^ 0x01;
    o[field] = b64encode(b);
    return toBytes(pyjson(o));
  }

  close(): void {
    this.socket.destroy();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
