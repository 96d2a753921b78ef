// Two `pqchat chat --json` processes talking through a real `pqchat server`
// over loopback. The scenarios use separate rooms of one server and run
// concurrently (every message costs a 250 ms send tick).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { JsonChat, sharedRelay, tempDir } from "./helpers/cli-proc.js";

const relay = sharedRelay();

/** Spawns a (initiator: it waits alone first) and b in `room`. */
async function pair(room: string, a: { args?: string[]; cwd?: string }, b: { args?: string[]; cwd?: string }) {
  const pa = new JsonChat([`127.0.0.1:${relay.server.port}`, "--room", room, ...(a.args ?? [])], a.cwd ? { cwd: a.cwd } : {});
  relay.procs.push(pa);
  await pa.next("waiting_for_peer");
  const pb = new JsonChat([`127.0.0.1:${relay.server.port}`, "--room", room, ...(b.args ?? [])], b.cwd ? { cwd: b.cwd } : {});
  relay.procs.push(pb);
  return { a: pa, b: pb };
}

function assertSeq(p: JsonChat): void {
  assert.deepEqual(p.badLines, []);
  p.events().forEach((e, i) => assert.equal(e.seq, i + 1));
}

describe("two JSON clients through pqchat server", { concurrency: true }, () => {
  test("handshake, verification both ways, texts, nick, state, emergency close, reconnect", async () => {
    const { a, b } = await pair("session", { args: ["--nick", "alice"] }, {});
    assert.equal((await a.next("key_exchange_started")).role, "initiator");
    assert.equal((await b.next("key_exchange_started")).role, "responder");
    const [ka, kb] = await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
    assert.equal(ka.fingerprint, kb.fingerprint);
    assert.deepEqual(ka.words, kb.words);
    assert.equal((ka.words as string[]).length, 8);
    assert.equal(ka.fingerprint, (ka.words as string[]).join(" "));
    const sv = await a.next("server_version");
    assert.equal(sv.compatibility, "same");

    // Verification both ways.
    await a.ok("verify", { answer: true });
    assert.equal((await a.next("verified")).verified, true);
    assert.equal((await b.next("peer_verified")).verified, true);
    await b.ok("verify", { answer: true });
    assert.equal((await b.next("verified")).verified, true);
    assert.equal((await a.next("peer_verified")).verified, true);

    // Text both ways, Unicode and emoji exactly preserved; sent and delivered.
    const t1 = "Grüße aus Köln 👋🏽 👨‍👩‍👧‍👦 日本語 עברית \u202e ok";
    const s1 = await a.ok("send", { text: t1 });
    assert.equal(typeof s1.message_id, "string");
    const m1 = await b.next("message", { text: t1 });
    assert.equal(m1.peer_key_verified, true);
    const sent = await a.next("sent", { message_id: s1.message_id });
    const delivered = await a.next("delivered", { message_id: s1.message_id });
    assert.equal(delivered.counter, sent.counter);
    const t2 = "line one\nline two 🎉\ttabbed";
    const s2 = await b.ok("send", { text: t2 });
    assert.equal((await a.next("message", { text: t2 })).peer_key_verified, true);
    await b.next("delivered", { message_id: s2.message_id });

    // Rekey started by b, with text before and after; both sides see started/done.
    const fr = a.mark();
    await b.ok("send", { text: "before rekey" });
    await b.ok("rekey");
    await b.ok("send", { text: "after rekey" });
    assert.equal((await a.next("rekey_started", {}, { from: fr })).role, "responder");
    assert.equal((await b.next("rekey_started")).role, "initiator");
    await Promise.all([a.next("rekey_done", {}, { from: fr }), b.next("rekey_done")]);
    await a.next("message", { text: "before rekey" }, { from: fr });
    await a.next("message", { text: "after rekey" }, { from: fr });

    // Nickname (honoured: a verified b).
    await b.ok("nick", { name: "bobby" });
    const nk = await a.next("nickname", { nickname: "bobby" });
    assert.equal(nk.previous, null);
    await b.ok("send", { text: "named now" });
    assert.equal((await a.next("message", { text: "named now" })).nickname, "bobby");

    // state: in cmd_ok and as an event.
    const from = a.mark();
    const st = (await a.ok("state")).state as Record<string, unknown>;
    assert.equal(st.phase, "secure");
    assert.equal(st.role, "initiator");
    assert.equal(st.verified, true);
    assert.equal(st.peer_verified, true);
    assert.equal(st.peer_nickname, "bobby");
    assert.equal(st.nickname, "alice");
    assert.equal(st.fingerprint, ka.fingerprint);
    assert.ok((st.message_counter as number) >= 1);
    assert.equal((await a.next("state", {}, { from })).peer_nickname, "bobby");

    // Emergency close from a: b sees emergency_close + disconnected; both processes stay up.
    const fromA = a.mark();
    const fromB = b.mark();
    await a.ok("emergency_close");
    assert.equal((await a.next("disconnected", {}, { from: fromA })).emergency, true);
    await b.next("emergency_close", {}, { from: fromB });
    await b.next("disconnected", {}, { from: fromB });
    assert.equal(((await a.ok("state")).state as Record<string, unknown>).phase, "disconnected");
    assert.equal(a.proc.exitCode, null);
    assert.equal(b.proc.exitCode, null);

    // A new session on both: new fingerprint.
    const fa = a.mark();
    const fb = b.mark();
    await a.ok("connect", { host: "127.0.0.1", port: relay.server.port, room: "session" });
    await a.next("waiting_for_peer", {}, { from: fa });
    await b.ok("connect", { host: "127.0.0.1", port: relay.server.port, room: "session" });
    const [k2a, k2b] = await Promise.all([a.next("key_exchange_complete", {}, { from: fa }), b.next("key_exchange_complete", {}, { from: fb })]);
    assert.equal(k2a.fingerprint, k2b.fingerprint);
    assert.notEqual(k2a.fingerprint, ka.fingerprint);
    // Unverified now (a new session needs a new answer): texts still flow, marked unverified.
    await a.ok("verify", { answer: false });
    await b.ok("verify", { answer: false });
    await a.ok("send", { text: "again" });
    assert.equal((await b.next("message", { text: "again" }, { from: fb })).peer_key_verified, false);
    // An unverified peer's rekey is a prompt, answered with rekey_answer.
    assert.equal((await b.command("rekey_answer", { accept: true })).event, "cmd_error", "nothing to answer yet");
    await a.ok("rekey");
    await b.next("rekey_prompt", {}, { from: fb });
    await b.ok("rekey_answer", { accept: true });
    await Promise.all([a.next("rekey_done", {}, { from: fa }), b.next("rekey_done", {}, { from: fb })]);
    await b.ok("send", { text: "after the second rekey" });
    await a.next("message", { text: "after the second rekey" }, { from: fa });

    await Promise.all([a.ok("quit"), b.ok("quit")]);
    assert.equal((await a.next("exit")).code, 0);
    assert.equal((await b.next("exit")).code, 0);
    assert.equal((await a.waitExit()).code, 0);
    assert.equal((await b.waitExit()).code, 0);
    assertSeq(a);
    assertSeq(b);
  });

  test("files: accept (relative path, hash checked, on disk), reject, accept_files policy", async () => {
    const srcA = tempDir();
    const dlA = tempDir();
    const dlB = tempDir();
    try {
      const text = Buffer.from("pqchat file transfer test line\n".repeat(40000)); // ~1.2 MB, compressible
      const random = randomBytes(1_500_000); // two chunks
      writeFileSync(join(srcA.path, "notes.txt"), text);
      writeFileSync(join(srcA.path, "noise.bin"), random);
      writeFileSync(join(dlB.path, "back.bin"), random.subarray(0, 4000));
      const { a, b } = await pair(
        "files",
        { args: ["--download-dir", dlA.path], cwd: srcA.path },
        { args: ["--download-dir", dlB.path], cwd: dlB.path },
      );
      await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
      await Promise.all([a.ok("verify", { answer: true }), b.ok("verify", { answer: true })]);

      // Offer with a path relative to a's working directory; b accepts.
      const off = await a.ok("file", { path: "notes.txt" });
      assert.equal(off.filename, "notes.txt");
      assert.equal(off.file_size, text.length);
      assert.equal(off.compressed, true);
      assert.ok((off.processed_size as number) < text.length);
      for (const k of ["transfer_id", "file_hash", "total_chunks"]) assert.ok(off[k] !== undefined, k);
      const offer = await b.next("file_offer", { transfer_id: off.transfer_id });
      assert.equal(offer.direction, "in");
      assert.equal(offer.filename, "notes.txt");
      assert.equal(offer.file_hash, off.file_hash);
      assert.equal(offer.file_size, text.length);
      await b.ok("accept", { transfer_id: off.transfer_id });
      assert.equal((await a.next("file_accepted", { transfer_id: off.transfer_id })).direction, "out");
      const prog = await b.next("file_progress", { transfer_id: off.transfer_id, direction: "in" });
      assert.equal(typeof prog.bytes, "number");
      assert.equal(typeof prog.rate, "number");
      const rec = await b.next("file_received", { transfer_id: off.transfer_id });
      assert.equal(rec.hash_ok, true);
      assert.equal(rec.direction, "in");
      assert.equal(rec.path, join(dlB.path, "notes.txt"));
      assert.equal(rec.size, text.length);
      assert.ok(readFileSync(rec.path as string).equals(text));
      await a.next("file_sent", { transfer_id: off.transfer_id });
      await a.next("file_complete", { transfer_id: off.transfer_id, direction: "out" });

      // Offer, b rejects with a reason; nothing lands on disk.
      const off2 = await a.ok("file", { path: join(srcA.path, "noise.bin"), compress: false });
      assert.equal(off2.compressed, false);
      assert.equal(off2.total_chunks, 2);
      await b.next("file_offer", { transfer_id: off2.transfer_id });
      await b.ok("reject", { transfer_id: off2.transfer_id, reason: "not now" });
      const rej = await a.next("file_rejected", { transfer_id: off2.transfer_id });
      assert.equal(rej.direction, "out");
      assert.equal(rej.reason, "not now");

      // a accepts everything by policy; b sends a file back (absolute path from its cwd).
      await a.ok("accept_files", { value: true });
      const off3 = await b.ok("file", { path: "back.bin" });
      await a.next("file_offer", { transfer_id: off3.transfer_id });
      const rec3 = await a.next("file_received", { transfer_id: off3.transfer_id });
      assert.equal(rec3.hash_ok, true);
      assert.ok(readFileSync(rec3.path as string).equals(random.subarray(0, 4000)));
      await b.next("file_complete", { transfer_id: off3.transfer_id });

      // Unknown transfer ids are refused.
      assert.equal((await b.command("accept", { transfer_id: "nope" })).event, "cmd_error");
      assert.equal((await a.command("file", { path: "does-not-exist.bin" })).event, "cmd_error");

      await Promise.all([a.ok("quit"), b.ok("quit")]);
      assert.equal((await a.waitExit()).code, 0);
      assert.equal((await b.waitExit()).code, 0);
      assert.deepEqual(readdirSync(dlB.path).sort(), ["back.bin", "notes.txt"], "no noise.bin, no temp files");
      assert.deepEqual(readdirSync(dlA.path), ["back.bin"]);
      assertSeq(a);
      assertSeq(b);
    } finally {
      srcA.remove();
      dlA.remove();
      dlB.remove();
    }
  });
});
