// The one-call message addon (src/protocol/crypto/native/message.c through
// message-native.ts) against the TypeScript path it replaces
// (src/protocol/message-crypto.ts `typescriptMessages`, the oracle): the same
// outer bytes and next chain key for the same keys and scripted randomness,
// for random sizes and counters; the same answers when opening, for genuine
// messages, flipped bits, bad padding behind valid tags, bad ephemeral keys
// and truncated ciphertexts; the same HMAC and ratchet. The reference vectors
// go through Session on both paths (protocol-messages-vectors, run per
// backend by protocol-crypto-select). CI sets PQCHAT_REQUIRE_NATIVE, so a
// missing addon there is a failure, not a quieter run.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { deriveAeadKeys, pad } from "../src/protocol/aead.js";
import { messageKeyFor } from "../src/protocol/chain.js";
import { chachaSeal } from "../src/protocol/crypto/chacha20-poly1305.js";
import { chooseMessageAddon, gcmSiv } from "../src/protocol/crypto/select.js";
import { messageAddon, type NativeKey } from "../src/protocol/crypto/message-native.js";
import { aadFor, hmacInputFor, parseEncryptedMessage } from "../src/protocol/encrypted-message.js";
import { nativeMessages, typescriptMessages, type MessageCrypto, type SealRequest } from "../src/protocol/message-crypto.js";
import { x25519, x25519Generate, x25519PublicKeyObject } from "../src/protocol/primitives.js";
import { parseJsonObject } from "../src/protocol/pyjson.js";

const report = JSON.parse(readFileSync(new URL("../native-build.json", import.meta.url), "utf8")) as Record<string, { built: boolean; reason?: string }>;
const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

test("message addon: built and loaded where the build report says so", () => {
  const r = report["message.c"];
  assert.ok(r, "the build report has no entry for message.c");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) assert.equal(r.built, true, `message.c did not build: ${r.reason}`);
  if (r.built && /\bpclmulqdq\b/.test(readFileSync("/proc/cpuinfo", "utf8"))) assert.ok(messageAddon, "built but not loaded");
  if (!r.built) assert.match(r.reason ?? "", /\S/);
});

