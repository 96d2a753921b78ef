// Which endings are followed by an automatic reconnect (src/client/reconnect-policy.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { retryable } from "../src/client/reconnect-policy.js";
import { ServerText } from "../src/protocol/control.js";
import { Reason } from "../src/server/notices.js";

test("what time can fix is retried", () => {
  assert.equal(retryable({ kind: "lost" }), true);
  assert.equal(retryable({ kind: "full" }), true);
  for (const reason of [
    ServerText.shuttingDown,
    ServerText.keepaliveTimeout,
    ServerText.defaultDisconnect,
    Reason.exchangeTimeout,
    Reason.frameTimeout,
    Reason.evicted,
    Reason.waitedTooLong,
    Reason.tooManyWaiting,
    Reason.unroutable,
    "a reason this client does not know",
  ]) {
    assert.equal(retryable({ kind: "server", reason }), true, reason);
  }
});

test("what the user chose, and what a new connection would only repeat, is not", () => {
  assert.equal(retryable({ kind: "left" }), false);
  assert.equal(retryable({ kind: "emergency" }), false);
  assert.equal(retryable({ kind: "fatal" }), false);
  for (const reason of [Reason.invalidRoom, Reason.frameTooLarge(1024), ServerText.tooManyUnexpected + ServerText.unexpectedDuringExchange]) {
    assert.equal(retryable({ kind: "server", reason }), false, reason);
  }
});
