// The paced sender (src/client/sender.ts; WIRE-NOTES §12.5, §13): one item per
// tick, rekey items first, only rekey items while outgoing traffic is held,
// dummies only when nothing waits, auto replies capped, the counter handed to
// onSent in the same step, and sendSoon (KEY_VERIFICATION) never closer than
// one interval to the previous frame. Asserted on order and state, never on
// wall time: waits are for the sender's own calls into its hooks.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MAX_AUTO_QUEUED, Sender, dummyInner } from "../src/client/sender.js";
import { MAX_SAFE_INNER_PLAINTEXT, MAX_UNBYPASSED_FRAME, MessageType, fromUtf8, parseJsonObject, pyjson, toBytes } from "../src/protocol/index.js";
import { sessionPair } from "./helpers/session-pair.js";

const text = (t: string): Uint8Array => toBytes(pyjson({ type: MessageType.TEXT_MESSAGE, text: t }));

// The client's timers and worker threads are unref'd (they must never keep a
// process alive); this keeps the test process alive while a test waits on them.
const keepAlive = setInterval(() => undefined, 60_000);
after(() => clearInterval(keepAlive));

/** A sender whose hooks record every frame and every tick. */
class Rig {
  readonly sent: string[] = [];
  ready = true;
  hold = false;
  dummies = false;
  ticks = 0;
  private counter = 0;
  private waiters: (() => void)[] = [];
  readonly sender: Sender;

  constructor(tickMs = 20) {
    this.sender = new Sender(
      {
        ready: () => {
          this.ticks++;
          this.wake();
          return this.ready;
        },
        hold: () => this.hold,
        dummiesAllowed: () => this.dummies,
        sendInner: (inner) => {
          const obj = parseJsonObject(inner)!;
          const label = obj["type"] === MessageType.DUMMY_MESSAGE ? "dummy" : String(obj["text"]);
          this.sent.push(label);
          this.wake();
          return this.counter++;
        },
      },
      tickMs,
    );
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((r) => this.waiters.push(r));
  }

  push(label: string, opts: { rekey?: boolean; auto?: boolean; onSent?: (counter: number) => void } = {}): boolean {
    return this.sender.push({ inner: text(label), ...opts });
  }
}

test("one item per tick in queue order; rekey items jump ahead of waiting items, behind earlier rekey items", async () => {
  const r = new Rig();
  r.push("a");
  r.push("b");
  r.push("r1", { rekey: true });
  r.push("c");
  r.push("r2", { rekey: true });
  assert.equal(r.sender.length, 5);
  r.sender.start(0);
  await r.until(() => r.sent.length === 5);
  r.sender.stop();
  assert.deepEqual(r.sent, ["r1", "r2", "a", "b", "c"]);
  assert.ok(r.ticks >= 5, "one frame per tick at most");
});

test("while outgoing traffic is held only rekey items leave, and no dummy; the rest follows the release", async () => {
  const r = new Rig();
  r.hold = true;
  r.dummies = true;
  r.push("a");
  r.push("r1", { rekey: true });
  r.sender.start(0);
  await r.until(() => r.sent.length === 1);
  const at = r.ticks;
  await r.until(() => r.ticks >= at + 3);
  assert.deepEqual(r.sent, ["r1"], "three more ticks while held: nothing else left");
  r.hold = false;
  await r.until(() => r.sent.length === 3);
  r.sender.stop();
  assert.deepEqual(r.sent, ["r1", "a", "dummy"]);
});

test("nothing is sent while the session is not ready (the quiet second after COMPLETE)", async () => {
  const r = new Rig();
  r.ready = false;
  r.dummies = true;
  r.push("a");
  r.sender.start(0);
  await r.until(() => r.ticks >= 3);
  assert.deepEqual(r.sent, []);
  r.ready = true;
  await r.until(() => r.sent.length === 1);
  r.sender.stop();
  assert.deepEqual(r.sent, ["a"]);
});

