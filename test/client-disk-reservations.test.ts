// Free space is promised across incoming transfers (src/client/disk-reservations.ts):
// offers that fit one by one but not together — sized from the download
// folder's real free space (statfs) — are one accepted, one refused with a
// clear reason; the promise is released when a transfer ends. Nothing is
// written: accepting creates an empty temp file only.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { statfs } from "node:fs/promises";
import { after, before, test } from "node:test";
import { DiskReservations, InsufficientSpaceError } from "../src/client/disk-reservations.js";
import { startServer, tempFilesIn, type ServerHandle } from "./helpers/client-harness.js";
import { hostilePair } from "./helpers/hostile-pair.js";

let server: ServerHandle;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

/** An uncompressed offer of `size` bytes (the content is never sent). */
function bigOffer(name: string, size: number) {
  const hash = "ab".repeat(32);
  return {
    type: 20,
    transfer_id: randomBytes(8).toString("hex"),
    filename: name,
    file_size: size,
    file_hash: hash,
    total_chunks: Math.ceil(size / (1024 * 1024)),
    compressed: false,
    processed_size: size,
  };
}

test("two offers that together exceed the free space: the second is refused, and accepted once the first ends", async () => {
  const p = await hostilePair(server, { acceptFiles: "ask", maxFileSize: Number.MAX_SAFE_INTEGER });
  try {
    const { c, h, dl } = p;
    const fs = await statfs(dl);
    const size = Math.floor(fs.bavail * fs.bsize * 0.6);
    const one = bigOffer("one.bin", size);
    const two = bigOffer("two.bin", size + 1);
    const three = bigOffer("three.bin", size + 2);

    await h.sendInner(one);
    await c.next("file_offer", (x) => x.transfer_id === one.transfer_id);
    c.core.acceptFile(one.transfer_id);
    await h.nextInner((m) => m["type"] === 21 && m["transfer_id"] === one.transfer_id);

    await h.sendInner(two);
    await c.next("file_offer", (x) => x.transfer_id === two.transfer_id);
    c.core.acceptFile(two.transfer_id);
    const f = await c.next("file_receive_failed", (x) => x.transfer_id === two.transfer_id);
    assert.equal(f.kind, "insufficient_space");
    assert.match(f.error, /Not enough free space in .*: this file needs .*, a transfer in progress still needs .*, and .* is free\./);
    const rej = await h.nextInner((m) => m["type"] === 22 && m["transfer_id"] === two.transfer_id);
    assert.equal(typeof rej["reason"], "string");

    // The sender cancels the first: its promise is released, and the same size fits again.
    await h.sendInner({ type: 22, transfer_id: one.transfer_id, reason: "User canceled" });
    await c.next("file_receive_failed", (x) => x.transfer_id === one.transfer_id);
    await h.sendInner(three);
    await c.next("file_offer", (x) => x.transfer_id === three.transfer_id);
    c.core.acceptFile(three.transfer_id);
    await h.nextInner((m) => m["type"] === 21 && m["transfer_id"] === three.transfer_id);
    c.core.rejectFile(three.transfer_id);
    await c.next("file_rejected", (x) => x.transfer_id === three.transfer_id);
    assert.deepEqual(await tempFilesIn(dl), []);
  } finally {
    await p.close();
  }
});

test("reservations: what a transfer wrote is no longer promised; checks run one at a time", async () => {
  let free = 1000;
  const r = new DiskReservations("/dl", async () => free);
  let written = 0;
  await r.reserve("a", 600, () => written);
  assert.equal(r.committed, 600);
  // Two at once: only one of them fits.
  const results = await Promise.allSettled([r.reserve("b", 300, () => 0), r.reserve("c", 300, () => 0)]);
  assert.deepEqual(results.map((x) => x.status), ["fulfilled", "rejected"]);
  const refusal = (results[1] as PromiseRejectedResult).reason as Error;
  assert.ok(refusal instanceof InsufficientSpaceError);
  // Sizes in the views' one labelling (src/present/format-bytes.ts).
  assert.equal(refusal.message, "Not enough free space in /dl: this file needs 300 B, 2 transfers in progress still need 900 B, and 1000 B is free.");
  // "a" wrote 500 bytes: the disk has 500 less free, and "a" still needs 100.
  written = 500;
  free = 500;
  assert.equal(r.committed, 400);
  await r.reserve("d", 100, () => 0);
  r.release("a");
  r.release("b");
  r.release("d");
  assert.equal(r.committed, 0);
});
