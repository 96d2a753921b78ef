// The client's per-frame inbound rules (src/client/inbound.ts; WIRE-NOTES
// §12.1–12.3): the fixed one-second window of the rate limiter on an injected
// clock, the 8,192-byte rule, JSON-or-chunk classification with the outer
// allow-list, the small-frame pre-classification that lets server control
// frames skip the limiter, and the inner allow-list before verification.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RATE_LIMIT_FRAMES, RateLimiter, checkInner, classifyFrame, classifySmall, isServerControl, oversizeUnbypassed } from "../src/client/inbound.js";
import { MAX_UNBYPASSED_FRAME, MessageType, pyjson, toBytes } from "../src/protocol/index.js";

const json = (s: string): Uint8Array => toBytes(s);

test("rate limiter: the sixth frame in a window is dropped; a new window starts a full second after the last start", () => {
  let t = 5000;
  const lim = new RateLimiter(RATE_LIMIT_FRAMES, 1000, () => t);
  for (let i = 0; i < 5; i++) assert.equal(lim.allow(), true, `frame ${i + 1}`);
  assert.equal(lim.allow(), false, "the sixth in the window");
  t += 999;
  assert.equal(lim.allow(), false, "still the same window");
  t += 1;
  assert.equal(lim.allow(), true, "a new window, counted from now");
  for (let i = 0; i < 4; i++) assert.equal(lim.allow(), true);
  assert.equal(lim.allow(), false);
  lim.reset();
  assert.equal(lim.allow(), true, "reset opens a fresh window");
});

test("8,192-byte rule: a frame of exactly the limit passes, one byte more is dropped outside bypass", () => {
  assert.equal(MAX_UNBYPASSED_FRAME, 8192);
  assert.equal(oversizeUnbypassed(8192), false);
  assert.equal(oversizeUnbypassed(8193), true);
});

test("classification: binary is a chunk candidate; JSON must be an object with a known type and only its allowed outer fields", () => {
  assert.equal(classifyFrame(new Uint8Array([0x00, 0x01])).kind, "chunk");
  assert.equal(classifyFrame(new Uint8Array(0)).kind, "chunk");
  const drop = (s: string) => {
    const c = classifyFrame(json(s));
    assert.equal(c.kind, "drop", s);
    return c.kind === "drop" ? c.error : null;
  };
  assert.equal(drop("{not json"), "malformed");
  assert.equal(drop('{"no_type": 1}'), "malformed");
  assert.equal(drop('{"type": 9999}'), "unknown_type");
  assert.equal(drop('{"type": 62, "verified": true, "extra": 1}'), "unexpected_field");
  const ok = classifyFrame(json('{"type": 62, "verified": true}'));
  assert.equal(ok.kind, "json");
  assert.equal(ok.kind === "json" && ok.type, MessageType.KEY_VERIFICATION);
  // The reference converts the outer type with int(): a numeric string counts (WIRE-NOTES §14 erratum 26).
  const str = classifyFrame(json('{"type": "62", "verified": false}'));
  assert.equal(str.kind === "json" && str.type, 62);
});

test("small JSON frames are classified before the limiter; server control types are recognised, peer types are not", () => {
  const keepAlive = classifySmall(toBytes(pyjson({ type: MessageType.KEEP_ALIVE })));
  assert.equal(keepAlive?.kind, "json");
  assert.equal(isServerControl(keepAlive), true);
  assert.equal(isServerControl(classifySmall(toBytes(pyjson({ type: MessageType.KEY_VERIFICATION, verified: true })))), false);
  assert.equal(classifySmall(new Uint8Array(100)), null, "binary: classified after the limiter");
  assert.equal(classifySmall(json(`{"type": 10, "ciphertext": "${"A".repeat(600)}"}`)), null, "large JSON: after the limiter");
  assert.equal(isServerControl(null), false);
});

test("inner messages: a JSON object with a type; before the local user verified the peer, only allow-listed fields", () => {
  const inner = (o: Record<string, unknown>) => toBytes(JSON.stringify(o));
  const notJson = checkInner(toBytes(":-)"), false);
  assert.equal(notJson.ok === false && notJson.error, "malformed");
  const noType = checkInner(inner({ text: "x" }), true);
  assert.equal(noType.ok === false && noType.error, "malformed");
  const extra = { type: MessageType.TEXT_MESSAGE, text: "hi", colour: "red" };
  const before = checkInner(inner(extra), false);
  assert.equal(before.ok === false && before.error, "unexpected_inner_field");
  const after = checkInner(inner(extra), true);
  assert.equal(after.ok && after.type, MessageType.TEXT_MESSAGE);
  const allowed = checkInner(inner({ type: MessageType.TEXT_MESSAGE, text: "hi" }), false);
  assert.equal(allowed.ok, true);
  // The same answers for the text a session already decoded: leading whitespace is refused as in bytes.
  for (const text of [' {"type": 13, "text": "hi"}', ":-)", '{"text": "x"}', ""]) {
    const fromText = checkInner(text, true);
    assert.deepEqual(fromText, checkInner(toBytes(text), true), JSON.stringify(text));
    assert.equal(fromText.ok, false, JSON.stringify(text));
  }
  assert.deepEqual(checkInner('{"type": 13, "text": "hi"}', false), allowed);
});
