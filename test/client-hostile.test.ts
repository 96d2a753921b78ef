// A hostile peer (test/helpers/hostile-peer.ts) paired with a real ClientCore
// through a real `pqchat server`: every attack must end in the exact error /
// file_receive_failed kind, never crash the client, never write outside the
// download directory, never leave temp files — and a normal text still arrives.
import assert from "node:assert/strict";
import { mkdir, readdir } from "node:fs/promises";
import * as net from "node:net";
import * as path from "node:path";
import { after, before, test } from "node:test";
import type { ClientEventMap } from "../src/client/events.js";
import { encodeFrame, toBytes } from "../src/protocol/index.js";
import { TestClient, newClient, pair, removeDir, startServer, tempDir, tempFilesIn, type ServerHandle } from "./helpers/client-harness.js";
import { HostilePeer } from "./helpers/hostile-peer.js";
import { MiB, hostilePair, nextWindow, rawOffer, type RawOffer } from "./helpers/hostile-pair.js";

// One relay for the file; every test pairs its own client with its own hostile
// peer in a room of their own, so no test depends on another's order or state.
let server: ServerHandle;

before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

const text = (t: string) => ({ type: 13, text: t });

interface Victim {
  c: TestClient;
  h: HostilePeer;
  dl: string;
  err(kind: string): Promise<ClientEventMap["error"]>;
  stillWorks(tag: string): Promise<void>;
  noTemps(): Promise<void>;
  acceptOf(id: string): ReturnType<HostilePeer["nextInner"]>;
}

/** A fresh client (accepting files from anyone) downloading into root/downloads, paired with a hostile peer; closed and removed after `body`. */
async function withVictim(body: (v: Victim) => Promise<void>): Promise<void> {
  const root = await tempDir("pqchat-hostile-");
  const dl = path.join(root, "downloads");
  await mkdir(dl);
  const p = await hostilePair(server, { acceptFiles: "yes-unverified" }, dl);
  const { c, h } = p;
  const v: Victim = {
    c,
    h,
    dl,
    err: (kind) => c.next("error", (e) => e.kind === kind),
    stillWorks: async (tag) => {
      await h.sendInner(text(`ok ${tag}`));
      assert.equal((await c.next("message", (m) => m.text === `ok ${tag}`)).text, `ok ${tag}`);
    },
    noTemps: async () => {
      assert.deepEqual(await tempFilesIn(dl), []);
      assert.deepEqual(await readdir(root), ["downloads"], "nothing written outside the download directory");
    },
    acceptOf: (id) => h.nextInner((m) => m["type"] === 21 && m["transfer_id"] === id),
  };
  try {
    await body(v);
  } finally {
    await p.close();
    await removeDir(root);
  }
}

test("before verification: extra inner fields are dropped; texts are marked unverified", async () => {
  await withVictim(async ({ c, h, err }) => {
    await h.sendInner({ type: 13, text: "sneaky", extra: 1 });
    assert.match((await err("unexpected_inner_field")).text, /type 13/);
    await h.sendInner(text("plain"));
    const m = await c.next("message", (x) => x.text === "plain");
    assert.equal(m.peer_key_verified, false);
    c.core.verify(true);
    await h.nextPlain((o) => o["type"] === 62 && o["verified"] === true);
  });
});

