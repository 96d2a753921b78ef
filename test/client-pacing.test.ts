// Which frames skip the 250 ms tick (src/client/pacing.ts) and how the paced
// sender applies it (src/client/sender.ts): FILE_ACCEPT ("peer-bypass") leaves
// at once to any peer, FILE_METADATA and FILE_COMPLETE ("pqchat-peer") only
// to a peer that sent the pqchat marker, never more than one such frame per
// limiter window, never while held or ahead of a rekey item. Asserted on
// which frames the sender wrote before any tick could run (the tick here is an
// hour), never on wall time.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UNPACED_EVERY_MS, leavesAtOnce, type Unpaced } from "../src/client/pacing.js";
import { RATE_LIMIT_FRAMES, RATE_WINDOW_MS } from "../src/client/inbound.js";
import { Sender } from "../src/client/sender.js";
import { MessageType, SEND_INTERVAL_MS, parseJsonObject, pyjson, toBytes } from "../src/protocol/index.js";

const HOUR = 3_600_000;
const text = (t: string): Uint8Array => toBytes(pyjson({ type: MessageType.TEXT_MESSAGE, text: t }));

test("leavesAtOnce: peer-bypass always, pqchat-peer only to a pqchat peer, each at most once per limiter window", () => {
  const fresh = { sinceUnpacedMs: Infinity, peerIsPqchat: false };
  assert.equal(leavesAtOnce(undefined, { ...fresh, peerIsPqchat: true }), false, "ordinary items wait for the tick");
  assert.equal(leavesAtOnce("peer-bypass", fresh), true);
  assert.equal(leavesAtOnce("pqchat-peer", fresh), false, "a reference peer counts it, and the server's frames too");
  assert.equal(leavesAtOnce("pqchat-peer", { ...fresh, peerIsPqchat: true }), true);
  for (const cls of ["peer-bypass", "pqchat-peer"] as Unpaced[]) {
    assert.equal(leavesAtOnce(cls, { sinceUnpacedMs: UNPACED_EVERY_MS - 1, peerIsPqchat: true }), false, `${cls}: one per window`);
    assert.equal(leavesAtOnce(cls, { sinceUnpacedMs: UNPACED_EVERY_MS, peerIsPqchat: true }), true);
  }
});

test("the budget keeps a limiter at its limit: four ticks and one unpaced frame per window", () => {
  assert.equal(UNPACED_EVERY_MS, RATE_WINDOW_MS);
  // Ticks are at least one interval apart, so a window holds at most this many of them.
  const ticksPerWindow = Math.ceil(RATE_WINDOW_MS / SEND_INTERVAL_MS);
  assert.ok(ticksPerWindow + 1 <= RATE_LIMIT_FRAMES, `${ticksPerWindow} ticks + 1 unpaced frame fit the limit of ${RATE_LIMIT_FRAMES}`);
});

/** A sender whose tick never comes during the test: whatever it writes, it wrote outside the tick. */
function rig(opts: { pqchatPeer?: boolean } = {}) {
  const sent: string[] = [];
  const state = { hold: false, pqchat: opts.pqchatPeer ?? false, ready: true };
  const sender = new Sender(
    {
      ready: () => state.ready,
      hold: () => state.hold,
      dummiesAllowed: () => false,
      sendInner: (inner) => {
        sent.push(String(parseJsonObject(inner)!["text"]));
        return sent.length;
      },
      peerIsPqchat: () => state.pqchat,
    },
    HOUR,
  );
  sender.start(HOUR);
  return { sent, state, sender, push: (label: string, o: { unpaced?: Unpaced; rekey?: boolean; onSent?: (n: number) => void } = {}) => sender.push({ inner: text(label), ...o }) };
}

test("a reference peer (no marker): FILE_METADATA-class items wait for the tick, a FILE_ACCEPT-class item leaves at once", () => {
  const r = rig();
  r.push("metadata", { unpaced: "pqchat-peer" });
  r.push("plain");
  assert.deepEqual(r.sent, []);
  let counter = 0;
  r.push("accept", { unpaced: "peer-bypass", onSent: (n) => (counter = n) });
  assert.deepEqual(r.sent, ["accept"], "the accept overtook the waiting items, without a tick");
  assert.equal(counter, 1, "onSent got its counter in the same step");
  assert.equal(r.sender.length, 2);
  r.sender.stop();
});

test("a pqchat peer: the offer leaves at once; a second unpaced frame in the same window waits for the tick", () => {
  const r = rig({ pqchatPeer: true });
  r.push("metadata", { unpaced: "pqchat-peer" });
  r.push("complete", { unpaced: "pqchat-peer" });
  r.push("accept", { unpaced: "peer-bypass" });
  assert.deepEqual(r.sent, ["metadata"]);
  assert.equal(r.sender.length, 2, "the other two are queued for the tick");
  r.sender.stop();
});

test("never at once while outgoing traffic is held, ahead of a rekey item, or before the session may send", () => {
  const held = rig({ pqchatPeer: true });
  held.state.hold = true;
  held.push("accept", { unpaced: "peer-bypass" });
  assert.deepEqual(held.sent, []);
  held.sender.stop();

  const rekey = rig({ pqchatPeer: true });
  rekey.push("rekey", { rekey: true });
  rekey.push("accept", { unpaced: "peer-bypass" });
  assert.deepEqual(rekey.sent, [], "the rekey item goes first, at the tick");
  rekey.sender.stop();

  const quiet = rig({ pqchatPeer: true });
  quiet.state.ready = false;
  quiet.push("accept", { unpaced: "peer-bypass" });
  assert.deepEqual(quiet.sent, [], "the quiet second after COMPLETE");
  quiet.sender.stop();

  const stopped = new Sender({ ready: () => true, hold: () => false, dummiesAllowed: () => false, sendInner: () => assert.fail("not running: nothing is sent") }, HOUR);
  stopped.push({ inner: text("accept"), unpaced: "peer-bypass" });
  assert.equal(stopped.length, 1);
});