test("onSent gets the item's counter in the same step that encrypted it", async () => {
  const r = new Rig();
  const seen: [string, number, string | undefined][] = [];
  for (const label of ["x", "y"]) r.push(label, { onSent: (counter) => seen.push([label, counter, r.sent.at(-1)]) });
  r.sender.start(0);
  await r.until(() => seen.length === 2);
  r.sender.stop();
  // The last frame handed to sendInner when onSent runs is the item itself.
  assert.deepEqual(seen, [
    ["x", 0, "x"],
    ["y", 1, "y"],
  ]);
});

test("automatic replies are capped while waiting; the cap frees as they leave; user items are never refused", async () => {
  const r = new Rig();
  for (let i = 0; i < MAX_AUTO_QUEUED; i++) assert.equal(r.push(`auto${i}`, { auto: true }), true);
  assert.equal(r.push("one too many", { auto: true }), false);
  assert.equal(r.push("user"), true);
  r.sender.start(0);
  await r.until(() => r.sent.length === 1);
  assert.equal(r.push("fits again", { auto: true }), true);
  r.sender.stop();
  assert.equal(r.sender.length, 0, "stop forgets every queued item");
  assert.equal(r.push("after stop", { auto: true }), true, "and resets the cap");
});

test("dummies fill idle ticks only when allowed, never ahead of a waiting item", async () => {
  const r = new Rig();
  r.push("a");
  r.sender.start(0);
  await r.until(() => r.sent.length === 1);
  const at = r.ticks;
  await r.until(() => r.ticks >= at + 2);
  assert.deepEqual(r.sent, ["a"], "no dummies while not allowed");
  r.dummies = true;
  await r.until(() => r.sent.length === 2);
  r.push("b");
  await r.until(() => r.sent.includes("b"));
  r.sender.stop();
  assert.deepEqual(r.sent.slice(0, 2), ["a", "dummy"]);
  assert.equal(r.sent.filter((s) => s !== "dummy").join(), "a,b");
});

test("sendSoon right after a frame waits for the next tick slot and goes ahead of the queue (latest call wins)", async () => {
  const r = new Rig();
  const soon: string[] = [];
  // Called the moment "a" left (its onSent): less than one interval since our last frame.
  r.push("a", {
    onSent: () => {
      r.sender.sendSoon(() => (soon.push("first"), true));
      r.sender.sendSoon(() => {
        soon.push("verification");
        r.sent.push("verification");
        return true;
      });
      assert.deepEqual(soon, [], "not written at once");
    },
  });
  r.push("b");
  r.sender.start(0);
  await r.until(() => r.sent.length === 3);
  r.sender.stop();
  assert.deepEqual(r.sent, ["a", "verification", "b"]);
  assert.deepEqual(soon, ["verification"]);
});

test("sendSoon once a full interval passed since the last frame writes at once; before start it writes at once", async () => {
  const idle = new Rig();
  let written = false;
  idle.sender.sendSoon(() => (written = true));
  assert.equal(written, true, "not running: at once");

  const r = new Rig();
  r.push("a");
  r.sender.start(0);
  await r.until(() => r.sent.length === 1);
  r.ready = false;
  // Two more ticks: each comes a full interval after the one before, so one interval has passed since "a".
  const at = r.ticks;
  await r.until(() => r.ticks >= at + 2);
  let now = false;
  r.sender.sendSoon(() => (now = true));
  r.sender.stop();
  assert.equal(now, true);
});

test("8,192-byte rule (WIRE-NOTES §13): a dummy and the longest safe text, encrypted, fit a frame a reference peer takes outside bypass", () => {
  const { initiator } = sessionPair();
  const dummy = dummyInner();
  assert.equal(dummy.length, 708, "512 random bytes, base64, in the dummy's JSON");
  assert.ok(initiator.encrypt(dummy).wire.length <= MAX_UNBYPASSED_FRAME);
  // The longest text sendText lets through (MAX_SAFE_INNER_PLAINTEXT bytes of inner JSON).
  const overhead = text("").length;
  const longest = text("x".repeat(MAX_SAFE_INNER_PLAINTEXT - overhead));
  assert.equal(longest.length, MAX_SAFE_INNER_PLAINTEXT);
  assert.ok(initiator.encrypt(longest).wire.length <= MAX_UNBYPASSED_FRAME);
  assert.equal(fromUtf8(longest).length, MAX_SAFE_INNER_PLAINTEXT);
  initiator.destroy();
});
