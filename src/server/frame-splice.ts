// Large opaque frames moved from socket to socket inside the kernel.
//
// After the key exchange the relay forwards binary frames (FILE_CHUNK, 1 MiB
// each: WIRE-NOTES §8.3) verbatim and never parses them (WIRE-NOTES §11), and
// whether a frame is binary shows in its first payload byte (classify.ts). So
// once that byte has arrived, the rest of the frame can go from the sender's
// socket into a pipe and from there to the partner's socket with splice(2),
// on a thread (native/splice.c): no copy into the relay, no copy out, no
// buffer of the relay's at all. The pipe holds the whole frame before any of
// it leaves, so a sender that vanishes mid-frame leaves its partner's stream
// intact, exactly as the buffered path does.
//
// While a job runs, the thread owns both descriptors, so the JavaScript side
// does no I/O on either socket: both stop reading, frames for either are
// queued here, and closing either is deferred until the job ends (a closed
// descriptor could be reused by a new connection while the thread still uses
// it). A job ends when the frame is through, or when either side fails or the
// relay cancels it; the relay then decides what each side's state is
// (Relay.onSpliceEnd).
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import type { Connection } from "./connection.js";

/** How a job ended (the values native/splice.c returns). */
export const enum SpliceEnd {
  /** The whole frame reached the partner. */
  done = 0,
  /** The sender closed or failed before its frame was complete. */
  sourceClosed = 1,
  /** Writing to the partner failed. */
  destinationFailed = 2,
  /** The sender took longer than the frame timeout (time spent waiting on the partner not counted). */
  timedOut = 3,
  /** The relay cancelled it (one side is being closed). */
  cancelled = 4,
}

interface SpliceAddon {
  start(
    src: number,
    dst: number,
    head: Uint8Array,
    rest: number,
    sourceWaitMs: number,
    done: (outcome: number, moved: number, wrote: boolean) => void,
  ): object;
  cancel(job: object): void;
}

function loadAddon(): SpliceAddon | null {
  if (process.platform !== "linux") return null;
  try {
    return createRequire(import.meta.url)("./native/splice.node") as SpliceAddon;
  } catch {
    return null;
  }
}

const addon = loadAddon();

/** The addon is built and loads (Linux only). */
export const spliceBuilt = addon !== null;

/**
 * Opt-in (PQCHAT_RELAY_SPLICE=on). Measured on the development machines (a
 * virtual machine where the loopback TCP stack, not copying, is most of the
 * relay's CPU), splicing costs the same CPU per GiB as the buffered path and
 * moves 1 MiB frames more slowly (the whole frame waits in the pipe, and each
 * frame is a round trip to a pool thread), so it is off by default.
 */
const spliceAvailable = spliceBuilt && process.env["PQCHAT_RELAY_SPLICE"] === "on";

/** A frame with fewer unread bytes than this is cheaper to read and write than to hand to a thread. */
const SPLICE_MIN_REST = 128 * 1024;
/**
 * The most a job's pipe holds: Linux's default limit for unprivileged pipes
 * (/proc/sys/fs/pipe-max-size). A 1 MiB chunk frame (WIRE-NOTES §8.3) fits
 * once its first read is in; larger frames take the buffered path.
 */
export const SPLICE_MAX_REST = 1024 * 1024;
/** Jobs at once: each holds one thread of libuv's pool (4 by default) for the length of a frame. */
const MAX_SPLICE_JOBS = 2;

