// Unit tests of how the terminal shows client events (src/tui/event-views.ts)
// and of its yes/no questions (src/tui/questions.ts), through a recording
// view context; tui-session runs the real terminal client.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClientState } from "../src/client/api.js";
import type { ClientEventMap, ClientEventName } from "../src/client/events.js";
import { EVENT_VIEWS, type ViewContext } from "../src/tui/event-views.js";
import { isTerminalSafe } from "../src/present/sanitize.js";
import { palette } from "../src/tui/format.js";
import { PROMPT, QUESTION_PROMPT, Questions, verifyQuestionLines, yesNo } from "../src/tui/questions.js";
import { TransferList } from "../src/tui/transfers.js";

function harness(opts: { interactive?: boolean; leaving?: boolean; verified?: boolean | null } = {}) {
  const out: string[] = [];
  const calls: string[] = [];
  const ended: Array<[number, string[]]> = [];
  const v: ViewContext = {
    p: palette(false),
    interactive: opts.interactive ?? false,
    downloadDir: "/dl",
    transfers: new TransferList(),
    pending: new Set<string>(),
    leaving: () => opts.leaving ?? false,
    panicked: () => false,
    print: (lines) => void out.push(...lines),
    expire: (id) => void calls.push(`expire ${id}`),
    info: (t) => void out.push("* " + t),
    warn: (t) => void out.push("! " + t),
    alarm: (t) => void out.push("!! " + t),
    state: () => ({ verified: opts.verified === undefined ? true : opts.verified, settings: { accept_files: "ask" } }) as unknown as ClientState,
    askVerify: () => void calls.push("askVerify"),
    askRekey: () => void calls.push("askRekey"),
    dropQuestions: () => void calls.push("dropQuestions"),
    dropVerify: () => void calls.push("dropVerify"),
    askResume: (id) => void calls.push(`askResume ${id}`),
    end: (code, lines) => void ended.push([code, lines]),
  };
  const show = <K extends ClientEventName>(name: K, e: ClientEventMap[K]): void => (EVENT_VIEWS[name] as (e: ClientEventMap[K], v: ViewContext) => void)(e, v);
  return { out, calls, ended, v, show };
}

