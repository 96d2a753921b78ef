// SPEC rows against a real client core through a real `pqchat server`, with a
// raw peer (test/helpers/hostile-peer.ts) on the other side:
// * SPEC §11.2 / WIRE-NOTES §12.1 step 5: a plaintext frame with a field
//   outside its type's allow-list is dropped (and reported) — a
//   KEY_VERIFICATION and an ENCRYPTED_MESSAGE with one extra field; the same
//   message without it is then accepted (the dropped one was never decrypted:
//   its counter is still unused).
// * SPEC §12.2 / WIRE-NOTES §12.5: dummy traffic pauses while a file transfer
//   is in progress (from the receiver's FILE_ACCEPT to its FILE_COMPLETE) and
//   resumes after.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { parseJsonObject, pyjson, toBytes } from "../src/protocol/index.js";
import { TestClient, startServer, type ServerHandle } from "./helpers/client-harness.js";
import { hostilePair, type HostilePair } from "./helpers/hostile-pair.js";
import type { HostilePeer } from "./helpers/hostile-peer.js";

let server: ServerHandle;
let pair: HostilePair;
let dir: string;
let c: TestClient;
let h: HostilePeer;

before(async () => {
  server = await startServer();
  pair = await hostilePair(server, {});
  ({ c, h, dl: dir } = pair);
  c.core.verify(true);
  await c.next("verified");
});

after(async () => {
  await pair.close();
  await server.stop();
});

test("outer allow-list: a KEY_VERIFICATION or ENCRYPTED_MESSAGE with an extra field is dropped; without it, accepted", async () => {
  await h.send(toBytes(pyjson({ type: 62, verified: true, note: "hi" })));
  assert.match((await c.next("error", (e) => e.kind === "unexpected_field")).text, /type 62 message with an unexpected field/);
  assert.equal(c.count("peer_verified"), 0);
  await h.send(toBytes(pyjson({ type: 62, verified: true })));
  assert.equal((await c.next("peer_verified")).verified, true);

  const wire = h.encrypt({ type: 13, text: "only once" });
  const o = parseJsonObject(wire)!;
  await h.send(toBytes(pyjson({ ...o, padding: "x" })));
  assert.match((await c.next("error", (e) => e.kind === "unexpected_field")).text, /type 10 message with an unexpected field/);
  await h.send(wire);
  assert.equal((await c.next("message", (m) => m.text === "only once")).text, "only once");
  assert.equal(c.count("message"), 1, "the extra-field copy was not delivered");
  assert.deepEqual(c.errors("replay"), [], "the dropped copy never took the counter");
});

test("dummy traffic pauses while a transfer is in progress and resumes after FILE_COMPLETE", async () => {
  const isDummy = (m: Record<string, unknown>): boolean => m["type"] === 12;
  await h.nextInner(isDummy); // dummies flow before
  const file = path.join(dir, "three-chunks.bin");
  await writeFile(file, Buffer.alloc(3 * 1024 * 1024 + 5, 7));
  const sending = c.core.sendFile(file, { compress: false });
  const meta = await h.nextInner((m) => m["type"] === 20);
  const id = meta["transfer_id"] as string;
  await h.sendInner({ type: 21, transfer_id: id });
  await h.binaryCount(1); // the sender has our FILE_ACCEPT: the transfer is in progress
  const from = h.inner.length;
  await h.binaryCount(4);
  // A bounded observation window with the transfer still open (we have not sent FILE_COMPLETE):
  // at the 250 ms tick, six ticks would each have carried a dummy.
  await new Promise((r) => setTimeout(r, 1500));
  const during = h.inner.slice(from).filter(isDummy).length;
  assert.equal(during, 0, `${during} dummies while the transfer was in progress`);
  await h.sendInner({ type: 24, transfer_id: id });
  await sending;
  await c.next("file_sent");
  const after = h.inner.length;
  await h.nextInner((m) => isDummy(m) && h.inner.indexOf(m) >= after);
});