function fdOf(s: Socket): number {
  const fd = (s as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : -1;
}

export class SpliceJob {
  /** Frames for either side written while the job ran, in order. */
  private readonly queued: [Connection, Buffer][] = [];
  private readonly deferred: ((end: SpliceEnd, wrote: boolean) => void)[] = [];
  handle: object | null = null;

  constructor(
    readonly from: Connection,
    readonly to: Connection,
    /** The frame's wire size. */
    readonly total: number,
    /** Bytes of it the thread reads from the sender. */
    readonly rest: number,
  ) {}

  /** Holds a frame for `c` until the job ends. */
  queue(c: Connection, frame: Buffer): void {
    this.queued.push([c, frame]);
  }

  /** Runs `fn` when the job ends, with how it ended and whether the partner got any of the frame (a close of either socket waits for this). */
  defer(fn: (end: SpliceEnd, wrote: boolean) => void): void {
    this.deferred.push(fn);
  }

  cancel(): void {
    if (this.handle !== null) addon?.cancel(this.handle);
  }

  /** The held frames for `c` (once, at the end). */
  takeQueued(c: Connection): Buffer[] {
    return this.queued.filter(([q]) => q === c).map(([, f]) => f);
  }

  runDeferred(end: SpliceEnd, wrote: boolean): void {
    for (const fn of this.deferred.splice(0)) fn(end, wrote);
  }
}

export class Splicer {
  private readonly jobs = new Set<SpliceJob>();

  constructor(private readonly onEnd: (job: SpliceJob, end: SpliceEnd, unread: number, wrote: boolean) => void) {}

  /**
   * Starts moving the frame `from` began (`head`: its bytes read so far, a
   * view valid during this call; `total`: its wire size) to `to`. False, with
   * nothing changed, when it cannot be spliced: then the relay reads it as usual.
   */
  tryStart(from: Connection, to: Connection, head: Buffer, total: number, sourceWaitMs: number): boolean {
    if (addon === null || !spliceAvailable || this.jobs.size >= MAX_SPLICE_JOBS) return false;
    const rest = total - head.length;
    if (rest < SPLICE_MIN_REST || rest > SPLICE_MAX_REST) return false;
    // Only sockets whose reads stop the moment they are paused (socket-reads.ts).
    if (!from.userBufferReads || !to.userBufferReads || from.held !== null || to.held !== null || !to.open) return false;
    // Nothing of ours may still be on its way into either socket.
    if (from.socket.writableLength > 0 || to.socket.writableLength > 0) return false;
    const src = fdOf(from.socket);
    const dst = fdOf(to.socket);
    if (src < 0 || dst < 0) return false;
    const job = new SpliceJob(from, to, total, rest);
    try {
      job.handle = addon.start(src, dst, head, rest, sourceWaitMs, (end, moved, wrote) => this.finish(job, end, moved, wrote));
    } catch {
      return false; // no pipe: out of descriptors, or this system's pipes cannot hold the frame
    }
    this.jobs.add(job);
    from.held = to.held = job;
    from.socket.pause();
    to.socket.pause();
    return true;
  }

  /** True while `s` belongs to a running job (it must not be destroyed yet). */
  holds(s: Socket): boolean {
    for (const j of this.jobs) if (j.from.socket === s || j.to.socket === s) return true;
    return false;
  }

  cancelAll(): void {
    for (const j of this.jobs) j.cancel();
  }

  private finish(job: SpliceJob, end: SpliceEnd, moved: number, wrote: boolean): void {
    this.jobs.delete(job);
    job.from.held = job.to.held = null;
    this.onEnd(job, end, job.rest - moved, wrote);
  }
}

/** What the relay does with each side after a job ends (applied by Relay.onSpliceEnd). */
export interface AfterSplice {
  /** Close the partner without a notice (it holds part of a frame), with this reason for the log; or null. */
  readonly cutOff: string | null;
  /** Close the sender, with this reason for the log; or null. */
  readonly closeFrom: string | null;
  /** The sender is closed for its frame timeout (it gets that notice). */
  readonly fromTimedOut: boolean;
  /** Close the partner as gone (its socket failed); its sender stays. */
  readonly toFailed: boolean;
}

const NOTHING: AfterSplice = { cutOff: null, closeFrom: null, fromTimedOut: false, toFailed: false };

/**
 * The rule after a job. Nothing reaches the partner before the sender's
 * frame is whole (`wrote` false), so then the sender's failures are handled
 * as on the buffered path: the sender is closed, the partner told as usual.
 * A partner that received part of a frame (cancelled or failed while being
 * written to) cannot be resynchronised and is closed without a notice. A
 * sender whose partner failed stays and skips what is left of its frame.
 */
export function afterSplice(end: SpliceEnd, wrote: boolean, fromOpen: boolean, toOpen: boolean): AfterSplice {
  switch (end) {
    case SpliceEnd.done:
      return NOTHING;
    case SpliceEnd.sourceClosed:
      return { ...NOTHING, closeFrom: fromOpen ? "connection lost" : null };
    case SpliceEnd.timedOut:
      return { ...NOTHING, closeFrom: fromOpen ? "incomplete frame timed out" : null, fromTimedOut: fromOpen };
    case SpliceEnd.destinationFailed:
      return { ...NOTHING, toFailed: toOpen };
    case SpliceEnd.cancelled:
      return { ...NOTHING, cutOff: wrote && toOpen ? "partner's frame cut off" : null };
  }
}
