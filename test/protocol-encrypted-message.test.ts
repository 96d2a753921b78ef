// The ENCRYPTED_MESSAGE codec (src/protocol/encrypted-message.ts,
// WIRE-NOTES §4.5, §6.4–6.6, §7 step 1).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8 } from "../src/protocol/bytes.js";
import { aadFor, encodeEncryptedMessage, hmacInputFor, parseEncryptedMessage } from "../src/protocol/encrypted-message.js";
import { SessionError } from "../src/protocol/errors.js";
import { parseJsonObject } from "../src/protocol/pyjson.js";

const NONCE = "Ur5sxwz2hjvgZrp7";
const EPH = "77eP5ZyQF1ahTocp5RkS29W620Jppko4ZP5/eWoV7nk=";

test("AAD and HMAC input: the exact bytes of WIRE-NOTES §6.4 and §6.5's examples", () => {
  assert.equal(fromUtf8(aadFor(10, 1, NONCE, EPH)), `{"type": 10, "counter": 1, "nonce": "${NONCE}", "dh_public_key": "${EPH}"}`);
  assert.equal(fromUtf8(hmacInputFor(1, NONCE, EPH)), `{"counter": 1, "nonce": "${NONCE}", "dh_public_key": "${EPH}"}`);
});

test("outer message: encoded in the reference's field order and parsed back", () => {
  const mac = Buffer.alloc(64, 1).toString("base64");
  const wire = encodeEncryptedMessage(3, NONCE, "AAAA", EPH, mac);
  assert.equal(fromUtf8(wire), `{"type": 10, "counter": 3, "nonce": "${NONCE}", "ciphertext": "AAAA", "dh_public_key": "${EPH}", "verification": "${mac}"}`);
  const m = parseEncryptedMessage(parseJsonObject(wire)!);
  assert.equal(m.counter, 3);
  assert.equal(m.nonceB64, NONCE);
  assert.equal(m.ephB64, EPH);
  assert.deepEqual([m.nonce.length, m.eph.length, m.mac.length, m.ciphertext.length], [12, 32, 64, 3]);
});

test("outer message: wrong types, lenient base64 and wrong sizes are malformed", () => {
  const good = { type: 10, counter: 1, nonce: NONCE, ciphertext: "AAAA", dh_public_key: EPH, verification: "AAAA" };
  const bad = [
    { ...good, counter: 0 },
    { ...good, counter: 1.5 },
    { ...good, counter: "1" },
    { ...good, nonce: undefined },
    { ...good, ciphertext: "AA A" },
    { ...good, nonce: "AAAA" },
    { ...good, dh_public_key: "AAAA" },
  ];
  for (const b of bad) {
    assert.throws(() => parseEncryptedMessage(b as never), (e: unknown) => e instanceof SessionError && e.kind === "malformed", JSON.stringify(b));
  }
});
