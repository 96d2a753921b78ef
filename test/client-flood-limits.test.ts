// Flood protection and transfer deadlines (src/client/flood-limits.ts): only a
// transfer in progress (accepted, chunks flowing) lifts the 5-per-second limit
// and the 8,192-byte rule (SPEC §11.1); offers and stalled transfers expire on
// both sides. A real ClientCore against a hostile peer or a second real client,
// through a real `pqchat server`.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { newClient, pair, removeDir, startServer, tempFilesIn, type ServerHandle } from "./helpers/client-harness.js";
import { MiB, hostilePair, nextWindow, rawOffer } from "./helpers/hostile-pair.js";

let server: ServerHandle;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

const text = (t: string) => ({ type: 13, text: t });
const isMsg = (re: RegExp) => (e: { name: string; payload: unknown }) => e.name === "message" && re.test((e.payload as { text: string }).text);

test("one unanswered offer does not switch the limiter and the size rule off", async () => {
  const p = await hostilePair(server, { acceptFiles: "ask" });
  try {
    const { c, h } = p;
    const o = await rawOffer("pending.bin", Buffer.alloc(10, 1));
    await h.sendInner(o.meta);
    await c.next("file_offer", (x) => x.transfer_id === o.meta.transfer_id);
    await nextWindow();
    // Unverified peer, offer left pending: 30 small and 30 texts of 100 kB at full speed.
    for (let i = 0; i < 30; i++) await h.sendInner(text(`small ${i}`), true);
    for (let i = 0; i < 30; i++) await h.sendInner(text(`big ${i} ${"x".repeat(100_000)}`), true);
    await nextWindow();
    await h.sendInner(text("sentinel"));
    await c.next("message", (m) => m.text === "sentinel");
    const small = c.log.filter(isMsg(/^small /)).length;
    const big = c.log.filter(isMsg(/^big /)).length;
    assert.ok(small <= 5, `at most 5 frames per second get through (got ${small} small texts)`);
    assert.equal(big, 0, "texts over 8,192 bytes are dropped outside a transfer in progress");
    assert.equal(c.core.state().transfers.find((t) => t.transfer_id === o.meta.transfer_id)?.status, "offered");
  } finally {
    await p.close();
  }
});

test("a transfer in progress lifts the limits, and they return when it ends", async () => {
  const p = await hostilePair(server, { acceptFiles: "ask" });
  try {
    const { c, h } = p;
    const o = await rawOffer("two.bin", Buffer.alloc(MiB + 10, 7));
    await h.sendInner(o.meta);
    await c.next("file_offer", (x) => x.transfer_id === o.meta.transfer_id);
    c.core.acceptFile(o.meta.transfer_id);
    await h.nextInner((m) => m["type"] === 21 && m["transfer_id"] === o.meta.transfer_id);
    h.sendChunk(o.meta.transfer_id, 0, o.chunk(0));
    await h.sendInner(text(`during ${"y".repeat(20_000)}`), true);
    await c.next("message", (m) => m.text.startsWith("during "));
    h.sendChunk(o.meta.transfer_id, 1, o.chunk(1));
    await c.next("file_received", (x) => x.transfer_id === o.meta.transfer_id);
    await nextWindow();
    await h.sendInner(text(`after ${"z".repeat(20_000)}`), true);
    await c.next("error", (e) => e.kind === "oversize");
    await h.sendInner(text("sentinel"));
    await c.next("message", (m) => m.text === "sentinel");
    assert.equal(c.log.filter(isMsg(/^after /)).length, 0);
  } finally {
    await p.close();
  }
});

test("an unanswered incoming offer expires; the peer is told", async () => {
  const p = await hostilePair(server, { acceptFiles: "ask", offerTimeoutMs: 1500 });
  try {
    const { c, h } = p;
    const o = await rawOffer("late.bin", Buffer.alloc(100, 2));
    await h.sendInner(o.meta);
    await c.next("file_offer", (x) => x.transfer_id === o.meta.transfer_id);
    const e = await c.next("file_expired", (x) => x.transfer_id === o.meta.transfer_id);
    assert.equal(e.direction, "in");
    assert.equal(e.reason, "offer");
    assert.match(e.text, /not answered within 1\.5 seconds/);
    const rej = await h.nextInner((m) => m["type"] === 22 && m["transfer_id"] === o.meta.transfer_id);
    assert.equal(rej["reason"], "Offer expired");
    assert.throws(() => c.core.acceptFile(o.meta.transfer_id), /No pending file offer/);
    assert.deepEqual(c.core.state().transfers, []);
  } finally {
    await p.close();
  }
});

test("an accepted transfer whose chunks stop ends on both sides and leaves no temp file", async () => {
  const p = await hostilePair(server, { acceptFiles: "ask", transferStallMs: 1500 });
  try {
    const { c, h, dl } = p;
    const o = await rawOffer("stall.bin", Buffer.alloc(2 * MiB + 10, 3));
    await h.sendInner(o.meta);
    await c.next("file_offer", (x) => x.transfer_id === o.meta.transfer_id);
    c.core.acceptFile(o.meta.transfer_id);
    await h.nextInner((m) => m["type"] === 21 && m["transfer_id"] === o.meta.transfer_id);
    h.sendChunk(o.meta.transfer_id, 0, o.chunk(0));
    await c.next("file_progress", (x) => x.transfer_id === o.meta.transfer_id);
    // ... and nothing more.
    const e = await c.next("file_expired", (x) => x.transfer_id === o.meta.transfer_id);
    assert.equal(e.reason, "stalled");
    assert.equal(e.direction, "in");
    const rej = await h.nextInner((m) => m["type"] === 22 && m["transfer_id"] === o.meta.transfer_id);
    assert.equal(rej["reason"], "Transfer stalled");
    assert.deepEqual(await tempFilesIn(dl), []);
    // No longer in progress: the size rule is back.
    await nextWindow();
    await h.sendInner(text(`after ${"z".repeat(20_000)}`), true);
    await c.next("error", (x) => x.kind === "oversize");
  } finally {
    await p.close();
  }
});

test("an outgoing offer nobody answers is withdrawn; a pqchat receiver is told", async () => {
  const a = await newClient("A", { offerTimeoutMs: 1500 });
  const b = await newClient("B", { acceptFiles: "ask" });
  try {
    await pair(server, a, b, { room: "flood-offer-out" });
    const file = path.join(a.downloadDir, "offer.txt");
    await writeFile(file, "hello");
    const info = await a.core.sendFile(file);
    await b.next("file_offer", (x) => x.transfer_id === info.transfer_id);
    const e = await a.next("file_expired", (x) => x.transfer_id === info.transfer_id);
    assert.equal(e.direction, "out");
    assert.equal(e.reason, "offer");
    const f = await b.next("file_receive_failed", (x) => x.transfer_id === info.transfer_id);
    assert.match(f.error, /withdrew the offer/);
    assert.deepEqual(b.core.state().transfers, []);
  } finally {
    await a.close();
    await b.close();
    await removeDir(a.downloadDir);
    await removeDir(b.downloadDir);
  }
});