if (messageAddon) {
  const native = nativeMessages(messageAddon);
  const ts = typescriptMessages;

  const request = (inner: Uint8Array, n: number, chainLen: 32 | 64): { req: SealRequest; peerPriv: Uint8Array } => {
    const peer = x25519Generate();
    return {
      peerPriv: peer.privateKey,
      req: {
        chainKey: bytes(chainLen),
        n,
        peer: { keyObject: x25519PublicKeyObject(peer.publicKey), native: messageAddon!.publicKey(peer.publicKey) },
        hmacKey: bytes(32),
        inner,
        rnd: { ephemeralPrivateKey: bytes(32), nonce: bytes(12) },
      },
    };
  };

  /** Opens a sealed wire with `impl` as its receiver would (HMAC, then the message). */
  const openWith = (impl: MessageCrypto, wire: Uint8Array, req: SealRequest, peerPriv: Uint8Array): Uint8Array | string => {
    const m = parseEncryptedMessage(parseJsonObject(wire)!);
    if (!impl.macOk(req.hmacKey, hmacInputFor(m.counter, m.nonceB64, m.ephB64), m.mac)) return "mac";
    const own = impl.ownKey(peerPriv);
    try {
      return impl.open(req.chainKey, m.counter, own, m.eph, m.nonce, m.ciphertext, aadFor(10, m.counter, m.nonceB64, m.ephB64));
    } finally {
      impl.drop(own);
    }
  };

  // The addon computes X25519 directly with OpenSSL's own functions where the node binary exports them, else through
  // EVP (message.c): every differential test runs on each path this binary has.
  const addon = messageAddon;
  const initialPath = addon.x25519Path(null);
  for (const path of initialPath === "direct" ? (["direct", "evp"] as const) : (["evp"] as const)) {
    const pathTest = (name: string, fn: () => void): void => {
      test(`${name} (X25519 ${path})`, () => {
        assert.equal(addon.x25519Path(path), path);
        try {
          fn();
        } finally {
          addon.x25519Path(initialPath);
        }
      });
    };

    pathTest("seal: the same outer bytes and next chain key as the TypeScript path, for random sizes, counters and chain keys", () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constantFrom(63, 64, 65, 127, 128, 5887, 5888), fc.integer({ min: 0, max: 70000 })),
          fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(9, 10, 99, 100, 9999999999, 2 ** 53 - 1), fc.integer({ min: 1, max: 2 ** 40 })),
          fc.constantFrom(32 as const, 64 as const),
          (len, n, chainLen) => {
            const { req, peerPriv } = request(bytes(len), n, chainLen);
            const a = native.seal(req);
            const b = ts.seal(req);
            assert.equal(Buffer.from(a.wire).toString(), Buffer.from(b.wire).toString());
            assert.deepEqual(a.next, b.next);
            const opened = openWith(native, a.wire, req, peerPriv);
            assert.deepEqual(opened, req.inner);
            assert.deepEqual(openWith(ts, a.wire, req, peerPriv), req.inner);
          },
        ),
        { numRuns: 120 },
      );
    });

    pathTest("open: every flipped bit of nonce, ciphertext or key is refused the same way by both; a flipped MAC fails both", () => {
      const { req, peerPriv } = request(bytes(300), 7, 32);
      const m = parseEncryptedMessage(parseJsonObject(ts.seal(req).wire)!);
      const aad = aadFor(10, 7, m.nonceB64, m.ephB64);
      const both = (nonce: Uint8Array, ct: Uint8Array, a: Uint8Array, eph = m.eph): [unknown, unknown] =>
        [native, ts].map((impl) => {
          const own = impl.ownKey(peerPriv);
          const r = impl.open(req.chainKey, 7, own, eph, nonce, ct, a);
          impl.drop(own);
          return r;
        }) as [unknown, unknown];
      assert.deepEqual(both(m.nonce, m.ciphertext, aad), [req.inner, req.inner]);
      fc.assert(
        fc.property(fc.nat({ max: (12 + m.ciphertext.length + aad.length) * 8 - 1 }), (bit) => {
          const nonce = Uint8Array.from(m.nonce);
          const ct = Uint8Array.from(m.ciphertext);
          const a = Uint8Array.from(aad);
          let b = bit;
          const target = b < 96 ? nonce : (b -= 96) < ct.length * 8 ? ct : ((b -= ct.length * 8), a);
          target[b >> 3]! ^= 1 << (b & 7);
          assert.deepEqual(both(nonce, ct, a), ["refused", "refused"], `bit ${bit}`);
        }),
        { numRuns: 200 },
      );
      for (const len of [0, 31, 32, 95, 96 + 1, m.ciphertext.length - 1]) {
        assert.deepEqual(both(m.nonce, m.ciphertext.subarray(0, len), aad), ["refused", "refused"], `${len}-byte ciphertext`);
      }
      // Small-order points: X25519 gives all zeros, which OpenSSL refuses (RFC 7748 §6.1).
      assert.deepEqual(both(m.nonce, m.ciphertext, aad, new Uint8Array(32)), ["bad_key", "bad_key"]);
      const mac = Uint8Array.from(m.mac);
      mac[5]! ^= 1;
      const input = hmacInputFor(7, m.nonceB64, m.ephB64);
      assert.deepEqual([native.macOk(req.hmacKey, input, mac), ts.macOk(req.hmacKey, input, mac)], [false, false]);
      assert.deepEqual([native.macOk(req.hmacKey, input, m.mac), ts.macOk(req.hmacKey, input, m.mac)], [true, true]);
      assert.equal(native.macOk(req.hmacKey, input, m.mac.subarray(0, 63)), false, "a short MAC");
    });

    pathTest("open: padding that is wrong behind two valid tags is refused by both (WIRE-NOTES §6.3)", () => {
      const own = x25519Generate();
      const eph = x25519Generate();
      const ck = bytes(32);
      const nonce = bytes(12);
      const aad = bytes(40);
      const n = 3;
      // The message key the receiver will derive (WIRE-NOTES §6.2), so the tags are valid and only the padding decides.
      const mk = messageKeyFor(ck, x25519(eph.privateKey, own.publicKey), n);
      const k = deriveAeadKeys(mk, nonce);
      const sealFor = (padded: Uint8Array): Uint8Array => chachaSeal(k.chachaKey, k.chachaNonce, gcmSiv.seal(k.aesKey, k.aesNonce, padded, aad), aad);
      const openBoth = (sealed: Uint8Array): unknown[] =>
        [native, ts].map((impl) => {
          const key = impl.ownKey(own.privateKey);
          const r = impl.open(ck, n, key, eph.publicKey, nonce, sealed, aad);
          impl.drop(key);
          return r;
        });
      const good = pad(Uint8Array.of(1, 2, 3));
      assert.deepEqual(openBoth(sealFor(good)), [Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)], "valid padding opens: the tags are right");
      for (const padded of [new Uint8Array(64).fill(0), new Uint8Array(64).fill(65), Uint8Array.from({ length: 128 }, (_, i) => (i === 127 ? 3 : 2))]) {
        assert.deepEqual(openBoth(sealFor(padded)), ["refused", "refused"]);
      }
    });

    pathTest("ratchet: the same chain keys as the TypeScript path", () => {
      for (const n of [1, 2, 10, 1005, 2 ** 32 + 1]) {
        for (const len of [32, 64]) {
          const ck = bytes(len);
          assert.deepEqual(native.ratchet(ck, n), ts.ratchet(ck, n), `n=${n}, ${len}-byte chain key`);
        }
      }
    });

    pathTest("ephemeral keys prepared ahead: the pool fills, each message takes a fresh key, none is used twice, each opens", () => {
      assert.equal(native.prepareEphemeral(4), 4);
      const { req, peerPriv } = request(bytes(10), 1, 32);
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const wire = native.seal({ ...req, rnd: {} }).wire;
        seen.add(parseJsonObject(wire)!["dh_public_key"] as string);
        // The public key sent is the one of the private key used: the TypeScript receiver opens it.
        assert.deepEqual(openWith(ts, wire, req, peerPriv), req.inner, `message ${i + 1}`);
      }
      assert.equal(seen.size, 6, "six messages, six ephemeral keys (four from the pool, two made on demand)");
      assert.equal(native.prepareEphemeral(0), 0, "the pool was used up");
    });
  }

  test("key handles: a public key is refused where our private key belongs, and a dropped key is refused", () => {
    const own = x25519Generate();
    const open = (key: NativeKey): number => addon.openMessage(bytes(32), 1, key, bytes(32), bytes(12), bytes(96), bytes(10), new Uint8Array(64));
    assert.throws(() => open(addon.publicKey(own.publicKey)), /wrong kind/);
    const priv = addon.privateKey(Uint8Array.from(own.privateKey));
    assert.equal(open(priv), -1, "a random ciphertext is refused");
    addon.dropKey(priv);
    assert.throws(() => open(priv), /dropped/);
  });
}

test("chooseMessageAddon: the addon goes with the default backend only; PQCHAT_AEAD=wasm or noble keeps the TypeScript path", () => {
  const fake = { available: true } as never;
  assert.equal(chooseMessageAddon(undefined, fake), fake);
  assert.equal(chooseMessageAddon("clmul", fake), fake);
  assert.equal(chooseMessageAddon("wasm", fake), null);
  assert.equal(chooseMessageAddon("noble", fake), null);
  assert.equal(chooseMessageAddon(undefined, null), null, "not built: TypeScript");
});
