// Per-connection state of the relay. Kept deliberately small: 10,000 idle
// connections must fit in well under 200 MB, so there are no per-connection
// buffers beyond the frame in progress (every connection reads into one
// shared buffer), and timers are created only while they are needed (except
// the keepalive interval).
import type { Socket } from "node:net";
import { framePool } from "./buffer-pool.js";
import { DirectRun } from "./direct-writes.js";
import { FrameReader, type FrameHandler, type LargeFrameHandoff } from "./frame-reader.js";
import type { SpliceJob } from "./frame-splice.js";
import { keepAliveFrame } from "./notices.js";
import type { Pair } from "./pairing.js";

/** Unanswered keepalive probes before the client is dropped (SPEC §10; the reference: 3). */
export const MAX_KEEPALIVE_FAILURES = 3;

/**
 * The read buffer every connection shares. Reads happen one at a time on the
 * event loop and each is fully handled (or copied out) before the next, so
 * one buffer serves all connections; large frames are read into their own.
 */
export const SHARED_READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

export type ConnectionState =
  /** Accepted, waiting (briefly) for a JOIN before it is registered. */
  | "pending"
  /** In a room or the lobby: waiting for a partner or paired. */
  | "registered"
  /** Being closed: nothing more is read or relayed. */
  | "closing";

export class Connection {
  state: ConnectionState = "pending";
  /** Room code, or LOBBY; meaningful once registered. */
  room = "";
  pair: Pair | null = null;
  readonly reader: FrameReader;

  /** Unexpected messages so far (the 10th disconnects, like the reference). */
  unexpected = 0;
  /** A frame was received already (a JOIN is only valid as the first frame). */
  sawFrame = false;
  /**
   * Nothing but SERVER_VERSION_INFO / KEEP_ALIVE was sent to this client yet,
   * so a late JOIN can still move it out of the lobby without confusing it.
   */
  greetedOnly = true;

  keepaliveOutstanding = false;
  keepaliveFailures = 0;
  keepaliveTimer: NodeJS.Timeout | null = null;
  joinTimer: NodeJS.Timeout | null = null;
  frameTimer: NodeJS.Timeout | null = null;
  closeTimer: NodeJS.Timeout | null = null;
  /** When the frame now in progress started (ms, performance.now()). */
  partialSince = 0;
  /** reader.completed when partialSince was last set (a change means a new frame began). */
  partialSeq = -1;
  /** Reading is paused because the partner's write buffer is over the high-water mark. */
  backpressured = false;
  /** Reads stop the moment the socket is paused (user-buffer reads: socket-reads.ts). */
  userBufferReads = false;
  /** A frame is being spliced from or to this socket: no I/O on it until that job ends (frame-splice.ts). */
  held: SpliceJob | null = null;
  /** Frames forwarded to this socket straight from the shared read buffer, not sent yet (direct-writes.ts). */
  private readonly direct: DirectRun;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    maxFrame: number,
    onFrame: FrameHandler,
    handoff: LargeFrameHandoff | null = null,
  ) {
    this.reader = new FrameReader(maxFrame, onFrame, handoff);
    this.direct = new DirectRun(socket);
  }

  get open(): boolean {
    return this.state !== "closing";
  }

  /** Writes one pre-encoded frame (prefix included). */
  send(frame: Buffer): void {
    if (this.state === "closing") return;
    this.direct.flush();
    if (this.held !== null) this.held.queue(this, frame);
    else this.socket.write(frame);
  }

  /**
   * Forwards a frame that `from` is handling right now, verbatim. A view into
   * the shared read buffer joins the run sent before the next read
   * (direct-writes.ts; true), or is copied first; a buffer that may be kept is
   * written as is (a pooled one goes back to the pool once written).
   */
  forward(frame: Buffer, from: FrameReader): boolean {
    if (this.state === "closing") return false;
    if (this.held === null && from.transient && this.direct.add(frame)) return true;
    this.direct.flush();
    const out = from.keep(frame);
    const pooled = from.keptPool;
    if (this.held !== null) {
      this.held.queue(this, pooled === null ? out : Buffer.from(out));
      if (pooled !== null) framePool.give(pooled);
    } else if (pooled === null) this.socket.write(out);
    else this.socket.write(out, () => framePool.give(pooled));
    return false;
  }

  /** Sends the frames forwarded to this socket directly during the read now being handled. */
  flushDirect(): void {
    this.direct.flush();
  }

  /**
   * A frame is in progress: `onTimeout` runs if it is not complete within
   * `timeoutMs` of its start. While the relay holds this connection's reading
   * paused (backpressured) the clock does not run; it restarts on resume.
   */
  watchPartialFrame(timeoutMs: number, onTimeout: (c: Connection) => void): void {
    const seq = this.reader.completed;
    if (this.partialSeq !== seq) {
      this.partialSeq = seq;
      this.partialSince = performance.now();
    }
    if (this.frameTimer === null) this.frameTimer = setTimeout(() => this.onFrameTimer(timeoutMs, onTimeout), timeoutMs);
  }

  private onFrameTimer(timeoutMs: number, onTimeout: (c: Connection) => void): void {
    this.frameTimer = null;
    if (!this.open || !this.reader.pending) return;
    let wait = timeoutMs;
    if (!this.backpressured && this.held === null) {
      const left = this.partialSince + timeoutMs - performance.now();
      if (left <= 0) {
        onTimeout(this);
        return;
      }
      wait = Math.ceil(left);
    }
    this.frameTimer = setTimeout(() => this.onFrameTimer(timeoutMs, onTimeout), wait);
  }

  /**
   * The keepalive interval elapsed: counts an unanswered probe, sends the
   * next one. False when MAX_KEEPALIVE_FAILURES probes went unanswered.
   */
  probeKeepalive(): boolean {
    if (this.keepaliveOutstanding) {
      this.keepaliveFailures++;
      if (this.keepaliveFailures >= MAX_KEEPALIVE_FAILURES) return false;
    }
    this.send(keepAliveFrame());
    this.keepaliveOutstanding = true;
    return true;
  }

  clearTimers(): void {
    if (this.keepaliveTimer !== null) clearInterval(this.keepaliveTimer);
    if (this.joinTimer !== null) clearTimeout(this.joinTimer);
    if (this.frameTimer !== null) clearTimeout(this.frameTimer);
    this.keepaliveTimer = this.joinTimer = this.frameTimer = null;
  }
}
