// A small pool of worker threads for the CPU-heavy, order-free parts of the
// file pipeline: gzip members on the sender, and the double AEAD
// of FILE_CHUNK frames in both directions. Everything that depends on order —
// counters, the chain walk, commits, writes — stays on the main thread; a job
// here is a pure function of its inputs. Buffers are transferred, not copied,
// whenever the caller owns them outright (see `transferable`), and key buffers
// are wiped by the worker after use.
//
// Workers are unref()'d, so a pool never keeps a process alive; terminate()
// ends them at once (pending jobs reject with PoolClosedError).
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { AuthenticationError } from "../../protocol/crypto/backend.js";

export type PoolTask =
  | { op: "gzip"; data: Uint8Array; level: number }
  | {
      op: "seal";
      /** 32-byte message key; transferred and wiped by the worker. */
      key: Uint8Array;
      nonce: Uint8Array;
      aad: Uint8Array;
      /** Written in front of the ciphertext (the 48-byte FILE_CHUNK prefix). */
      prefix: Uint8Array;
      /** Plaintext parts, concatenated before padding. */
      parts: Uint8Array[];
    }
  | {
      op: "open";
      key: Uint8Array;
      nonce: Uint8Array;
      aad: Uint8Array;
      /** Opened in place: the reply is the plaintext's view of this buffer, which the worker must own (transfer it, or let postMessage copy it). */
      ciphertext: Uint8Array;
    };

export type PoolReply = { id: number; ok: true; out: Uint8Array } | { id: number; ok: false; auth: boolean; error: string };

/** A job failed because the pool was terminated (session ended). */
export class PoolClosedError extends Error {
  constructor() {
    super("the worker pool was terminated");
    this.name = "PoolClosedError";
  }
}

interface Job {
  id: number;
  task: PoolTask;
  transfer: ArrayBuffer[];
  resolve: (out: Uint8Array) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

/**
 * True when `b` is the only view of its own ArrayBuffer, so transferring the
 * buffer hands over exactly `b` and detaches nothing else (pooled small
 * Buffers share an ArrayBuffer and must be copied instead).
 */
export function transferable(b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
}

/** `b` itself if transferable, else a private copy. */
export function owned(b: Uint8Array): Uint8Array {
  return transferable(b) ? b : Uint8Array.from(b);
}

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

const WORKER_URL = new URL("./crypto-worker.js", import.meta.url);

/**
 * Workers would inherit the process's CLI flags, including `-e <script>` or
 * `--input-type` of an eval'd entry point (the worker would then run that
 * script instead of ours): pass on only the diagnostic flags.
 */
function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => /^--(cpu-prof|heap-prof|enable-source-maps|stack-trace-limit)/.test(a));
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Threads started over the pool's life (tests check that none leak). */
  started = 0;

  constructor(readonly size = defaultPoolSize()) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("pool size must be a positive integer");
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.job !== null).length;
  }

  /** Live threads. */
  get threads(): number {
    return this.slots.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Runs one task. `transfer` lists buffers handed over to the worker (they
   * are detached here at once); everything else is copied by postMessage.
   */
  run(task: PoolTask, transfer: ArrayBuffer[] = []): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    return new Promise<Uint8Array>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, transfer, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends every thread now; queued and running jobs reject with PoolClosedError. Idempotent. */
  async terminate(): Promise<void> {
    this.closed = true;
    const jobs = [...this.queue, ...this.slots.map((s) => s.job).filter((j): j is Job => j !== null)];
    this.queue.length = 0;
    const slots = this.slots.splice(0);
    for (const j of jobs) {
      wipeTask(j.task);
      j.reject(new PoolClosedError());
    }
    await Promise.allSettled(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const job = this.queue.shift()!;
      slot.job = job;
      try {
        slot.worker.postMessage({ id: job.id, task: job.task }, job.transfer);
      } catch (err) {
        slot.job = null;
        wipeTask(job.task);
        job.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL, { execArgv: workerExecArgv() });
    worker.unref();
    this.started++;
    const slot: Slot = { worker, job: null };
    this.slots.push(slot);
    worker.on("message", (r: PoolReply) => {
      const job = slot.job;
      if (!job || job.id !== r.id) return;
      slot.job = null;
      if (r.ok) job.resolve(r.out);
      // An AEAD refusal crosses the thread boundary as a flag and is rebuilt as the protocol's one error for it.
      else job.reject(r.auth ? new AuthenticationError() : new Error(r.error));
      this.dispatch();
    });
    const fail = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const job = slot.job;
      slot.job = null;
      if (job) job.reject(this.closed ? new PoolClosedError() : err);
      if (!this.closed) this.dispatch();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`worker thread exited (${code})`)));
    return slot;
  }
}

function wipeTask(t: PoolTask): void {
  // A key that never reached a worker is still ours to wipe (unless already transferred: then it is empty).
  if (t.op !== "gzip" && t.key.byteLength > 0) t.key.fill(0);
}
