// The first moments of a connection in a relay with workers: the primary
// reads until it knows where the client belongs (WIRE-NOTES §11 and
// docs/PROTOCOL-EXTENSIONS.md: a JOIN as the first frame names a room; any
// other first frame, or none within the join wait, means the lobby), then
// hands the socket and the bytes it read to the worker that owns that place.
// Same rules and notices as RelayServer's pending state: an invalid JOIN is
// refused, a first frame that stalls is timed out.
import type { Socket } from "node:net";
import { MessageType } from "../protocol/constants.js";
import { classify } from "./classify.js";
import { F } from "./notices.js";
import { LOBBY, MAX_JOIN_FRAME, parseJoin } from "./pairing.js";

/** Where a connection goes, with the bytes read so far that its owner must still process. */
export interface GateDecision {
  room: string;
  /** True when a JOIN was the first frame (removed from `head`). */
  joined: boolean;
  head: Buffer;
}

export interface GateOptions {
  joinWaitMs: number;
  frameTimeoutMs: number;
}

/** A first frame (a JOIN, at most 1 KiB) must be complete this long after connecting (as in RelayServer). */
const FIRST_FRAME_LIMIT_MS = 10_000;

/**
 * What the bytes read so far say about a connection's place: null while the
 * first frame is incomplete (and could be a JOIN), a decision, or a refusal.
 */
export function firstFrameVerdict(head: Buffer): GateDecision | { refuse: Buffer | null; why: string } | null {
  if (head.length < 4) return null;
  const size = head.readUInt32BE(0);
  // Longer than any JOIN: not one, so a reference-style client (lobby); its
  // owner reads the rest of the frame.
  if (size > MAX_JOIN_FRAME) return { room: LOBBY, joined: false, head };
  if (head.length < 4 + size) return null;
  const first = head.subarray(0, 4 + size);
  const cls = classify(first);
  if (cls.kind === "typed" && cls.type === MessageType.JOIN) {
    const room = parseJoin(first.subarray(4));
    if (room === null) return { refuse: F.invalidRoom, why: "invalid JOIN" };
    return { room, joined: true, head: head.subarray(4 + size) };
  }
  if (cls.kind === "typed" && cls.type === MessageType.CLIENT_DISCONNECT) return { refuse: null, why: "client disconnect" };
  return { room: LOBBY, joined: false, head };
}

/**
 * Reads `socket` until its place is known. `decided` gets the decision, with
 * the socket paused (nothing read after `head`); `closed` is called when the
 * gate ended the connection itself (why, for the debug log) or the client left.
 */
export function gate(socket: Socket, opts: GateOptions, decided: (d: GateDecision) => void, closed: (why: string) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  const acceptedAt = performance.now();
  const finish = (): void => {
    done = true;
    clearTimeout(timer);
    socket.removeListener("data", onData);
    socket.removeListener("end", onGone);
    socket.removeListener("close", onGone);
  };
  const decide = (d: GateDecision): void => {
    finish();
    socket.pause();
    decided(d);
  };
  const refuse = (notice: Buffer | null, why: string): void => {
    finish();
    if (notice !== null) socket.end(notice);
    else socket.end();
    socket.resume();
    const t = setTimeout(() => socket.destroy(), 2000);
    socket.once("close", () => clearTimeout(t));
    closed(why);
  };
  const onGone = (): void => {
    if (done) return;
    finish();
    socket.destroy();
    closed("connection lost");
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    length += chunk.length;
    const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
    if (chunks.length > 1) chunks.splice(0, chunks.length, head);
    const verdict = firstFrameVerdict(head);
    if (verdict === null) return;
    if ("refuse" in verdict) refuse(verdict.refuse, verdict.why);
    else decide(verdict);
  };
  const onJoinWait = (): void => {
    if (length === 0) return decide({ room: LOBBY, joined: false, head: Buffer.alloc(0) });
    // Its first frame is arriving right now: let that frame decide, for a while.
    if (performance.now() - acceptedAt >= Math.min(FIRST_FRAME_LIMIT_MS, opts.frameTimeoutMs)) return refuse(F.frameTimeout, "first frame timed out");
    timer = setTimeout(onJoinWait, opts.joinWaitMs);
  };
  let timer = setTimeout(onJoinWait, opts.joinWaitMs);
  socket.on("data", onData);
  socket.on("end", onGone);
  socket.on("close", onGone);
  socket.on("error", () => {});
}
