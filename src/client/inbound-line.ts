// The ordered inbound line (WIRE-NOTES §12.1, §8.5): frames from the relay are
// handled strictly in arrival order. A big chunk frame's AEAD may run on a
// worker ("chunk" entries; the chain walk and the commit stay here, in order);
// every frame behind a pending one waits in line ("frame" entries), except that
// further chunk frames are begun at once so both workers stay busy. Whether a
// chunk goes to a worker at all is open-placement.ts's call: inline while this
// thread keeps up. Reading
// from the socket pauses while too many bytes wait. What a frame means is
// decided elsewhere: outer JSON goes to `onOuter`, decrypted chunks to
// `onChunk`.
import type { WorkerPool } from "../io/workers/pool.js";
import { owned, transferable } from "../io/workers/pool.js";
import { MessageType, SessionError, keepAliveResponse, type JsonObject, type Session } from "../protocol/index.js";
import type { ChunkOpenJob, DecryptedChunk } from "../protocol/session.js";
import { doubleDecryptInPlace } from "../protocol/aead.js";
import type { Connection } from "./connection.js";
import { OpenPlacement, type ChunkPlacement } from "./open-placement.js";
import type { ClientContext } from "./context.js";
import { RateLimiter, classifyFrame, classifySmall, isServerControl, oversizeUnbypassed, type Classified } from "./inbound.js";
import { sessionErrorKind } from "./session-errors.js";
import { PIPELINE_MIN_BYTES } from "./write-path.js";

/** Pause reading while this many received bytes wait for decryption or for frames ahead of them. */
export const INBOUND_HIGH_WATER = 8 * 1024 * 1024;
export const INBOUND_LOW_WATER = 2 * 1024 * 1024;

/** Shortest frame that can be a FILE_CHUNK (WIRE-NOTES §8.5: counter, nonce, DH key before the ciphertext). */
const MIN_CHUNK_FRAME = 48;

type ChunkEntry = { kind: "chunk"; job: ChunkOpenJob; session: Session; plain: Uint8Array | null; settled: boolean; bytes: number };
type InEntry = { kind: "frame"; payload: Uint8Array; /** admitted (limiter, size, classified) as a chunk on arrival */ chunk: boolean } | ChunkEntry;

const entryBytes = (e: InEntry): number => (e.kind === "frame" ? e.payload.length : e.bytes);

export interface InboundHooks {
  /** SPEC §11.1: the rate and size limits are lifted (flood-limits.ts). */
  bypass(): boolean;
  /** An admitted JSON frame, in order. */
  onOuter(type: number, obj: JsonObject): void;
  /** A decrypted FILE_CHUNK, in order. */
  onChunk(transferId: string, index: number, data: Uint8Array): void;
  /** The session's worker pool (started on first use), null without a session. */
  workerPool(): WorkerPool | null;
}