test("forged HMAC, replay, tampered ciphertext, huge and out-of-window counters, odd plaintexts", async () => {
  await withVictim(async ({ c, h, err, stillWorks }) => {
    await stillWorks("first"); // a delivered text, replayed below
    const delivered = h.sentWires.at(-1)!;
    await h.send(HostilePeer.tamper(h.encrypt(text("forged")), "verification"));
    await err("hmac_failed");
    await h.send(delivered); // the delivered text again
    await err("replay");
    await h.send(HostilePeer.tamper(h.encrypt(text("tampered")), "ciphertext"));
    await err("decrypt_failed");
    await h.send(h.forgeCounter(2 ** 40));
    await err("out_of_window");
    await h.send(h.forgeCounter(c.core.state().peer_counter + 5000));
    await err("out_of_window");
    await h.send(h.forgeCounter(2 ** 60));
    await err("malformed");
    await h.sendInner({ type: 99, text: "what" });
    await err("unknown_type");
    await h.sendInner(toBytes("¯\\_(ツ)_/¯")); // the GUI emoticon quirk: not JSON
    await err("malformed");
    await h.sendInner(toBytes("[1, 2]"));
    await err("malformed");
    await h.sendInner({ type: 30, rate: 44100, chunk_size: 441, audio_format: 8 });
    await c.next("voice_call_rejected");
    await h.nextInner((m) => m["type"] === 32);
    for (const e of c.errors()) assert.ok(!/forged|tampered|what/.test(e.text), "no content in error texts");
    await stillWorks("crypto");
  });
});

test("rate limit (6th frame in a second dropped) and the 8,192-byte rule", async () => {
  await withVictim(async ({ c, h, err, stillWorks }) => {
    await nextWindow();
    const before = c.occurrences("rate_limited");
    for (let i = 0; i < 8; i++) await h.sendInner(text(`burst ${i}`), true);
    for (let i = 0; i < 5; i++) await c.next("message", (m) => m.text === `burst ${i}`);
    // Coalesced notices: their counts add up to the three drops.
    assert.equal((await c.occurrencesReach("rate_limited", before + 3)) - before, 3);
    assert.equal(c.log.filter((e) => e.name === "message" && /burst [567]/.test((e.payload as { text: string }).text)).length, 0);
    await h.sendInner(text("z".repeat(7000)));
    await err("oversize");
    await stillWorks("limits");
  });
});

test("hostile file names land inside the download directory under safe names", async () => {
  await withVictim(async ({ c, h, dl, noTemps, acceptOf }) => {
    const names = ["../../evil.txt", "/etc/passwd", "CON", "..\\..\\win.txt", "a/b/../../.bashrc", "nul.tar.gz"];
    const offers = await Promise.all(names.map((n, i) => rawOffer(n, Buffer.from(`pwn ${i}\n`))));
    for (const o of offers) await h.sendInner(o.meta);
    const got = [];
    for (const o of offers) {
      await acceptOf(o.meta.transfer_id);
      h.sendChunk(o.meta.transfer_id, 0, o.chunk(0));
      got.push(await c.next("file_received", (r) => r.transfer_id === o.meta.transfer_id));
    }
    const base = got.map((g) => path.basename(g.path));
    for (const g of got) assert.equal(path.dirname(g.path), dl);
    assert.deepEqual(base, ["evil.txt", "passwd", "_CON", "win.txt", "bashrc", "_nul.tar.gz"]);
    for (const o of offers) await h.nextInner((m) => m["type"] === 24 && m["transfer_id"] === o.meta.transfer_id);
    await noTemps();
  });
});

test("gzip bomb, file_size lies in both directions, chunk index out of range", async () => {
  await withVictim(async ({ c, h, stillWorks, noTemps, acceptOf }) => {
    const bomb = await rawOffer("bomb.txt", Buffer.alloc(32 * MiB), { compress: true, fileSize: 1000 });
    const body = Buffer.from("hello world ".repeat(1000));
    const big = await rawOffer("bigger.txt", body, { compress: true, fileSize: body.length + 100 });
    const small = await rawOffer("smaller.txt", body, { compress: true, fileSize: body.length - 100 });
    const range = await rawOffer("range.txt", Buffer.from("abc"));
    const cases: [RawOffer, string, number][] = [
      [bomb, "file_too_large", 0],
      [big, "hash_mismatch", 0],
      [small, "file_too_large", 0],
      [range, "chunk_rejected", 3],
    ];
    for (const [o] of cases) await h.sendInner(o.meta);
    for (const [o, kind, index] of cases) {
      await acceptOf(o.meta.transfer_id);
      h.sendChunk(o.meta.transfer_id, index, o.chunk(0));
      const f = await c.next("file_receive_failed", (x) => x.transfer_id === o.meta.transfer_id);
      assert.equal(f.kind, kind, `${o.meta.filename}`);
    }
    await noTemps();
    await stillWorks("files");
  });
});

