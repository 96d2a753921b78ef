// The ordered inbound line (src/client/inbound-line.ts; WIRE-NOTES §8.5,
// §12.1) with real sessions and real worker threads whose results are held
// back and released in the order a test chooses: chunk frames opened on the
// workers and finishing out of order are still handed on in arrival order,
// with a JSON frame that arrived behind them after them; a chunk that does not
// authenticate is reported with its kind and the rest go on in order; small
// chunk frames wait behind pending opens; binary frames outside a session are
// refused.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { ClientContext } from "../src/client/context.js";
import type { ErrorKind } from "../src/client/events.js";
import { InboundLine } from "../src/client/inbound-line.js";
import { JUDGE_BYTES, JUDGE_MS, OpenPlacement, type ChunkPlacement } from "../src/client/open-placement.js";
import { PIPELINE_MIN_BYTES } from "../src/client/write-path.js";
import { WorkerPool, type PoolTask } from "../src/io/workers/pool.js";
import { MessageType, parseJsonObject, pyjson, toBytes, type Session } from "../src/protocol/index.js";
import { sessionPair } from "./helpers/session-pair.js";

// The client's timers and worker threads are unref'd (they must never keep a
// process alive); this keeps the test process alive while a test waits on them.
const keepAlive = setInterval(() => undefined, 60_000);
after(() => clearInterval(keepAlive));

/** A real worker pool whose results wait until the test releases them; `held[i]` settles the i-th task begun. */
class HeldPool {
  readonly real = new WorkerPool();
  readonly held: (() => void)[] = [];
  /** Tasks handed to the pool so far. */
  begun = 0;
  private finished = 0;
  private waiters: (() => void)[] = [];

  run(task: PoolTask, transfer: ArrayBuffer[]): Promise<Uint8Array> {
    const slot = this.begun++;
    const done = this.real.run(task, transfer);
    return new Promise((resolve, reject) => {
      const hold = (settle: () => void) => {
        this.held[slot] = settle;
        this.finished++;
        for (const w of this.waiters.splice(0)) w();
      };
      done.then(
        (v) => hold(() => resolve(v)),
        (e: unknown) => hold(() => reject(e instanceof Error ? e : new Error(String(e)))),
      );
    });
  }

  /** Resolves once the first `n` tasks finished on the workers (their results still held). */
  async heldCount(n: number): Promise<void> {
    while (this.finished < n) await new Promise<void>((r) => this.waiters.push(r));
  }
}

/** Runs `body` with a held pool, ending its threads whatever happens. */
async function withPool(body: (pool: HeldPool) => Promise<void>): Promise<void> {
  const pool = new HeldPool();
  try {
    await body(pool);
  } finally {
    await pool.real.terminate();
  }
}

/** Every big chunk to the pool, as when the receiving thread is the bottleneck. */
const ALWAYS_WORKERS: ChunkPlacement = { onWorkers: () => true, reset: () => undefined };

type Seen = { chunk: number; bytes: Uint8Array } | { outer: number; text: string };

/** A receiving side: the line, its context (secure, with the responder's session) and what came out of it. */
function receiver(session: Session | null, pool: HeldPool | null, placement: ChunkPlacement = ALWAYS_WORKERS) {
  const out: Seen[] = [];
  const errors: { kind: ErrorKind; text: string }[] = [];
  let wake: (() => void) | null = null;
  const ctx = new ClientContext("/nonexistent", {}, {
    emit: () => undefined,
    emitAny: () => undefined,
    report: (kind, text) => {
      errors.push({ kind, text });
      wake?.();
    },
  });
  ctx.session = session;
  ctx.phase = session ? "secure" : "waiting_for_peer";
  const line = new InboundLine(ctx, {
    bypass: () => true, // a transfer is in progress: no limiter, no 8 KiB rule
    onOuter: (type, obj) => {
      const inner = session!.decrypt(obj);
      out.push({ outer: type, text: String(parseJsonObject(inner.plaintext)!["text"]) });
      wake?.();
    },
    onChunk: (_id, index, data) => {
      out.push({ chunk: index, bytes: data });
      wake?.();
    },
    workerPool: () => pool as unknown as WorkerPool,
  }, placement);
  const until = async (cond: () => boolean): Promise<void> => {
    while (!cond()) await new Promise<void>((r) => (wake = r));
  };
  return { line, out, errors, until };
}

/** Lets pending promise callbacks and a pump run (a wait, not an assertion on time). */
const settle = () => new Promise((r) => setImmediate(r));

const BIG = PIPELINE_MIN_BYTES + 1000;

