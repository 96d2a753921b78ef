// Forwards small frames straight out of the shared read buffer.
//
// A frame that arrived whole in one read is a view into the read buffer every
// connection shares (connection.ts), valid only until the next read. Handing
// it to socket.write() means copying it first (the write may complete later)
// and one write request per frame; for 1 KiB frames that copy, its garbage and
// the request were about a quarter of the relay's CPU. Instead, the frames of
// one read bound for one socket are collected as a run (they are contiguous
// when they arrive back to back) and, before the read buffer can be reused,
// sent with one non-blocking send(2) (native/send-now.c). Whatever the kernel
// does not take at once is copied and queued on the socket as before, so
// nothing is lost and order is kept: a run starts only when the socket has
// nothing queued, and every other write to that socket flushes the run first.
//
// Opt-in (PQCHAT_RELAY_DIRECT_WRITES=on): measured on the development
// machines (1,000 pairs, 1 KiB frames, one frame per read), it takes user-space
// work off each frame but the kernel's share grew by as much, and the relay
// moved 91,500-92,300 frames/s against 94,400-95,900 on the ordinary path, so
// it is off by default. Without the addon every frame takes the ordinary path.
import { createRequire } from "node:module";
import type { Socket } from "node:net";

interface SendNowAddon {
  /** One non-blocking send of bytes[start, end): bytes taken, or -errno. */
  sendNow(fd: number, bytes: ArrayBuffer, start: number, end: number): number;
}

function loadAddon(): SendNowAddon | null {
  if (process.platform !== "linux") return null;
  try {
    return createRequire(import.meta.url)("./native/send-now.node") as SendNowAddon;
  } catch {
    return null;
  }
}

const built = loadAddon();

/** The addon is built and loads. */
export const directWritesBuilt = built !== null;

const addon = process.env["PQCHAT_RELAY_DIRECT_WRITES"] === "on" ? built : null;

/** True when the relay forwards small frames with direct writes. */
export const directWritesOn = addon !== null;

/** The socket's descriptor while libuv holds it open, else -1. */
function fdOf(s: Socket): number {
  if (s.destroyed) return -1;
  const fd = (s as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : -1;
}

/** Runs that hold frames not sent yet: all of them are sent before the read buffer is reused. */
const unsent: DirectRun[] = [];

/**
 * Sends every run started during the read now being handled. The relay calls
 * this once the read is handled, before the next read can reuse the buffer;
 * a run may belong to a socket the read paired just now (a JOIN and a frame
 * for the new partner in one read), so the runs themselves are tracked.
 */
export function flushAllRuns(): void {
  for (let i = 0; i < unsent.length; i++) unsent[i]!.flush();
  unsent.length = 0;
}

/** Frames for one socket, back to back in one read buffer, not written yet. */
export class DirectRun {
  private bytes: ArrayBuffer | null = null;
  private start = 0;
  private end = 0;

  constructor(private readonly socket: Socket) {}

  /**
   * Takes `frame` (a view into a read buffer reused after this read) into the
   * run. False: it must be written the ordinary way (no addon, or the socket
   * has writes queued, which must go first).
   */
  add(frame: Buffer): boolean {
    if (this.bytes !== null) {
      if (frame.buffer === this.bytes && frame.byteOffset === this.end) {
        this.end += frame.length;
        return true;
      }
      this.flush();
    }
    if (addon === null || this.socket.writableLength !== 0 || fdOf(this.socket) < 0) return false;
    this.bytes = frame.buffer as ArrayBuffer;
    this.start = frame.byteOffset;
    this.end = this.start + frame.length;
    unsent.push(this);
    return true;
  }

  /** Sends the run: what the kernel takes at once directly, the rest copied and queued on the socket. */
  flush(): void {
    const bytes = this.bytes;
    if (bytes === null) return;
    this.bytes = null;
    const socket = this.socket;
    if (socket.destroyed) return; // nobody left to send to
    const fd = fdOf(socket);
    const sent = fd >= 0 ? addon!.sendNow(fd, bytes, this.start, this.end) : 0;
    // EAGAIN, or an error the socket itself will report on this write.
    const from = this.start + Math.max(sent, 0);
    if (from < this.end) socket.write(Buffer.from(new Uint8Array(bytes, from, this.end - from)));
  }
}
