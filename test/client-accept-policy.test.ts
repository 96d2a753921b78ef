// The standing policy for incoming files: "yes" (true) accepts automatically
// only from a peer the local user verified; "yes-unverified" from anyone.
// A real ClientCore and a hostile peer through a real `pqchat server`, and two
// real `pqchat chat --json` processes.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseChatArgs } from "../src/commands/chat.js";
import { cleanConfig } from "../src/gui/config.js";
import { startServer, type ServerHandle } from "./helpers/client-harness.js";
import { JsonChat, quitAll, tempDir } from "./helpers/cli-proc.js";
import { hostilePair, rawOffer } from "./helpers/hostile-pair.js";

let server: ServerHandle;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

const acceptOf = (id: string) => (m: Record<string, unknown>) => m["type"] === 21 && m["transfer_id"] === id;

test("accept_files yes: an unverified peer's offer is asked about; once verified, accepted automatically", async () => {
  const p = await hostilePair(server, { acceptFiles: true });
  try {
    const { c, h } = p;
    const first = await rawOffer("first.txt", Buffer.from("from a stranger"));
    await h.sendInner(first.meta);
    const o1 = await c.next("file_offer", (x) => x.transfer_id === first.meta.transfer_id);
    assert.equal(o1.auto, null, "not accepted automatically from an unverified peer");
    assert.equal(o1.peer_key_verified, false);

    c.core.verify(true);
    await h.nextPlain((o) => o["type"] === 62 && o["verified"] === true);
    const second = await rawOffer("second.txt", Buffer.from("from a verified peer"));
    await h.sendInner(second.meta);
    const o2 = await c.next("file_offer", (x) => x.transfer_id === second.meta.transfer_id);
    assert.equal(o2.auto, "accept");
    assert.equal(o2.peer_key_verified, true);
    await h.nextInner(acceptOf(second.meta.transfer_id));
    // Accepts leave in order: the first offer was never answered.
    assert.equal(h.inner.some(acceptOf(first.meta.transfer_id)), false);
    assert.equal(c.core.state().transfers.find((t) => t.transfer_id === first.meta.transfer_id)?.status, "offered");
    h.sendChunk(second.meta.transfer_id, 0, second.chunk(0));
    assert.equal((await c.next("file_received", (x) => x.transfer_id === second.meta.transfer_id)).hash_ok, true);
  } finally {
    await p.close();
  }
});

test("accept_files yes-unverified: accepted from a peer nobody verified", async () => {
  const p = await hostilePair(server, { acceptFiles: "yes-unverified" });
  try {
    const { c, h } = p;
    const o = await rawOffer("any.txt", Buffer.from("anyone"));
    await h.sendInner(o.meta);
    const e = await c.next("file_offer", (x) => x.transfer_id === o.meta.transfer_id);
    assert.equal(e.auto, "accept");
    assert.equal(e.peer_key_verified, false);
    await h.nextInner(acceptOf(o.meta.transfer_id));
  } finally {
    await p.close();
  }
});

test("the policy names: --accept-files, the JSON command and the GUI setting", () => {
  const dl = tempDir();
  try {
    assert.equal(parseChatArgs(["--accept-files", "yes", "--download-dir", dl.path])!.options.acceptFiles, true);
    assert.equal(parseChatArgs(["--accept-files", "yes-unverified", "--download-dir", dl.path])!.options.acceptFiles, "yes-unverified");
    assert.throws(() => parseChatArgs(["--accept-files", "always", "--download-dir", dl.path]), /yes, no, ask or yes-unverified/);
  } finally {
    dl.remove();
  }
  assert.equal(cleanConfig({ settings: { accept_files: "yes-unverified" } }).settings.accept_files, "yes-unverified");
  assert.equal(cleanConfig({ settings: { accept_files: "always" } }).settings.accept_files, "ask");
});

test("pqchat chat --json --accept-files yes asks about an unverified peer's file", async () => {
  const src = tempDir();
  const dl = tempDir();
  const room = "accept-policy";
  const a = new JsonChat([`127.0.0.1:${server.port}`, "--room", room], { cwd: src.path });
  let b: JsonChat | null = null;
  try {
    writeFileSync(join(src.path, "one.txt"), "one");
    writeFileSync(join(src.path, "two.txt"), "two");
    await a.next("waiting_for_peer");
    b = new JsonChat([`127.0.0.1:${server.port}`, "--room", room, "--accept-files", "yes", "--download-dir", dl.path]);
    await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
    await a.ok("verify", { answer: true });
    const one = await a.ok("file", { path: "one.txt" });
    const o1 = await b.next("file_offer", { transfer_id: one.transfer_id });
    assert.equal(o1.auto, null);
    assert.equal(o1.peer_key_verified, false);
    assert.equal((await b.command("accept_files", { value: "maybe" })).event, "cmd_error");
    await b.ok("accept_files", { value: "yes-unverified" });
    await b.ok("accept_files", { value: true });
    await b.ok("verify", { answer: true });
    await b.next("verified");
    const two = await a.ok("file", { path: "two.txt" });
    assert.equal((await b.next("file_offer", { transfer_id: two.transfer_id })).auto, "accept");
    assert.equal((await b.next("file_received", { transfer_id: two.transfer_id })).hash_ok, true);
    assert.equal(b.events("file_accepted").some((e) => e.transfer_id === one.transfer_id), false);
  } finally {
    await quitAll(a, ...(b ? [b] : []));
    src.remove();
    dl.remove();
  }
});
