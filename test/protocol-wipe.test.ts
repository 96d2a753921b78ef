// Key erasure (SPEC §17, "keys overwritten after use"): every digest, HMAC
// and X25519 output OpenSSL produces while a message or chunk is encrypted
// and decrypted must be zero once the session is wiped — the message key,
// the chain keys, the DH secret, the AEAD keys and the HKDF PRKs alike. The
// test records the very buffers node:crypto hands out (Hash/Hmac digest(),
// diffieHellman()) and inspects them after Session.destroy(). The only
// outputs allowed to stay are public: the HMAC "verification" value that
// travels on the wire (and its recomputation on the receiving side). With the
// message addon (crypto/message-native.ts) a text's keys live in C and are
// cleansed there; the receiver's DH output still comes from node:crypto and
// must be zero after the addon used it.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { test } from "node:test";
import { Initiator, b64decodeStrict, parseJsonObject, pyjson, respond, toBytes, type Session } from "../src/protocol/index.js";

function handshake(): { a: Session; b: Session } {
  const i = new Initiator();
  const { response, session: b } = respond(parseJsonObject(i.initMessage)!);
  const a = i.finish(parseJsonObject(response)!);
  return { a, b };
}

/** Runs `f` while recording every digest / HMAC / DH output buffer node:crypto returns. */
function recordCryptoOutputs(f: () => void): Buffer[] {
  const seen: Buffer[] = [];
  const hashProto = Object.getPrototypeOf(crypto.createHash("sha256")) as { digest: (...a: unknown[]) => unknown };
  const hmacProto = Object.getPrototypeOf(crypto.createHmac("sha256", "k")) as { digest: (...a: unknown[]) => unknown };
  const origHash = hashProto.digest;
  const origHmac = hmacProto.digest;
  const origDh = crypto.diffieHellman;
  const keep = (r: unknown): unknown => {
    if (Buffer.isBuffer(r)) seen.push(r);
    return r;
  };
  hashProto.digest = function (this: unknown, ...a: unknown[]) {
    return keep(origHash.apply(this, a));
  };
  hmacProto.digest = function (this: unknown, ...a: unknown[]) {
    return keep(origHmac.apply(this, a));
  };
  (crypto as { diffieHellman: typeof origDh }).diffieHellman = ((o: Parameters<typeof origDh>[0]) => keep(origDh(o))) as typeof origDh;
  syncBuiltinESMExports();
  try {
    f();
  } finally {
    hashProto.digest = origHash;
    hmacProto.digest = origHmac;
    (crypto as { diffieHellman: typeof origDh }).diffieHellman = origDh;
    syncBuiltinESMExports();
  }
  return seen;
}

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

test("recording works: the hooks see the outputs of the primitives (so an empty result cannot pass)", () => {
  const { a } = handshake();
  // A chunk goes through node:crypto step by step on every backend (a text may be sealed in one call into
  // the message addon, whose secrets never reach JavaScript and are cleansed in C).
  const seen = recordCryptoOutputs(() => a.encryptChunk("0123456789abcdef", 0, new Uint8Array(100)));
  // DH, the DH mix (2 HMACs), message key (2), ratchet (2), AES key (SHA-512), ChaCha key (HMAC).
  assert.ok(seen.length >= 9, `only ${seen.length} outputs recorded`);
  assert.ok(seen.some((b) => b.length === 32) && seen.some((b) => b.length === 64));
  a.destroy();
});

test("after encrypt() and decrypt() of a text and a chunk, wiping the sessions leaves every secret output zero", () => {
  const { a, b } = handshake();
  const macs: Uint8Array[] = [];
  const seen = recordCryptoOutputs(() => {
    for (let i = 0; i < 3; i++) {
      const wire = a.encrypt(toBytes(pyjson({ type: 13, text: `hello ${i}` }))).wire;
      const outer = parseJsonObject(wire)!;
      macs.push(b64decodeStrict(outer["verification"] as string));
      b.decrypt(outer);
    }
    const { frame } = a.encryptChunk("0123456789abcdef", 0, new Uint8Array(5000).fill(7));
    b.decryptChunk(frame);
  });
  a.destroy();
  b.destroy();
  const isPublicMac = (x: Uint8Array): boolean => macs.some((m) => Buffer.compare(Buffer.from(m), Buffer.from(x)) === 0);
  const left = seen.filter((x) => !isZero(x) && !isPublicMac(x));
  assert.equal(left.length, 0, `${left.length} of ${seen.length} digest/HMAC/DH outputs still hold data after wipe (lengths ${left.map((x) => x.length).join(",")})`);
});
