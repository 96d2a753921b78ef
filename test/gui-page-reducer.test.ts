// The page's reducer (src/gui/page/reducer.mts) without a browser: the
// bridge's hello and events, and the user's actions, in; the next model and
// the effects out. The module is compiled without the DOM library here, so
// these tests also prove it touches no DOM.
import assert from "node:assert/strict";
import { test } from "node:test";
import { initialModel, type PageModel } from "../src/gui/page/model.mjs";
import { isCallEvent, reduce } from "../src/gui/page/reducer.mjs";
import type { PageEvent } from "../src/gui/page/wire.mjs";
import { event, hello, historyOf, pageState, run, SECURE, secureModel, sysLines, WORDS } from "./helpers/gui-page-model.js";

/** A deep copy that can be compared after a step (Maps as entry lists). */
function snapshot(m: PageModel): unknown {
  return JSON.parse(JSON.stringify({ ...m, files: [...m.files] }));
}

test("a hello while disconnected shows the connect form and fills it only the first time", () => {
  const first = reduce(initialModel(), { t: "hello", hello: hello() });
  assert.equal(first.state.view, "connect");
  assert.equal(first.state.helloSeen, true);
  assert.ok(first.effects.some((e) => e.k === "fill_connect_form"));
  const again = reduce(first.state, { t: "hello", hello: hello() });
  assert.ok(!again.effects.some((e) => e.k === "fill_connect_form"), "a second hello keeps what the user typed");
});

test("a session reaching the secure phase: phase, words, the verify dialog opened once", () => {
  const { state, effects } = run(reduce(initialModel(), { t: "hello", hello: hello() }).state, SECURE.map((e) => event(e)));
  assert.equal(state.view, "chat");
  assert.equal(state.session.phase, "secure");
  assert.deepEqual(state.session.words, WORDS);
  assert.equal(state.session.verified, null);
  assert.deepEqual(
    effects.filter((e) => e.k === "open"),
    [{ k: "open", dialog: "verify" }],
  );
  assert.deepEqual(sysLines(effects).slice(0, 1), ["Connected to 127.0.0.1:39000 (room “r”)."]);
});

test("a step never changes the model it was given", () => {
  const m = secureModel();
  const before = snapshot(m);
  for (const e of [
    { name: "file_offer", data: { transfer_id: "t1", filename: "a.txt", file_size: 10, file_hash: "h", total_chunks: 1, compressed: false, processed_size: 10, direction: "in", auto: null, peer_key_verified: false } },
    { name: "disconnected", data: { reason: "gone" } },
    { name: "ephemeral_mode", data: { mode: "GLOBAL", owner_id: null, by_peer: true, seconds: 30 } },
  ] satisfies PageEvent[]) {
    reduce(m, event(e));
  }
  reduce(m, { t: "emergency" });
  assert.deepEqual(snapshot(m), before);
});

test("the peer's verification claim changes only its own line; the user's answer decides", () => {
  let { state } = run(secureModel(), [event({ name: "peer_verified", data: { verified: true } })]);
  assert.equal(state.session.peer_verified, true);
  assert.equal(state.session.verified, null, "the peer's claim is not the user's comparison");
  ({ state } = run(state, [event({ name: "verified", data: { verified: false } })]));
  assert.equal(state.session.verified, false);
});

test("verified reconnect: a carried answer closes the verify dialog; a missing proof warns and alerts", () => {
  let { state, effects } = run(secureModel(), [event({ name: "verified", data: { verified: true, carried: true } })]);
  assert.equal(state.session.verified, true);
  assert.ok(effects.some((e) => e.k === "close" && e.dialogs.includes("verify")));
  assert.match(sysLines(effects).join("\n"), /Verified again automatically/);
  ({ state, effects } = run(secureModel(), [event({ name: "verification_not_carried", data: { reason: "no_proof", text: "it may be someone else" } })]));
  assert.equal(state.session.verified, null);
  assert.deepEqual(sysLines(effects), ["it may be someone else"]);
  assert.ok(effects.some((e) => e.k === "sys" && e.tone === "bad"));
  assert.ok(effects.some((e) => e.k === "alert"));
});

