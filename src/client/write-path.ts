// The one way encrypted frames reach the relay (WIRE-NOTES §13: counters are
// assigned and frames written in one serialized path, so the peer sees
// strictly increasing counters). An inner message is encrypted — its counter
// assigned — and put in line on the ordered output in one synchronous step; a
// big file chunk is sealed here too, in place inside its frame, until this
// thread turns out to be the bottleneck (open-placement.ts judges it, as for
// the receiver's opens); from then on it takes its counter and its place in
// line at once and is sealed on a worker thread meanwhile. Also the
// back-pressure a chunk stream waits on.
import { PoolClosedError, WorkerPool, owned } from "../io/workers/pool.js";
import { doubleEncryptPartsInto, sealedLength } from "../protocol/aead.js";
import { CHUNK_PREFIX_BYTES, chunkFramePrefix, chunkHeader, type ChunkSealKeys } from "../protocol/session.js";
import { SEND_CHUNK_SIZE } from "../protocol/constants.js";
import type { ClientContext } from "./context.js";
import { FrameBuffers } from "./frame-buffers.js";
import { OpenPlacement, type ChunkPlacement } from "./open-placement.js";
import { OrderedOutput } from "./sender.js";

/** Chunk streaming waits while more than this is buffered in the socket (never the whole file in memory). */
export const SEND_HIGH_WATER = 4 * 1024 * 1024;
/** File chunks being encrypted on worker threads at once (one more than the seal threads keeps them busy). */
export const MAX_SEALS_IN_FLIGHT = 3;
/** Chunk frames at least this big are encrypted/decrypted on the worker pool; smaller ones inline. */
export const PIPELINE_MIN_BYTES = 64 * 1024;
/**
 * Threads that seal chunks once this thread is the bottleneck: one seals a
 * MiB in about a millisecond, faster than this thread reads and writes one,
 * and every thread started costs its start (~0.15 CPU-s) and warm-up again.
 */
export const SEAL_THREADS = 1;
/** Reused chunk frames are this much bigger than the largest frame they take, so frames of every chunk index fit one size. */
const FRAME_ROUNDING = 4096;
const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;
/**
 * Voice packets are dropped rather than queued while this much is waiting to
 * be written (a file transfer filling the socket): late audio is useless, and
 * queueing it would only add latency to every packet after it.
 */
export const REALTIME_HIGH_WATER = 256 * 1024;

export class WritePath {
  /** The ordered output (sender.ts): strictly in counter order. */
  readonly output: OrderedOutput;
  /** Worker threads for chunk opens; ended on reset, disconnect, emergency close. */
  private pool: WorkerPool | null = null;
  /** The thread that seals chunks once this one is the bottleneck (SEAL_THREADS), started on first use; ended with the pool. */
  private sealPool: WorkerPool | null = null;
  /**
   * Where big chunks are sealed: here (in place inside the frame: no hand-over,
   * no thread to start) while this thread keeps up, on the seal pool once it
   * has been busy for most of a stretch of chunks. Tests pin it.
   */
  sealPlacement: ChunkPlacement = new OpenPlacement();
  private sealsInFlight = 0;
  private wakers: (() => void)[] = [];
  /**
   * Frames of full-size chunks, used again once written: a chunk is read
   * straight into its frame (chunkSpace), sealed where it lies and written
   * from there, so a MiB costs neither a copy nor fresh pages, which fault in
   * one by one on these machines and cost more than the sealing itself.
   */
  private readonly chunkFrames = new FrameBuffers();
  /** Frames chunkSpace handed out whose chunk is not sealed yet, and the ones of them that go back to chunkFrames. */
  private readonly spaces = new WeakSet<ArrayBufferLike>();
  private readonly pooled = new WeakSet<ArrayBufferLike>();