export class InboundLine {
  private readonly limiter = new RateLimiter();
  private inq: InEntry[] = [];
  private inqBytes = 0;
  private pumping = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly hooks: InboundHooks,
    /** Inline or on the workers (tests replace it to pin one path). */
    public placement: ChunkPlacement = new OpenPlacement(),
  ) {}

  /** A new connection: a fresh limiter window. */
  resetLimiter(): void {
    this.limiter.reset();
  }

  /** The session ended: whatever waits in line belongs to it. */
  clear(): void {
    this.inq = [];
    this.inqBytes = 0;
    this.placement.reset();
    this.ctx.conn?.resumeReading("decrypt");
  }

  /** One frame from the relay, in arrival order. */
  onFrame(payload: Uint8Array): void {
    const conn = this.ctx.conn;
    // Closing (disconnect, emergency close, SERVER_FULL/DISCONNECT): nothing more to act on.
    if (this.ctx.phase === "closing") return;
    try {
      const pre = classifySmall(payload);
      // The server's KEEP_ALIVE is answered at once, before the limiter, so our
      // own limiter can never make us miss one (reference bug WIRE-NOTES §15.12).
      if (pre?.kind === "json" && pre.type === MessageType.KEEP_ALIVE) {
        conn?.write(keepAliveResponse());
        return;
      }
      if (this.inq.length === 0) {
        this.handleFrame(payload, pre);
      } else if (payload.length === 0 || payload[0] !== 0x7b) {
        // A chunk frame behind pending chunk opens: admitted now, in arrival order, and begun as soon as it may be.
        if (this.admit(payload) === null) return;
        this.enqueue({ kind: "frame", payload, chunk: true });
        this.beginDeferred();
      } else {
        // JSON behind pending chunk opens: handled (limiter included) once everything before it was.
        this.enqueue({ kind: "frame", payload, chunk: false });
      }
    } catch (err) {
      this.internalError(conn, err);
    }
  }

  private internalError(conn: Connection | null, err: unknown): void {
    // Peer input must never crash the process (WIRE-NOTES §15.3).
    if (this.ctx.conn === conn && conn && !conn.closed) {
      this.ctx.report("protocol_violation", `Internal error while handling a message (${err instanceof Error ? err.name : "error"}).`);
    }
  }

  /** The limiter, the size rule and classification (WIRE-NOTES §12.1); null when the frame was dropped (and reported). */
  private admit(payload: Uint8Array, pre: Classified | null = classifySmall(payload)): Exclude<Classified, { kind: "drop" }> | null {
    // The limiter guards against a flooding peer. Before the session is
    // secure only the server and the handshake speak, and the server's own
    // control frames must never be lost to it (a RESET, INITIATE and the
    // handshake can land in one second when a peer leaves and another joins).
    const limited = this.ctx.phase === "secure" && !isServerControl(pre);
    if (!this.hooks.bypass()) {
      if (limited && !this.limiter.allow()) {
        this.ctx.report("rate_limited", "Dropped a message: more than 5 messages in one second.");
        return null;
      }
      if (oversizeUnbypassed(payload.length)) {
        this.ctx.report("oversize", "Dropped a message larger than 8192 bytes.");
        return null;
      }
    }
    const c = pre ?? classifyFrame(payload);
    if (c.kind === "drop") {
      this.ctx.report(c.error, c.text);
      return null;
    }
    return c;
  }

  private handleFrame(payload: Uint8Array, pre?: Classified | null): void {
    const c = this.admit(payload, pre);
    if (c === null) return;
    if (c.kind === "chunk") this.onChunkFrame(c.payload);
    else this.hooks.onOuter(c.type, c.obj);
  }

  private enqueue(e: InEntry): void {
    this.inq.push(e);
    this.inqBytes += entryBytes(e);
    this.updateInboundPause();
  }

  private updateInboundPause(): void {
    if (this.inqBytes >= INBOUND_HIGH_WATER) this.ctx.conn?.pauseReading("decrypt");
    else if (this.inqBytes <= INBOUND_LOW_WATER) this.ctx.conn?.resumeReading("decrypt");
  }

  /** Runs the line: finished chunk opens commit in order, waiting frames follow. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const conn = this.ctx.conn;
    try {
      while (this.inq.length > 0) {
        const head = this.inq[0]!;
        if (head.kind === "chunk" && !head.settled) break;
        this.inq.shift();
        this.inqBytes -= entryBytes(head);
        try {
          if (head.kind === "chunk") this.finishChunk(head);
          else if (this.ctx.phase === "closing") continue;
          else if (head.chunk) this.onChunkFrame(head.payload);
          else this.handleFrame(head.payload);
        } catch (err) {
          this.internalError(conn, err);
        }
      }
      this.beginDeferred();
    } catch (err) {
      this.internalError(conn, err);
    } finally {
      this.pumping = false;
      this.updateInboundPause();
    }
  }

  /** Begins the chunk frames waiting directly behind pending chunk opens (no JSON frame before them). */
  private beginDeferred(): void {
    for (let i = 0; i < this.inq.length; i++) {
      const e = this.inq[i]!;
      if (e.kind === "chunk") continue;
      if (!e.chunk) return;
      const r = this.startChunk(e.payload);
      if (r === "wait") return;
      if (r === "done") {
        this.inq.splice(i, 1);
        this.inqBytes -= e.payload.length;
        i--;
      } else {
        this.inq[i] = r;
      }
    }
  }

  /** An admitted chunk frame at the head of the line (or with nothing in line). */
  private onChunkFrame(payload: Uint8Array): void {
    const r = this.startChunk(payload);
    if (r === "done") return;
    const e: InEntry = r === "wait" ? { kind: "frame", payload, chunk: true } : r;
    this.inq.unshift(e);
    this.inqBytes += entryBytes(e);
    this.updateInboundPause();
  }

  /**
   * WIRE-NOTES §8.5 for one chunk frame: inline ("done": decrypted and handed
   * over, or dropped and reported) or begun on the worker pool (the returned
   * entry). "wait": it may only be handled once the chunk opens ahead of it
   * finished (a small frame, or a counter at or below a pending one: only the
   * sequential order gives the reference's answer there).
   */
  private startChunk(payload: Uint8Array): ChunkEntry | "done" | "wait" {
    const s = this.ctx.session;
    if (this.ctx.phase !== "secure" || !s) {
      this.ctx.report("malformed", "Dropped a binary frame outside an established session.");
      return "done";
    }
    if (payload.length < MIN_CHUNK_FRAME) {
      this.ctx.report("malformed", "Dropped a binary frame too short to be a file chunk.");
      return "done";
    }
    const pool = payload.length >= PIPELINE_MIN_BYTES && this.placement.onWorkers(payload.length) ? this.hooks.workerPool() : null;
    const pending = s.pendingChunkOpens > 0;
    if (!pool) {
      if (pending) return "wait";
      this.openInline(s, payload);
      return "done";
    }
    const n = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, false);
    if (pending && n <= s.chunkOpenBase) return "wait";
    let job: ChunkOpenJob;
    try {
      job = s.beginChunkOpen(payload);
    } catch (err) {
      this.chunkError(err);
      return "done";
    }
    return this.openOnWorker(pool, s, job, payload);
  }

  private openInline(s: Session, payload: Uint8Array): void {
    let c;
    try {
      c = openInPlace(s, payload);
    } catch (err) {
      this.chunkError(err);
      return;
    }
    this.hooks.onChunk(c.transferId, c.chunkIndex, c.data);
  }

  /** The AEAD of a begun chunk open on a worker; the entry settles (and the line runs) when it is done. */
  private openOnWorker(pool: WorkerPool, s: Session, job: ChunkOpenJob, payload: Uint8Array): ChunkEntry {
    const entry: ChunkEntry = { kind: "chunk", job, session: s, plain: null, settled: false, bytes: payload.length };
    const key = owned(job.messageKey);
    const transfer: ArrayBuffer[] = [key.buffer as ArrayBuffer];
    let ciphertext = job.ciphertext;
    if (transferable(payload)) transfer.push(payload.buffer as ArrayBuffer);
    else {
      ciphertext = Uint8Array.from(ciphertext);
      transfer.push(ciphertext.buffer as ArrayBuffer);
    }
    pool
      .run({ op: "open", key, nonce: job.nonce, aad: job.aad, ciphertext }, transfer)
      .then(
        (plain) => {
          entry.plain = plain;
        },
        () => {
          entry.plain = null; // tag/padding failure (or the pool ended): the frame does not authenticate
        },
      )
      .finally(() => {
        entry.settled = true;
        this.pump();
      });
    return entry;
  }

  /** A chunk open finished on a worker: commit it (in order) and hand the data to the file layer. */
  private finishChunk(e: ChunkEntry): void {
    const s = this.ctx.session;
    if (!s || s !== e.session) return; // the session ended meanwhile
    let c;
    try {
      c = s.finishChunkOpen(e.job, e.plain);
    } catch (err) {
      this.chunkError(err);
      return;
    }
    this.hooks.onChunk(c.transferId, c.chunkIndex, c.data);
  }

  private chunkError(err: unknown): void {
    if (err instanceof SessionError) {
      this.ctx.report(sessionErrorKind(err), `Dropped a file chunk: ${err.message}.`);
      return;
    }
    throw err;
  }
}

/**
 * Session.decryptChunk with the AEAD opened inside the frame's own memory
 * (doubleDecryptInPlace): the chunk's data is a view of `frame`, which the
 * line never touches again, so a big chunk costs no fresh buffers.
 */
function openInPlace(s: Session, frame: Uint8Array): DecryptedChunk {
  const job = s.beginChunkOpen(frame);
  let plain: Uint8Array | null;
  try {
    plain = doubleDecryptInPlace(job.messageKey, job.nonce, job.ciphertext, job.aad);
  } catch {
    plain = null; // a tag or the padding refused: finishChunkOpen reports it
  }
  return s.finishChunkOpen(job, plain);
}