test("an interrupted transfer the peer did not prove it may continue: a warning with a button, never sent by itself", () => {
  const info = { transfer_id: "0123456789abcdef", filename: "a.bin", file_size: 9, file_hash: "00", total_chunks: 1, compressed: false, processed_size: 9 };
  const { effects } = run(secureModel(), [event({ name: "file_resumable", data: { ...info, direction: "out", bytes: 4 } })]);
  const line = effects.find((e) => e.k === "sys");
  assert.ok(line && line.k === "sys");
  assert.equal(line.tone, "warn");
  assert.deepEqual(line.action, { resume: info.transfer_id });
  assert.match(sysLines(effects).join(""), /not proved it is the one you verified before/);
  assert.ok(!effects.some((e) => e.k === "command"), "nothing is sent without the user's click");
});

test("an incoming offer is queued for the dialog, alerts, and leaves the queue when accepted", () => {
  const offer: PageEvent = {
    name: "file_offer",
    data: { transfer_id: "t1", filename: "report.pdf", file_size: 2048, file_hash: "h", total_chunks: 1, compressed: false, processed_size: 2048, direction: "in", auto: null, peer_key_verified: false },
  };
  const a = run(secureModel(), [event(offer)]);
  assert.deepEqual(a.state.offers, ["t1"]);
  assert.equal(a.state.files.get("t1")?.status, "offered");
  assert.equal(a.state.files.get("t1")?.left, "Waiting for your answer");
  assert.ok(a.effects.some((e) => e.k === "next_offer"));
  assert.ok(a.effects.some((e) => e.k === "alert" && e.kind === "offer"));
  const b = run(a.state, [event({ name: "file_accepted", data: { transfer_id: "t1", direction: "in" } })]);
  assert.deepEqual(b.state.offers, []);
  assert.equal(b.state.files.get("t1")?.status, "accepted");
  assert.deepEqual(
    b.effects.map((e) => e.k),
    ["close_offer", "next_offer"],
  );
});

test("progress draws percent, sizes, speed and time left; a finished transfer fills its bar", () => {
  const offered: PageEvent = {
    name: "file_offered",
    data: { transfer_id: "t2", filename: "b.bin", file_size: 1024, file_hash: "h", total_chunks: 1, compressed: false, processed_size: 1024, direction: "out" },
  };
  const { state } = run(secureModel(), [
    event(offered),
    event({ name: "file_progress", data: { transfer_id: "t2", direction: "out", bytes: 512, total: 1024, chunks: 0, total_chunks: 1, rate: 1_000_000, eta: 5 } }),
  ]);
  const e = state.files.get("t2")!;
  assert.equal(e.status, "transferring");
  assert.equal(e.left, "50% · 512 B of 1.0 KiB");
  assert.equal(e.right, "1.00 MB/s · 5 s left");
  assert.equal(e.done, 512);
  const done = run(state, [event({ name: "file_sent", data: { transfer_id: "t2", direction: "out" } }), event({ name: "file_complete", data: { transfer_id: "t2", direction: "out" } })]);
  const f = done.state.files.get("t2")!;
  assert.equal(f.status, "done");
  assert.equal(f.done, f.total);
  assert.equal(f.right, "");
  assert.deepEqual(sysLines(done.effects), ["b.bin (1.0 KiB) was delivered."]);
});

test("the same error within five seconds shows once; later it shows again", () => {
  const err = (now: number) => event({ name: "error", data: { kind: "replay", text: "A message was replayed.", count: 1 } }, now);
  const { effects } = run(secureModel(), [err(10_000), err(12_000), err(16_000)]);
  assert.deepEqual(sysLines(effects), ["A message was replayed.", "A message was replayed."]);
  const many = run(secureModel(), [event({ name: "error", data: { kind: "replay", text: "Bad frame.", count: 3 } })]);
  assert.deepEqual(sysLines(many.effects), ["Bad frame. (3 times)"]);
});

