// File transfers in both directions at the unit level (src/client/transfers.ts
// over outgoing-transfers.ts and incoming-transfers.ts): a sending Transfers
// and a receiving Transfers joined by an in-process, ordered stand-in for the
// encrypted channel (inner messages and chunks in one queue per direction),
// with real files in real temp directories. A file arrives whole with the
// events in order (compressed and not); a declined offer, a receiver that goes
// away and a chunk outside the announced range each end cleanly on both sides, with
// no temp file left behind.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile, readdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { after, test } from "node:test";
import type { AcceptFilesPolicy, ClientEventMap, ClientEventName, ErrorKind } from "../src/client/events.js";
import { Transfers } from "../src/client/transfers.js";
import type { TransferHost } from "../src/client/transfer-common.js";
import { CHUNK_SIZE } from "../src/protocol/file/index.js";
import { MessageType, type JsonObject } from "../src/protocol/index.js";
import { removeDir, tempDir } from "./helpers/client-harness.js";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await removeDir(d);
});

interface End {
  t: Transfers;
  dir: string;
  events: { name: ClientEventName; payload: Record<string, unknown> }[];
  errors: { kind: ErrorKind; text: string }[];
  policy: AcceptFilesPolicy;
  /** Received chunks handed back as written (TransferHost.chunkWritten); each was scribbled over at once. */
  recycled: number;
  until(cond: () => boolean): Promise<void>;
  named(name: ClientEventName): Record<string, unknown>[];
}

/** Two ends joined by one ordered queue per direction, delivered on later turns of the event loop. */
async function link(policy: AcceptFilesPolicy): Promise<{ a: End; b: End; toB: (run: () => void) => void }> {
  const make = async (name: string): Promise<End> => {
    const dir = await tempDir(`pqchat-transfers-${name}-`);
    dirs.push(dir);
    let wake: (() => void) | null = null;
    const e = { dir, events: [], errors: [], policy, recycled: 0 } as unknown as End;
    e.until = async (cond) => {
      while (!cond()) await new Promise<void>((r) => (wake = r));
    };
    e.named = (n) => e.events.filter((x) => x.name === n).map((x) => x.payload);
    (e as { wake: () => void } & End).wake = () => wake?.();
    return e;
  };
  const a = await make("A");
  const b = await make("B");
  const queues = new Map<End, (() => void)[]>([
    [a, []],
    [b, []],
  ]);
  const send = (to: End, run: () => void) => {
    const q = queues.get(to)!;
    q.push(run);
    if (q.length === 1) setImmediate(() => drain(to));
  };
  const drain = (to: End) => {
    const q = queues.get(to)!;
    while (q.length > 0) {
      q[0]!();
      q.shift();
    }
  };
  const deliver = (to: End, obj: JsonObject) => {
    const id = String(obj["transfer_id"]);
    switch (obj["type"]) {
      case MessageType.FILE_METADATA:
        return to.t.onMetadata(obj, to.policy, false);
      case MessageType.FILE_ACCEPT:
        return to.t.onAccept(id);
      case MessageType.FILE_REJECT:
        return to.t.onReject(id, String(obj["reason"]));
      case MessageType.FILE_COMPLETE:
        return to.t.onComplete(id);
    }
  };
  const host = (me: End, peer: End): TransferHost => {
    const wake = () => (me as unknown as { wake: () => void }).wake();
    let counter = 0;
    return {
      emit: <K extends ClientEventName>(name: K, payload: ClientEventMap[K]) => {
        me.events.push({ name, payload: payload as unknown as Record<string, unknown> });
        wake();
      },
      error: (kind, text) => {
        me.errors.push({ kind, text });
        wake();
      },
      queue: (obj, opts) => {
        const n = counter++;
        send(peer, () => {
          opts?.onSent?.(n);
          deliver(peer, obj);
        });
      },
      sendChunk: (id, index, data) => {
        const copy = Uint8Array.from(data);
        send(peer, () => peer.t.onChunk(id, index, copy));
        return Promise.resolve(true);
      },
      waitWritable: () => Promise.resolve(true),
      chunkWritten: (data) => {
        // As if the next frame were read into the same buffer at once: nothing may read it any more.
        data.fill(0xee);
        me.recycled++;
      },
      pauseReading: () => undefined,
      resumeReading: () => undefined,
      binaryBytesRead: () => 0,
      readingPauses: () => ({ count: 0, now: false }),
      downloadDir: me.dir,
      maxFileSize: 1 << 30,
      gzipLevel: 1,
      offerTimeoutMs: 60_000,
      stallTimeoutMs: 60_000,
      resumeKeepMs: 0,
    };
  };
  a.t = new Transfers(host(a, b));
  b.t = new Transfers(host(b, a));
  return { a, b, toB: (run) => send(b, run) };
}

/** `bytes` of random words: compresses about 3×, so gzip is chosen and the receiver gunzips. */
function words(bytes: number): Buffer {
  const vocabulary = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima"];
  const parts: string[] = [];
  for (let n = 0; n < bytes; ) {
    const w = vocabulary[Math.floor(Math.random() * vocabulary.length)]! + (Math.random() < 0.08 ? "\n" : " ");
    parts.push(w);
    n += w.length;
  }
  return Buffer.from(parts.join("").slice(0, bytes));
}

