// The relay's rule for each frame of a registered client (src/server/frame-policy.ts,
// WIRE-NOTES §11), hardened against the reference's bugs (WIRE-NOTES §15.2).
import assert from "node:assert/strict";
import { test } from "node:test";
import { MessageType, SERVER_CONTROL_TYPES } from "../src/protocol/constants.js";
import { ServerText } from "../src/protocol/control.js";
import type { Classified } from "../src/server/classify.js";
import { frameAction } from "../src/server/frame-policy.js";
import { Reason } from "../src/server/notices.js";

const typed = (type: number): Classified => ({ kind: "typed", type });
const DURING = { do: "unexpected", suffix: ServerText.unexpectedDuringExchange };
const AFTER = { do: "unexpected", suffix: Reason.unexpectedAfterExchange };

test("before the exchange completes only the two key-exchange frames pass; types 1 and 3 and unparsable frames are counted", () => {
  assert.deepEqual(frameAction(typed(MessageType.KEY_EXCHANGE_INIT), false, false), { do: "key-exchange", type: MessageType.KEY_EXCHANGE_INIT });
  assert.deepEqual(frameAction(typed(MessageType.KEY_EXCHANGE_RESPONSE), false, false), { do: "key-exchange", type: MessageType.KEY_EXCHANGE_RESPONSE });
  for (const t of [MessageType.INITIATE_KEY_EXCHANGE, MessageType.KEY_EXCHANGE_RESET, MessageType.ENCRYPTED_MESSAGE, MessageType.FILE_CHUNK]) {
    assert.deepEqual(frameAction(typed(t), false, false), DURING, `type ${t}`);
  }
  assert.deepEqual(frameAction({ kind: "opaque" }, false, false), DURING);
  assert.deepEqual(frameAction({ kind: "malformed" }, false, false), DURING);
});

test("after the exchange everything is relayed but server-control types, JOIN and malformed JSON", () => {
  assert.deepEqual(frameAction(typed(MessageType.ENCRYPTED_MESSAGE), true, false), { do: "relay" });
  assert.deepEqual(frameAction({ kind: "opaque" }, true, false), { do: "relay" });
  assert.deepEqual(frameAction({ kind: "malformed" }, true, false), AFTER);
  assert.deepEqual(frameAction(typed(MessageType.JOIN), true, false), AFTER);
  for (const t of SERVER_CONTROL_TYPES) {
    if (t === MessageType.KEEP_ALIVE_RESPONSE || t === MessageType.CLIENT_DISCONNECT) continue;
    assert.deepEqual(frameAction(typed(t), true, false), AFTER, `server-control type ${t}`);
  }
});

test("KEY_VERIFICATION is relayed only after the exchange", () => {
  assert.deepEqual(frameAction(typed(MessageType.KEY_VERIFICATION), true, false), { do: "relay" });
  assert.deepEqual(frameAction(typed(MessageType.KEY_VERIFICATION), false, false), { do: "unexpected", suffix: ServerText.verificationBeforeExchange });
});

test("a keepalive answer counts only when a probe is outstanding; CLIENT_DISCONNECT always ends the client", () => {
  assert.deepEqual(frameAction(typed(MessageType.KEEP_ALIVE_RESPONSE), true, true), { do: "keepalive-answered" });
  assert.deepEqual(frameAction(typed(MessageType.KEEP_ALIVE_RESPONSE), false, true), { do: "keepalive-answered" });
  assert.deepEqual(frameAction(typed(MessageType.KEEP_ALIVE_RESPONSE), true, false), { do: "unexpected", suffix: ServerText.keepaliveWithoutRequest });
  for (const complete of [false, true]) assert.deepEqual(frameAction(typed(MessageType.CLIENT_DISCONNECT), complete, false), { do: "disconnect" });
});