test("the emergency close sends the command first, wipes and returns to the connect form; the disconnect after it adds nothing", () => {
  const m = run(secureModel(), [event({ name: "message", data: { text: "hi", nickname: "bob", peer_key_verified: false, counter: 1, message_id: "m1", ephemeral: false } })]).state;
  const a = reduce(m, { t: "emergency" });
  assert.deepEqual(a.effects[0], { k: "command", cmd: { cmd: "emergency_close" } });
  assert.ok(a.effects.some((e) => e.k === "clear_log"));
  assert.equal(a.state.view, "connect");
  assert.equal(a.state.session.words, null);
  assert.match(a.state.connect.notice?.text ?? "", /^Emergency close sent/);
  const b = reduce(a.state, event({ name: "disconnected", data: { reason: "closed" } }));
  assert.deepEqual(sysLines(b.effects), []);
  assert.equal(b.state.selfEmergency, false);
  // Nothing to close: already disconnected on the connect form.
  assert.deepEqual(reduce(b.state, { t: "emergency" }).effects, []);
});

test("a page loaded mid-session replays the history at its times, without alerts or dialogs, and keeps the hello's state", () => {
  const events: PageEvent[] = [...SECURE, { name: "message", data: { text: "hello", nickname: "bob", peer_key_verified: false, counter: 1, message_id: "m1", ephemeral: false } }, { name: "verified", data: { verified: true } }];
  const h = hello({
    state: pageState({ phase: "secure", words: WORDS, verified: null, peer_nickname: "bob" }),
    history: [...historyOf(events), { name: "own_message", data: { text: "yo", message_id: "m1" }, at: 9000 }],
  });
  const { state, effects } = reduce(initialModel(), { t: "hello", hello: h });
  assert.equal(state.view, "chat");
  assert.equal(state.session.verified, null, "the hello's state wins over the replayed events");
  assert.ok(!effects.some((e) => e.k === "open" || e.k === "alert"));
  assert.deepEqual(
    effects.filter((e) => e.k === "clock").map((e) => (e.k === "clock" ? e.at : -1)),
    [5000, 5001, 5002, 5003, 5004, 9000, null],
  );
  const msg = effects.find((e) => e.k === "peer_message");
  assert.deepEqual(msg, { k: "peer_message", nick: "bob", text: "hello", unverified: true, ephemeral: false });
  assert.deepEqual(
    effects.find((e) => e.k === "own_message"),
    { k: "own_message", nick: "alice", text: "yo", messageId: "m1" },
  );
});

test("the peer leaving forgets what was bound to the keys but keeps the chat", () => {
  const m = run(secureModel(), [event({ name: "nickname", data: { nickname: "bob", previous: null } }), event({ name: "ephemeral_mode", data: { mode: "GLOBAL", owner_id: "x", by_peer: true, seconds: 30 } })]).state;
  assert.equal(m.ephemeralOwner, "peer");
  const { state, effects } = reduce(m, event({ name: "reset", data: { reason: "left" } }));
  assert.equal(state.view, "chat");
  assert.equal(state.session.peer_nickname, null);
  assert.equal(state.session.ephemeral_mode, "OFF");
  assert.equal(state.ephemeralOwner, null);
  assert.deepEqual(sysLines(effects), ["Your peer left. The session keys were wiped."]);
});

test("a local upload is an entry of its own until it ends", () => {
  const { state } = run(secureModel(), [
    { t: "upload_started", key: "upload-1", name: "x.png", size: 100 },
    { t: "upload_progress", key: "upload-1", loaded: 40, total: 100 },
  ]);
  assert.equal(state.files.get("upload-1")?.status, "uploading");
  assert.equal(state.files.get("upload-1")?.left, "Reading 40%");
  const done = run(state, [{ t: "upload_progress", key: "upload-1", loaded: 100, total: 100 }]).state;
  assert.equal(done.files.get("upload-1")?.left, "Preparing (hashing and compressing)…");
  assert.equal(reduce(done, { t: "upload_ended", key: "upload-1" }).state.files.has("upload-1"), false);
});

test("call events go to the call module, everything else to the reducer", () => {
  assert.equal(isCallEvent({ name: "call_ended", data: { reason: "hung_up", text: "x", duration_ms: null } }), true);
  assert.equal(isCallEvent({ name: "voice_call_rejected", data: { reason: "busy" } }), true);
  assert.equal(isCallEvent({ name: "message", data: { text: "x", nickname: null, peer_key_verified: true, counter: 1, message_id: "m1", ephemeral: false } }), false);
});