test("duplicate chunks are ignored; chunks before accept are never written", async () => {
  await withVictim(async ({ c, h, err, stillWorks, noTemps, acceptOf }) => {
    const two = await rawOffer("two.dat", Buffer.alloc(MiB + 10, 7));
    await h.sendInner(two.meta);
    await acceptOf(two.meta.transfer_id);
    h.sendChunk(two.meta.transfer_id, 0, two.chunk(0));
    h.sendChunk(two.meta.transfer_id, 0, two.chunk(0));
    h.sendChunk(two.meta.transfer_id, 1, two.chunk(1));
    await err("chunk_rejected");
    const r = await c.next("file_received", (x) => x.transfer_id === two.meta.transfer_id);
    assert.equal(r.size, MiB + 10);

    c.core.setAcceptFiles("ask");
    const early = await rawOffer("early.txt", Buffer.from("unsolicited"));
    await h.sendInner(early.meta);
    await c.next("file_offer", (o) => o.transfer_id === early.meta.transfer_id);
    h.sendChunk(early.meta.transfer_id, 0, early.chunk(0));
    assert.match((await err("chunk_rejected")).text, /not accepted/);
    await noTemps();
    c.core.rejectFile(early.meta.transfer_id);
    await h.nextInner((m) => m["type"] === 22 && m["transfer_id"] === early.meta.transfer_id);
    c.core.setAcceptFiles("yes-unverified");
    await stillWorks("chunks");
  });
});

test("an endless stream of offers is bounded", async () => {
  await withVictim(async ({ c, h, stillWorks, noTemps }) => {
    c.core.setAcceptFiles("ask");
    const offers = await Promise.all(Array.from({ length: 12 }, (_, i) => rawOffer(`spam-${i}.txt`, Buffer.from(`spam ${i}`))));
    const before = c.occurrences("rate_limited");
    await h.sendInner(offers[0]!.meta);
    await c.next("file_offer");
    // Paced: a pending offer no longer lifts the limiter (only a transfer in progress does).
    for (const o of offers.slice(1)) await h.sendInner(o.meta);
    // Four refused offers, reported as coalesced notices whose counts add up to 4.
    assert.equal((await c.occurrencesReach("rate_limited", before + 4)) - before, 4);
    assert.match(c.errors("rate_limited").at(-1)!.text, /offers/);
    const pending = c.core.state().transfers.filter((t) => t.direction === "in");
    assert.equal(pending.length, 8);
    for (const t of pending) c.core.rejectFile(t.transfer_id);
    assert.equal(c.core.state().transfers.length, 0);
    c.core.setAcceptFiles("yes-unverified");
    await noTemps();
    await stillWorks("offers");
  });
});

test("a 100 MB length prefix from a hostile relay: oversize, disconnect, the client works afterwards", async () => {
  const fake = net.createServer((s) => {
    s.write(encodeFrame(toBytes('{"type": 41, "protocol_version": "6.0.1"}')));
    const hdr = Buffer.alloc(4);
    hdr.writeUInt32BE(100_000_000);
    s.write(Buffer.concat([hdr, Buffer.alloc(1000)]));
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
  const port = (fake.address() as net.AddressInfo).port;
  const x = await newClient("X");
  const y = await newClient("Y");
  // A relay of its own for the check afterwards: X and Y pair in its lobby.
  const s2 = await startServer();
  try {
    await x.core.connect({ host: "127.0.0.1", port });
    assert.match((await x.next("error", (e) => e.kind === "oversize")).text, /100000000/);
    await x.next("disconnected");
    await pair(s2, x, y);
    x.core.sendText("alive");
    assert.equal((await y.next("message")).text, "alive");
  } finally {
    fake.close();
    await Promise.all([x.close(), y.close()]);
    await Promise.all([s2.stop(), removeDir(x.downloadDir), removeDir(y.downloadDir)]);
  }
});