test("a peer's message: sanitised, continuation lines indented, unverified marked", () => {
  const h = harness();
  h.show("message", { text: "hi\x1b[2J\nsecond\u202eline", nickname: "eve\u200b", peer_key_verified: false, counter: 3, message_id: "m3", ephemeral: false });
  assert.equal(h.out.length, 2);
  assert.match(h.out[0]!, /^\d\d:\d\d eve<U\+200B> \[unverified\]: hi\^\[\[2J$/);
  assert.match(h.out[1]!, /^ +second<U\+202E>line$/);
  assert.ok(h.out.every(isTerminalSafe));
});

test("file offers: what to type to answer, in the download folder; sizes in KiB/MiB", () => {
  const h = harness();
  const info = { transfer_id: "0123456789abcdef", filename: "a.iso", file_size: 3 * 1024 * 1024, file_hash: "00", total_chunks: 1, compressed: false, processed_size: 1 };
  h.show("file_offer", { ...info, direction: "in", auto: null, peer_key_verified: true });
  assert.deepEqual(h.out, ['* the peer offers the file "a.iso" (3.0 MiB)', "  /accept 01234567 to receive it into /dl, /reject 01234567 to refuse"]);
  assert.ok(h.v.transfers.offers.has(info.transfer_id));
  h.show("file_accepted", { transfer_id: info.transfer_id, direction: "in" });
  assert.equal(h.v.transfers.transfers.get(info.transfer_id)?.status, "active");
  h.show("file_received", { transfer_id: info.transfer_id, direction: "in", path: "/dl/a.iso", size: info.file_size, blake2b: "00", hash_ok: true });
  assert.equal(h.out.at(-1), '* received "a.iso" (3.0 MiB, hash verified) -> /dl/a.iso');
  assert.equal(h.v.transfers.transfers.size, 0);
});

test("dropped frames in plain words, coalesced counts; other errors with their text", () => {
  const h = harness();
  h.show("error", { kind: "hmac_failed", text: "x", count: 1 });
  h.show("error", { kind: "replay", text: "x", count: 4 });
  h.show("error", { kind: "io_error", text: "disk\x07 full", count: 2 });
  assert.deepEqual(h.out, ["! dropped a frame: integrity check (HMAC) failed", "! dropped 4 frames: replayed (counter already seen)", "! disk^G full (2 times)"]);
});

test("disconnected ends the client (1 unless an emergency close), but not while it is leaving by choice", () => {
  const h = harness();
  h.show("disconnected", { reason: "Server closed" });
  h.show("disconnected", { reason: "", emergency: true });
  assert.deepEqual(h.ended, [
    [1, ["* disconnected: Server closed"]],
    [0, ["* disconnected"]],
  ]);
  const leaving = harness({ leaving: true });
  leaving.show("disconnected", { reason: "bye" });
  assert.deepEqual(leaving.ended, []);
});

test("questions: the key exchange asks, a reset drops them, a nickname ignored before verification is not news", () => {
  const h = harness({ verified: null });
  h.show("key_exchange_complete", { fingerprint: "f", words: [], fingerprint_sha256: "" });
  h.show("rekey_prompt", {});
  h.show("reset", { reason: "left" });
  h.show("nickname_ignored", { requested: "bob", reason: "not verified" });
  assert.deepEqual(h.calls, ["askVerify", "askRekey", "dropQuestions"]);
  assert.ok(!h.out.some((l) => l.includes("bob")));
  const verified = harness({ verified: true });
  verified.show("nickname_ignored", { requested: "bob", reason: "disabled" });
  assert.deepEqual(verified.out, ['* ignored the peer\'s nickname "bob": disabled']);
});

test("verified reconnect: a carried answer closes the question; a missing proof is said in red words", () => {
  const h = harness({ verified: null });
  h.show("key_exchange_complete", { fingerprint: "f", words: [], fingerprint_sha256: "" });
  h.show("verified", { verified: true, carried: true });
  assert.deepEqual(h.calls, ["askVerify", "dropVerify"]);
  assert.match(h.out.at(-1)!, /verified again automatically: the peer proved it is the one you verified/);
  h.show("verification_not_carried", { reason: "no_proof", text: "it may be someone else" });
  assert.equal(h.out.at(-1), "!! it may be someone else");
  // An interrupted transfer of ours is never sent to such a peer by itself: the user is asked.
  const info = { transfer_id: "0123456789abcdef", filename: "a.iso", file_size: 3 * 1024 * 1024, file_hash: "00", total_chunks: 3, compressed: false, processed_size: 3 * 1024 * 1024 };
  h.show("file_resumable", { ...info, direction: "out", bytes: 1024 * 1024 });
  assert.equal(h.calls.at(-1), "askResume 0123456789abcdef");
  h.show("file_offer", { ...info, direction: "in", auto: null, peer_key_verified: false, resume_from: 1024 * 1024 });
  assert.match(h.out.join("\n"), /offers the file "a\.iso" \(3\.0 MiB\) again, 1\.0 MiB of it already here/);
});

test("yes/no answers and the prompt while a question waits", () => {
  assert.deepEqual(["yes", " Y ", "n", "NO", "maybe", ""].map(yesNo), [true, true, false, false, null, null]);
  const prompts: string[] = [];
  const q = new Questions((p) => prompts.push(p));
  q.push({ kind: "verify", answer: () => undefined });
  q.push({ kind: "rekey", answer: () => undefined });
  q.drop("verify");
  assert.equal(q.first?.kind, "rekey");
  q.shift();
  assert.equal(q.first, undefined);
  assert.deepEqual(prompts, [QUESTION_PROMPT, PROMPT]);
});

test("the verification question: eight words in two rows, or the whole fingerprint in groups; peer text made safe", () => {
  const words = ["a", "b", "c", "d", "e", "f", "g", "h\x1b"];
  const lines = verifyQuestionLines(words, "0123456789abcdef".repeat(4), false, palette(false));
  assert.deepEqual(lines.slice(2, 4), ["    a b c d", "    e f g h^["]);
  const full = verifyQuestionLines(words, "0123456789ABCDEF".repeat(4), true, palette(false));
  assert.equal(full[2], "    0123 4567 89ab cdef 0123 4567 89ab cdef");
  assert.equal(full.at(-1), "Does every group match exactly? (yes/no)");
});
