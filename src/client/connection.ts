// One TCP connection to the relay: length-prefixed frames in both directions
// (WIRE-NOTES §2), a bounded frame decoder (WIRE-NOTES §15.4: the length prefix is checked
// before anything is allocated), write backpressure and read pausing, and the
// two ways a dead link is noticed without a FIN or RST: TCP keepalive and the
// relay's silence (liveness.ts).
import * as net from "node:net";
import { DEFAULT_MAX_FRAME, FrameDecoder, FrameTooLargeError, frameHeader } from "../protocol/index.js";
import { FrameBuffers } from "./frame-buffers.js";
import { SilenceWatch } from "./liveness.js";

export interface ConnectionHandlers {
  onFrame(payload: Uint8Array): void;
  onFrameTooLarge(err: FrameTooLargeError): void;
  /** Called once, whatever closed the socket. */
  onClose(reason: string): void;
  /** The socket's write buffer drained. */
  onDrain(): void;
}

export interface ConnectionOptions {
  /** Largest frame accepted from the relay. Default DEFAULT_MAX_FRAME. */
  maxFrame?: number;
  /** Source address to bind before connecting. */
  localAddress?: string;
  /** Close when nothing was received for this long while reading (liveness.ts); 0 or absent: never. */
  silenceLimitMs?: number;
}

const READ_BUFFER_BYTES = 1024 * 1024;

/**
 * Idle time before the kernel probes the link (TCP keepalive). Below the
 * relay's 60 s KEEP_ALIVE interval (SPEC §10), so an idle path is probed
 * between two of its probes: that keeps NAT and firewall state alive, and a
 * relay host that rebooted answers a probe with RST, which ends the
 * connection at once instead of at the silence limit. The probe interval and
 * count stay the system's; the silence limit (liveness.ts) is what bounds how
 * long a dead relay goes unnoticed. One empty segment per 30 s of idleness
 * costs nothing.
 */
const TCP_KEEPALIVE_DELAY_MS = 30_000;

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly buffers = new FrameBuffers();
  private _closed = false;
  private closeReason: string | null = null;
  private readonly pauseReasons = new Set<string>();
  private readonly silence: SilenceWatch | null;
  readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  private constructor(
    private readonly socket: net.Socket,
    private readonly handlers: ConnectionHandlers,
    maxFrame: number,
    silenceLimitMs: number,
  ) {
    // The socket reads into one reused buffer (see open), so frames are copied out, into reused buffers where they are big.
    this.decoder = new FrameDecoder({ maxFrame, copy: true, alloc: this.buffers.take });
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_DELAY_MS);
    this.silence = silenceLimitMs > 0 ? new SilenceWatch(silenceLimitMs, (reason) => this.destroy(reason)) : null;
    socket.on("drain", () => handlers.onDrain());
    socket.on("end", () => {
      this.closeReason ??= "The server closed the connection.";
      socket.destroy();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      this.closeReason ??= `Connection error (${err.code ?? err.name}).`;
    });
    socket.on("close", () => {
      this._closed = true;
      this.silence?.stop();
      this.resolveClosed();
      handlers.onClose(this.closeReason ?? "The connection was closed.");
    });
  }

  /** Opens the TCP connection; rejects with the socket error. */
  static open(host: string, port: number, handlers: ConnectionHandlers, opts: ConnectionOptions = {}): Promise<Connection> {
    const { maxFrame = DEFAULT_MAX_FRAME, localAddress, silenceLimitMs = 0 } = opts;
    return new Promise((resolve, reject) => {
      // One read buffer for the connection's life: a 1 MiB file chunk arrives
      // in a few reads instead of sixteen fresh 64 KiB buffers, which would
      // otherwise be a large share of the garbage a transfer makes.
      let conn: Connection | null = null;
      const early: Uint8Array[] = [];
      const socket = net.connect({
        host,
        port,
        ...(localAddress === undefined ? {} : { localAddress }),
        onread: {
          buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
          callback: (n: number, buf: Uint8Array) => {
            // Node starts reading only after "connect" was handled; keep a copy just in case.
            if (conn) conn.onData(buf.subarray(0, n));
            else early.push(buf.slice(0, n));
            return true;
          },
        },
      });
      const onError = (err: Error) => {
        socket.destroy();
        reject(err);
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.off("error", onError);
        conn = new Connection(socket, handlers, maxFrame, silenceLimitMs);
        resolve(conn);
        for (const chunk of early.splice(0)) conn.onData(chunk);
      });
    });
  }

  /** A received frame (`view` is any view of it) is done with: its buffer may take a later frame (frame-buffers.ts). */
  recycle(view: Uint8Array): void {
    this.buffers.give(view);
  }

  /** Frame buffers reused so far (tests look at it). */
  get reusedBuffers(): number {
    return this.buffers.reused;
  }

  get closed(): boolean {
    return this._closed || this.socket.destroyed;
  }

  /** Bytes waiting in the socket's write buffer. */
  get buffered(): number {
    return this.socket.writableLength;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /** Bytes received so far into binary frames that arrived in pieces (FrameDecoder.binaryBytes). */
  get binaryBytesRead(): number {
    return this.decoder.binaryBytes;
  }

  /**
   * Writes one frame; false when the connection is gone. Never copies the
   * payload, so it must stay untouched until written: `onWritten` is called
   * once the kernel has it (not on a failed write: its memory is then left
   * alone for good).
   */
  write(payload: Uint8Array, onWritten?: () => void): boolean {
    if (this.closed || this.socket.writableEnded) return false;
    this.socket.cork();
    this.socket.write(frameHeader(payload.length));
    this.socket.write(payload, onWritten && ((err) => err == null && onWritten()));
    this.socket.uncork();
    return true;
  }

  /** Pauses reading for a named reason (e.g. disk writes lagging); reading resumes when no reason is left. */
  pauseReading(reason: string): void {
    if (this.pauseReasons.size === 0) this.pauses++;
    this.pauseReasons.add(reason);
    this.socket.pause();
    this.silence?.pause();
  }

  /** How many times reading was paused so far (a pause that already ended still shows here). */
  pauses = 0;

  /** Reading is paused for at least one local reason. */
  get readingPaused(): boolean {
    return this.pauseReasons.size > 0;
  }

  resumeReading(reason: string): void {
    this.pauseReasons.delete(reason);
    if (this.pauseReasons.size === 0 && !this.closed) {
      this.socket.resume();
      this.silence?.resume();
    }
  }

  /** Flushes what was written, then closes; forces the close after `graceMs`. */
  close(reason: string, graceMs = 1000): void {
    this.closeReason ??= reason;
    if (this.closed) return;
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), graceMs);
    t.unref();
  }

  /** Closes at once, dropping anything unsent. */
  destroy(reason: string): void {
    this.closeReason ??= reason;
    this.socket.destroy();
  }

  private onData(chunk: Uint8Array): void {
    this.silence?.heard();
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (err instanceof FrameTooLargeError) {
        this.handlers.onFrameTooLarge(err);
        this.destroy("The server sent a frame larger than allowed.");
        return;
      }
      throw err;
    }
    for (const f of frames) {
      if (this.closed) return;
      this.handlers.onFrame(f);
    }
  }
}