test("chunks opened on workers and finishing in reverse order come out in arrival order, the JSON frame behind them last", async () => {
  await withPool(async (pool) => {
    const { initiator, responder } = sessionPair();
    const r = receiver(responder, pool);
    const data = [0, 1, 2].map(() => new Uint8Array(randomBytes(BIG)));
    for (const [i, d] of data.entries()) r.line.onFrame(initiator.encryptChunk("t1", i, d).frame);
    r.line.onFrame(initiator.encrypt(toBytes(pyjson({ type: MessageType.TEXT_MESSAGE, text: "after the chunks" }))).wire);
    await pool.heldCount(3);
    assert.equal(r.out.length, 0, "nothing handed on while the first open is pending");
    pool.held[2]!();
    pool.held[1]!();
    await settle();
    await settle();
    assert.equal(r.out.length, 0, "later opens finished, the first not: still nothing");
    pool.held[0]!();
    await r.until(() => r.out.length === 4);
    assert.deepEqual(
      r.out.map((s) => ("chunk" in s ? `chunk ${s.chunk}` : `outer ${s.outer}: ${s.text}`)),
      ["chunk 0", "chunk 1", "chunk 2", `outer ${MessageType.ENCRYPTED_MESSAGE}: after the chunks`],
    );
    for (const [i, d] of data.entries()) assert.deepEqual((r.out[i] as { bytes: Uint8Array }).bytes, d);
    assert.deepEqual(r.errors, []);
  });
});

test("a chunk that does not authenticate is reported with its kind; the chunks around it still come out in order", async () => {
  await withPool(async (pool) => {
    const { initiator, responder } = sessionPair();
    const r = receiver(responder, pool);
    const frames = [0, 1, 2].map((i) => initiator.encryptChunk("t2", i, new Uint8Array(randomBytes(BIG))).frame);
    const bad = frames[1]!;
    bad[bad.length - 20] = bad[bad.length - 20]! ^ 0x01; // inside the ciphertext
    for (const f of frames) r.line.onFrame(f);
    await pool.heldCount(3);
    for (const release of [...pool.held].reverse()) release();
    await r.until(() => r.out.length === 2 && r.errors.length === 1);
    assert.deepEqual(
      r.out.map((s) => ("chunk" in s ? s.chunk : -1)),
      [0, 2],
    );
    assert.equal(r.errors[0]!.kind, "decrypt_failed");
    assert.match(r.errors[0]!.text, /^Dropped a file chunk: /);
  });
});

test("a small chunk frame behind a pending open waits for it (only the sequential order gives the reference's answer)", async () => {
  await withPool(async (pool) => {
    const { initiator, responder } = sessionPair();
    const r = receiver(responder, pool);
    r.line.onFrame(initiator.encryptChunk("t3", 0, new Uint8Array(randomBytes(BIG))).frame);
    r.line.onFrame(initiator.encryptChunk("t3", 1, new Uint8Array(randomBytes(100))).frame);
    await pool.heldCount(1);
    await settle();
    assert.equal(r.out.length, 0, "the small frame was not decrypted ahead of the big one");
    pool.held[0]!();
    await r.until(() => r.out.length === 2);
    assert.deepEqual(
      r.out.map((s) => ("chunk" in s ? s.chunk : -1)),
      [0, 1],
    );
    assert.equal(pool.held.length, 1, "the small frame was opened inline, not on a worker");
  });
});

test("while the receiving thread keeps up, big chunks are opened inline; once it is the bottleneck, on the workers", async () => {
  await withPool(async (pool) => {
    const { initiator, responder } = sessionPair();
    // A scripted thread: 10 ms of wall time per chunk, busy for 2 ms of it (keeps up) until `busy` says otherwise.
    let wall = 0;
    let cpu = 0;
    let busyMs = 2;
    const placement = new OpenPlacement({ wall: () => wall, cpu: () => cpu / 1000 });
    const r = receiver(responder, pool, placement);
    let index = 0;
    const send = () => {
      wall += 10;
      cpu += busyMs;
      r.line.onFrame(initiator.encryptChunk("t5", index++, new Uint8Array(randomBytes(BIG))).frame);
    };
    const judged = Math.max(Math.ceil(JUDGE_BYTES / (BIG + 48)), JUDGE_MS / 10) + 1;
    for (let i = 0; i < 2 * judged; i++) send();
    assert.equal(r.out.length, 2 * judged, "every chunk was handed on at once: opened inline");
    assert.equal(pool.begun, 0, "no chunk went to the pool");
    busyMs = 9.5;
    while (pool.begun === 0 && index < 6 * judged) send();
    assert.equal(pool.begun, 1, "a busy thread moves the opens to the pool");
    await pool.heldCount(1);
    pool.held[0]!();
    await r.until(() => r.out.length === index);
    assert.deepEqual(
      r.out.map((s) => ("chunk" in s ? s.chunk : -1)),
      [...Array(index).keys()],
    );
    assert.deepEqual(r.errors, []);
  });
});

test("binary frames are refused outside an established session, and when too short to be a chunk", () => {
  const before = receiver(null, null);
  before.line.onFrame(new Uint8Array(100));
  assert.deepEqual(before.errors.map((e) => e.kind), ["malformed"]);
  assert.match(before.errors[0]!.text, /outside an established session/);
  const { responder } = sessionPair();
  const secure = receiver(responder, null);
  secure.line.onFrame(new Uint8Array(47));
  assert.deepEqual(secure.errors.map((e) => e.kind), ["malformed"]);
  assert.match(secure.errors[0]!.text, /too short to be a file chunk/);
  assert.equal(secure.out.length, 0);
});
