// The pqchat-peer marker and the waits it lets two pqchat clients skip
// (src/client/peer-features.ts, src/client/pacing.ts), with real clients and a
// reference-style raw peer through a real `pqchat server`:
// * the marker is the session's first dummy, dummy-shaped (708 bytes, only
//   fields a reference peer's allow-list takes, WIRE-NOTES §12.3);
// * between two pqchat clients a small file travels from `sendFile` to
//   `file_received` with both send ticks stopped: nothing on that path waits
//   for a tick;
// * to a reference-style peer (no marker) FILE_METADATA still waits for the
//   tick, while FILE_ACCEPT, which arrives during the peer's own bypass
//   (WIRE-NOTES §12.2), does not.
// "Ticks stopped" is Sender.start(an hour): the next tick is an hour away.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import { after, before, test } from "node:test";
import type { ClientParts } from "../src/client/parts.js";
import { PQCHAT_PEER_MARKER_TYPE, pyjson, unexpectedInnerField } from "../src/protocol/index.js";
import { TestClient, newClient, pair, removeDir, startServer, type ServerHandle } from "./helpers/client-harness.js";
import { hostilePair, rawOffer } from "./helpers/hostile-pair.js";

const HOUR = 3_600_000;
const partsOf = (c: TestClient): ClientParts => (c.core as unknown as { parts: ClientParts }).parts;

/** Waits (bounded) until `cond` holds; the marker has no event of its own. */
async function until(cond: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let server: ServerHandle;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

test("the marker is a session's first dummy, shaped like one; a reference-style peer gets FILE_METADATA only at a tick, FILE_ACCEPT at once", async () => {
  const p = await hostilePair(server, { acceptFiles: true });
  try {
    const { c, h } = p;
    c.core.verify(true);
    await c.next("verified");
    const marker = await h.nextInner((m) => m["type"] === PQCHAT_PEER_MARKER_TYPE);
    assert.equal(h.inner.filter((m) => m["type"] === 12).length, 0, "no dummy before the marker");
    assert.equal(pyjson(marker).length, 708, "the size of every dummy's inner plaintext (WIRE-NOTES §12.5)");
    assert.equal(unexpectedInnerField(marker), null, "only fields a reference peer takes before verification");
    assert.equal(Buffer.from(marker["data"] as string, "base64").length, 512);
    await h.nextInner((m) => m["type"] === 12); // then ordinary dummies
    // (A message that arrived while awaited stays in h.inner; one taken from it does not.)
    assert.equal(h.inner.filter((m) => m["type"] === PQCHAT_PEER_MARKER_TYPE && m !== marker).length, 0, "one marker per session");
    assert.equal(partsOf(c).peerFeatures.peerIsPqchat, false, "this peer sent no marker");

    partsOf(c).sender.start(HOUR);
    const file = path.join(p.dl, "offer.bin");
    await writeFile(file, randomBytes(1000));
    const offered = c.core.sendFile(file, { compress: false });
    await c.next("file_offered");
    // Its own offer to us is answered at once: that peer is in its bypass while the offer is pending.
    const theirs = await rawOffer("theirs.bin", randomBytes(2000));
    await h.sendInner(theirs.meta);
    const accept = await h.nextInner((m) => m["type"] === 21);
    assert.equal(accept["transfer_id"], theirs.meta.transfer_id);
    assert.equal(h.inner.filter((m) => m["type"] === 20).length, 0, "our FILE_METADATA still waits for the tick");

    partsOf(c).sender.start(0);
    const meta = await h.nextInner((m) => m["type"] === 20);
    assert.equal(meta["transfer_id"], (await offered).transfer_id);
  } finally {
    await p.close();
  }
});

test("between two pqchat clients a 100 KB file needs no send tick from `sendFile` to `file_received`", async () => {
  const a = await newClient("A", { acceptFiles: true });
  const b = await newClient("B", { acceptFiles: true });
  try {
    await pair(server, a, b, { room: `t${randomBytes(6).toString("hex")}` });
    await until(() => partsOf(a).peerFeatures.peerIsPqchat && partsOf(b).peerFeatures.peerIsPqchat, "both markers");
    for (const c of [a, b]) partsOf(c).sender.start(HOUR);
    const file = path.join(a.downloadDir, "small.bin");
    await writeFile(file, randomBytes(100_000));
    const info = await a.core.sendFile(file);
    const got = await b.next("file_received", (r) => r.transfer_id === info.transfer_id);
    assert.equal(got.hash_ok, true);
    await a.next("file_accepted", (x) => x.transfer_id === info.transfer_id);
  } finally {
    for (const c of [a, b]) {
      await c.close();
      await removeDir(c.downloadDir);
    }
  }
});