async function sourceFile(dir: string, bytes: number, compressible = false): Promise<{ file: string; data: Buffer }> {
  const data = compressible ? words(bytes) : randomBytes(bytes);
  const file = path.join(dir, compressible ? "source.txt" : "source.bin");
  await writeFile(file, data);
  return { file, data };
}

const tempLeft = async (dir: string) => (await readdir(dir)).filter((n) => n.startsWith(".pqchat"));

for (const compress of [false, true]) {
  test(`a file of several chunks goes from A to B whole (${compress ? "gzip" : "uncompressed"}), events in order on both sides`, async () => {
    const { a, b } = await link("yes-unverified");
    const { file, data } = await sourceFile(a.dir, (compress ? 12 : 2) * CHUNK_SIZE + 12345, compress);
    const meta = await a.t.offer(file, compress);
    assert.equal(meta.compressed, compress);
    await a.until(() => a.named("file_complete").length === 1);
    await b.until(() => b.named("file_received").length === 1);
    const received = b.named("file_received")[0]!;
    assert.equal(received["hash_ok"], true);
    assert.deepEqual(await readFile(String(received["path"])), data);
    assert.equal(b.recycled, meta.total_chunks, "every chunk's buffer was handed back once written, and scribbling over it changed nothing");
    const order = (e: End) => e.events.map((x) => x.name).filter((n) => n !== "file_progress");
    assert.deepEqual(order(a), ["file_offered", "file_accepted", "file_sent", "file_complete"]);
    assert.deepEqual(order(b), ["file_offer", "file_accepted", "file_received"]);
    assert.equal(b.named("file_offer")[0]!["auto"], "accept");
    const lastIn = b.named("file_progress").at(-1)!;
    assert.equal(lastIn["bytes"], meta.processed_size);
    assert.equal(lastIn["chunks"], meta.total_chunks);
    assert.deepEqual(a.t.list(), []);
    assert.deepEqual(b.t.list(), []);
    assert.equal(a.t.inProgress || b.t.inProgress || a.t.active || b.t.active, false);
    assert.deepEqual(await tempLeft(b.dir), []);
    assert.deepEqual([...a.errors, ...b.errors], []);
  });
}

test("a declined offer: the sender hears the reason and its prepared file is gone; the receiver keeps nothing", async () => {
  const { a, b } = await link("ask");
  const { file } = await sourceFile(a.dir, 1000);
  const meta = await a.t.offer(file, true);
  await b.until(() => b.named("file_offer").length === 1);
  assert.equal(b.named("file_offer")[0]!["auto"], null, "asked, not answered by the policy");
  assert.equal(b.t.list()[0]?.status, "offered");
  assert.equal(b.t.reject(meta.transfer_id, "User declined"), true);
  assert.equal(b.t.reject(meta.transfer_id, "again"), false);
  await a.until(() => a.named("file_rejected").length === 1);
  assert.deepEqual(a.named("file_rejected")[0], { transfer_id: meta.transfer_id, direction: "out", reason: "User declined" });
  assert.deepEqual(a.t.list(), []);
  await b.until(() => b.named("file_rejected").length === 1);
  assert.deepEqual(await tempLeft(b.dir), []);
});

test("the receiver goes away after accepting: its partial file is removed and it reports a connection error", async () => {
  const { a, b } = await link("ask");
  const { file } = await sourceFile(a.dir, 3 * CHUNK_SIZE);
  const meta = await a.t.offer(file, false);
  await b.until(() => b.named("file_offer").length === 1);
  await b.t.accept(meta.transfer_id);
  await b.until(() => b.named("file_accepted").length === 1);
  await b.t.failAll("Disconnected.");
  const failed = b.named("file_receive_failed");
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!["kind"], "connection_error");
  assert.equal(failed[0]!["error"], "Disconnected.");
  assert.deepEqual(b.t.list(), []);
  assert.deepEqual(await tempLeft(b.dir), [], "no .pqchat-* file left in the download directory");
  // Chunks still on their way are refused, not written.
  await b.until(() => b.errors.length > 0 || a.named("file_sent").length === 1);
  for (const e of b.errors) assert.equal(e.kind, "chunk_rejected");
  await a.t.failAll("Disconnected.");
});

test("a chunk outside the announced range ends the incoming transfer and tells the sender, who stops", async () => {
  const { a, b, toB } = await link("ask");
  const { file } = await sourceFile(a.dir, 2 * CHUNK_SIZE);
  const meta = await a.t.offer(file, false);
  await b.until(() => b.named("file_offer").length === 1);
  // A forged chunk with an index past the announced range, whatever real chunks arrived before it.
  void b.t.accept(meta.transfer_id);
  await b.until(() => b.named("file_accepted").length === 1);
  toB(() => b.t.onChunk(meta.transfer_id, meta.total_chunks + 5, new Uint8Array(10)));
  await b.until(() => b.named("file_receive_failed").length === 1);
  assert.equal(b.named("file_receive_failed")[0]!["kind"], "chunk_rejected");
  await a.until(() => a.named("file_rejected").length === 1 || a.named("file_send_failed").length === 1);
  assert.deepEqual(a.t.list(), [], "the sender's transfer ended");
  assert.deepEqual(await tempLeft(b.dir), []);
});
