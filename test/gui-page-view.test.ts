// What the page shows, from the model (src/gui/page/view.mts), without a
// browser: the wording rules of the header, the verification banner and
// dialog, disappearing messages and the offer note.
import assert from "node:assert/strict";
import { test } from "node:test";
import { initialModel } from "../src/gui/page/model.mjs";
import { reduce } from "../src/gui/page/reducer.mjs";
import { bannerView, composerView, ephemeralView, headerView, needsRender, nextTheme, offerNote, reconnectView, verifyDialogView } from "../src/gui/page/view.mjs";
import { event, run, secureModel } from "./helpers/gui-page-model.js";

test("the header: status by phase, the peer's name cleaned, buttons only where they work", () => {
  const fresh = headerView(initialModel());
  assert.equal(fresh.status, "Not connected");
  assert.equal(fresh.showEmergency, false);
  const m = run(secureModel(), [event({ name: "nickname", data: { nickname: "bo\u202eb", previous: null } })]).state;
  const h = headerView(m);
  assert.equal(h.status, "End-to-end encrypted");
  assert.equal(h.peerName, "bo<U+202E>b", "bidi overrides in a nickname are shown, not obeyed");
  assert.equal(h.avatar, "B");
  assert.equal(h.showVerify && h.showRekey && h.showDisconnect && h.showEmergency, true);
});

test("the peer's claim is worded as a claim; the pill follows only the user's own answer", () => {
  const claimed = run(secureModel(), [event({ name: "peer_verified", data: { verified: true } })]).state;
  assert.equal(headerView(claimed).pill, "Not verified");
  assert.equal(headerView(claimed).peerVerdict, "Peer says they verified you (not proof)");
  assert.match(verifyDialogView(claimed).peer, /This is not proof/);
  assert.equal(bannerView(claimed).shown, true, "the banner stays until the user says the words match");
  const mine = run(claimed, [event({ name: "verified", data: { verified: true } })]).state;
  assert.equal(headerView(mine).pill, "Verified");
  assert.equal(bannerView(mine).shown, false);
  const bad = run(claimed, [event({ name: "verified", data: { verified: false } })]).state;
  assert.deepEqual([bannerView(bad).shown, bannerView(bad).bad, headerView(bad).pill], [true, true, "Not trusted"]);
});

test("the verify dialog shows the eight words in two lines and the full hash grouped", () => {
  const v = verifyDialogView(secureModel());
  assert.deepEqual(v.line1, ["apple", "banana", "cherry", "delta"]);
  assert.deepEqual(v.line2, ["echo", "fox", "golf", "hotel"]);
  assert.ok(v.hex !== null && v.hex.join("").replace(/\s/g, "") === "ab".repeat(32));
  assert.equal(v.canAnswer, true);
});

test("disappearing messages: who turned them on, who may turn them off", () => {
  const byPeer = run(secureModel(), [event({ name: "ephemeral_mode", data: { mode: "GLOBAL", owner_id: "p", by_peer: true, seconds: 30 } })]).state;
  const e = ephemeralView(byPeer);
  assert.equal(e.locked, true);
  assert.match(e.banner, /turned on by your peer, only they can turn it off/);
  assert.match(e.banner, /vanishes 30 s after/);
  const local = run(secureModel(), [event({ name: "ephemeral_mode", data: { mode: "LOCAL", owner_id: null, by_peer: false, seconds: 30 } })]).state;
  assert.equal(ephemeralView(local).locked, false);
  assert.match(ephemeralView(local).banner, /^Disappearing messages are on in this window/);
  assert.equal(ephemeralView(initialModel()).bannerShown, false);
});

test("the composer works only in a secure session; the offer note warns about an unverified peer", () => {
  assert.equal(composerView(initialModel()).enabled, false);
  assert.equal(composerView(secureModel()).enabled, true);
  assert.match(offerNote(secureModel()), /^Careful: you have not verified this peer yet/);
  const verified = run(secureModel(), [event({ name: "verified", data: { verified: true } })]).state;
  assert.equal(offerNote(verified), "From Peer. It will be saved in your downloads folder.");
});

test("a step that only adds log lines needs no redraw of the fixed parts", () => {
  const m = secureModel();
  const msg = reduce(m, event({ name: "message", data: { text: "hi", nickname: null, peer_key_verified: true, counter: 1, message_id: "m1", ephemeral: false } })).state;
  assert.equal(needsRender(m, msg), false);
  const v = reduce(m, event({ name: "verified", data: { verified: true } })).state;
  assert.equal(needsRender(m, v), true);
});

test("the theme button cycles through every theme", () => {
  assert.deepEqual([nextTheme("auto"), nextTheme("light"), nextTheme("dark"), nextTheme("contrast")], ["light", "dark", "contrast", "auto"]);
});

test("reconnecting: the banner counts down from the event's time, the composer stays open, and the end of it closes both", () => {
  const lost = run(secureModel(), [
    event({ name: "disconnected", data: { reason: "The server closed the connection.", reconnect: true } }),
    event({ name: "reconnecting", data: { attempt: 2, max_attempts: 20, delay_ms: 1500, reason: "Cannot connect" } }, 1_000_000),
  ]).state;
  assert.equal(lost.session.phase, "reconnecting");
  assert.equal(lost.view, "chat", "the conversation stays");
  assert.deepEqual(reconnectView(lost, 1_000_000), { shown: true, text: "Connection lost. Reconnecting in 2 s (attempt 2 of 20)" });
  assert.deepEqual(reconnectView(lost, 1_000_600), { shown: true, text: "Connection lost. Reconnecting in 1 s (attempt 2 of 20)" });
  assert.deepEqual(reconnectView(lost, 1_001_600), { shown: true, text: "Connection lost. Reconnecting… (attempt 2 of 20)" });
  assert.equal(composerView(lost).enabled, true, "messages written now are held and sent later");
  assert.match(composerView(lost).placeholder, /sent when the session is back/);
  const gaveUp = run(lost, [event({ name: "reconnect_failed", data: { attempts: 2, reason: "Cannot connect", canceled: false } })]).state;
  assert.equal(reconnectView(gaveUp, 1_000_000).shown, false);
  assert.equal(gaveUp.session.phase, "disconnected");
  assert.equal(composerView(gaveUp).enabled, false);
  const back = run(lost, [event({ name: "connected", data: { host: "h", port: 1, room: null } })]).state;
  assert.equal(reconnectView(back, 1_000_000).shown, false);
});