  constructor(
    private readonly ctx: ClientContext,
    /** Rekey holds application traffic (initiator between commit and commit_ack, WIRE-NOTES §9). */
    private readonly holdOutgoing: () => boolean,
  ) {
    this.output = new OrderedOutput((frame, onWritten) => {
      const c = ctx.conn;
      return !!c && !c.closed && c.write(frame, onWritten);
    });
  }

  /** The session's worker pool for chunk opens, if one was started (tests look at it). */
  get workers(): WorkerPool | null {
    return this.pool;
  }

  /** Chunks read into the frame of an earlier chunk already written (tests look at it). */
  get reusedChunkFrames(): number {
    return this.chunkFrames.reused;
  }

  /** The session's chunk-sealing thread, if one was started (tests look at it). */
  get sealWorkers(): WorkerPool | null {
    return this.sealPool;
  }

  /**
   * Encrypts (the counter is assigned here) and puts the frame in line on the
   * ordered output in one synchronous step (WIRE-NOTES §13): written at once,
   * or right after the file chunks encrypted before it. `outOfLine`
   * (emergency close only) writes it at once and drops whatever is in line.
   */
  sendInner(inner: Uint8Array, outOfLine = false): number | null {
    const s = this.ctx.session;
    const c = this.ctx.conn;
    if (!s || s.isDestroyed || !c || c.closed) return null;
    const { wire, counter } = s.encrypt(inner);
    if (outOfLine) this.output.abandonAndSend(wire);
    else this.output.send(wire);
    return counter;
  }

  /**
   * VOICE_CALL_DATA (WIRE-NOTES §4.6, §12.5): outside the 250 ms queue, at
   * once, but through the same serialized encrypt-and-write path as everything
   * else, so its counter is in order with the rest of the traffic (unlike the
   * reference, WIRE-NOTES §15.8). Not sent (false) while rekey holds outgoing
   * traffic or while the socket is backed up.
   */
  sendRealtime(inner: Uint8Array): boolean {
    const c = this.ctx.conn;
    if (this.ctx.phase !== "secure" || !c || c.closed) return false;
    if (this.holdOutgoing()) return false;
    if (c.buffered + this.output.queuedBytes > REALTIME_HIGH_WATER) return false;
    return this.sendInner(inner) !== null;
  }

  /** The worker pool of this session, started on first use; null without a session. */
  workerPool(): WorkerPool | null {
    const s = this.ctx.session;
    if (!s || s.isDestroyed) return null;
    this.pool ??= new WorkerPool();
    return this.pool;
  }

  /**
   * Where chunk `index` of `transferId` (`len` bytes) is best read: inside the
   * frame it will be sent in, at the place sendChunk seals it (after the
   * FILE_CHUNK prefix and the plaintext's header, WIRE-NOTES §8.5). Small
   * chunks get a buffer of their own.
   */
  chunkSpace(transferId: string, index: number, len: number): Uint8Array {
    if (len < PIPELINE_MIN_BYTES) return new Uint8Array(len);
    const headerLen = chunkHeader(transferId, index).length;
    const frameLen = CHUNK_PREFIX_BYTES + sealedLength(headerLen + len);
    const frame = len === SEND_CHUNK_SIZE ? this.chunkFrames.take(roundUp(frameLen, FRAME_ROUNDING)) : new Uint8Array(frameLen);
    const at = CHUNK_PREFIX_BYTES + headerLen;
    this.spaces.add(frame.buffer);
    if (len === SEND_CHUNK_SIZE) this.pooled.add(frame.buffer);
    return frame.subarray(at, at + len);
  }

  /**
   * One FILE_CHUNK: the counter, chain step, DH and message key now, in order
   * (Session.prepareChunkKeys); the double AEAD here, or (a big chunk, once
   * sealPlacement says so) on a worker thread; the frame takes its place in
   * line now and is written once every frame before it was. Resolves true
   * once the frame is written or waiting only for earlier frames, false if
   * the session ended meanwhile; rejects if the encryption failed (the counter
   * is then skipped). `data` is handed over: do not use it afterwards.
   * Returns false at once without a session or connection.
   */
  sendChunk(transferId: string, index: number, data: Uint8Array): Promise<boolean> | false {
    const s = this.ctx.session;
    const c = this.ctx.conn;
    if (!s || s.isDestroyed || !c || c.closed) return false;
    if (data.length < PIPELINE_MIN_BYTES) {
      const { frame } = s.encryptChunk(transferId, index, data);
      return Promise.resolve(this.output.send(frame));
    }
    if (!this.sealPlacement.onWorkers(data.length)) {
      const frame = this.sealHere(s.prepareChunkKeys(), transferId, index, data);
      const reuse = this.pooled.has(frame.buffer) ? () => this.chunkFrames.give(frame) : undefined;
      return Promise.resolve(this.output.send(frame, reuse));
    }
    this.spaces.delete(data.buffer);
    this.sealPool ??= new WorkerPool(SEAL_THREADS);
    const pool = this.sealPool;
    const k = s.prepareChunkKeys();
    const ticket = this.output.reserve();
    const key = owned(k.messageKey);
    if (key !== k.messageKey) k.messageKey.fill(0);
    const plain = owned(data);
    this.sealsInFlight++;
    const task = { op: "seal" as const, key, nonce: k.nonce, aad: k.aad, prefix: chunkFramePrefix(k), parts: [chunkHeader(transferId, index), plain] };
    return pool.run(task, [key.buffer as ArrayBuffer, plain.buffer as ArrayBuffer]).then(
      (frame) => {
        this.sealsInFlight--;
        const ok = this.output.fill(ticket, frame);
        this.wakeAll();
        return ok;
      },
      (err: unknown) => {
        this.sealsInFlight--;
        this.output.skip(ticket);
        this.wakeAll();
        if (err instanceof PoolClosedError) return false;
        throw err;
      },
    );
  }

  /**
   * The worker's seal (crypto-worker.ts) on this thread, in place inside the
   * frame: the same frame as Session.encryptChunk. A chunk read into its
   * chunkSpace is sealed right there; any other is copied into a new frame.
   */
  private sealHere(k: ChunkSealKeys, transferId: string, index: number, data: Uint8Array): Uint8Array {
    const prefix = chunkFramePrefix(k);
    const header = chunkHeader(transferId, index);
    const inPlace = this.spaces.delete(data.buffer) && data.byteOffset === prefix.length + header.length;
    const frame = inPlace ? new Uint8Array(data.buffer) : new Uint8Array(prefix.length + sealedLength(header.length + data.length));
    try {
      const sealed = doubleEncryptPartsInto(k.messageKey, k.nonce, [header, data], k.aad, frame, prefix.length);
      frame.set(prefix, 0);
      return sealed;
    } finally {
      k.messageKey.fill(0);
    }
  }

  /** Resolves true once a chunk may be started (write buffer low, few chunks sealing, no rekey hold), false if the session ended. */
  async waitWritable(): Promise<boolean> {
    const session = this.ctx.session;
    while (true) {
      const c = this.ctx.conn;
      if (!this.ctx.session || this.ctx.session !== session || !c || c.closed) return false;
      // Bounded: at most SEND_HIGH_WATER in the socket plus a few frames encrypting or waiting in line.
      if (this.holdOutgoing() || c.buffered + this.output.queuedBytes > SEND_HIGH_WATER || this.sealsInFlight >= MAX_SEALS_IN_FLIGHT) {
        await new Promise<void>((r) => this.wakers.push(r));
        continue;
      }
      return true;
    }
  }

  /** Something waitWritable waits on changed (drain, a chunk sealed, keys switched, the session ended). */
  wakeAll(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  /** The session ended: frames still in line or being encrypted belong to it and are dropped, and the threads end. */
  clear(): void {
    this.output.clear();
    const pool = this.pool;
    const sealPool = this.sealPool;
    this.pool = this.sealPool = null;
    this.sealPlacement.reset();
    void pool?.terminate();
    void sealPool?.terminate();
  }
}
