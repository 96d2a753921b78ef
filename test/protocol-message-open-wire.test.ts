// Opening a received ENCRYPTED_MESSAGE from its base64 strings as received
// (MessageCrypto.openNext, src/protocol/message-crypto.ts): the message
// addon's one call (openWire in crypto/native/message.c, with its own strict
// base64 decoder) against the TypeScript path, which decodes with
// bytes.ts b64decodeStrict and then runs macOk, open and ratchet — the oracle.
// Both must give the same answer, refusal kind included, in the order of
// WIRE-NOTES §7, and the same next chain key, for genuine messages of random
// sizes and counters, for every kind of damaged string and for refusals
// behind a valid HMAC. Runs on each X25519 path of the addon.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { b64encode } from "../src/protocol/bytes.js";
import { messageAddon } from "../src/protocol/crypto/message-native.js";
import { hmacInputFor, type EncryptedMessageStrings } from "../src/protocol/encrypted-message.js";
import { nativeMessages, typescriptMessages, type MessageCrypto, type SealRequest } from "../src/protocol/message-crypto.js";
import { hmac, x25519Generate, x25519PublicKeyObject } from "../src/protocol/primitives.js";
import { parseJsonObject } from "../src/protocol/pyjson.js";

const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

if (messageAddon) {
  const addon = messageAddon;
  const native = nativeMessages(addon);
  const ts = typescriptMessages;

  interface Sealed {
    fields: EncryptedMessageStrings;
    chainKey: Uint8Array;
    hmacKey: Uint8Array;
    ownPriv: Uint8Array;
    inner: Uint8Array;
  }

  /** A genuine message from the TypeScript sender, with what its receiver holds. */
  const seal = (inner: Uint8Array, n: number, chainLen: 32 | 64): Sealed => {
    const own = x25519Generate();
    const req: SealRequest = {
      chainKey: bytes(chainLen),
      n,
      peer: { keyObject: x25519PublicKeyObject(own.publicKey) },
      hmacKey: bytes(32),
      inner,
      rnd: {},
    };
    const o = parseJsonObject(ts.seal(req).wire)!;
    const fields = { counter: n, nonceB64: o["nonce"], ciphertextB64: o["ciphertext"], ephB64: o["dh_public_key"], macB64: o["verification"] } as EncryptedMessageStrings;
    return { fields, chainKey: req.chainKey, hmacKey: req.hmacKey, ownPriv: own.privateKey, inner };
  };

  /** The HMAC of WIRE-NOTES §6.5 over the strings as they are now: a refusal then has to come from a later step. */
  const remac = (s: Sealed, f: EncryptedMessageStrings): EncryptedMessageStrings => ({
    ...f,
    macB64: b64encode(hmac("sha512", s.hmacKey, hmacInputFor(f.counter, f.nonceB64, f.ephB64))),
  });

  const openWith = (impl: MessageCrypto, s: Sealed, fields: EncryptedMessageStrings): { r: unknown; next: Uint8Array } => {
    const own = impl.ownKey(Uint8Array.from(s.ownPriv));
    const next = new Uint8Array(32).fill(7);
    try {
      const r = impl.openNext({ chainKey: s.chainKey, own, hmacKey: s.hmacKey, fields, next });
      return { r: r instanceof Uint8Array ? Uint8Array.from(r) : r, next };
    } finally {
      impl.drop(own);
    }
  };

  /** Both paths' answers, asserted equal; returns the TypeScript one. */
  const both = (s: Sealed, fields: EncryptedMessageStrings, what: string): unknown => {
    const a = openWith(native, s, fields);
    const b = openWith(ts, s, fields);
    assert.deepEqual(a.r, b.r, `${what}: the same answer`);
    assert.deepEqual(a.next, b.next, `${what}: the same next chain key`);
    if (!(b.r instanceof Uint8Array)) assert.deepEqual(b.next, new Uint8Array(32), `${what}: no next chain key for a refused message`);
    return b.r;
  };

  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const ODD = ["=", "-", "_", " ", "\n", "\0", "é", "\u0141", "\u{1F600}", "A", "g", "Q"];
  const FIELDS = ["nonceB64", "ciphertextB64", "ephB64", "macB64"] as const;

  /** One damaged string: a character replaced, removed or added, the padding dropped or doubled, or the string cut. */
  const damage = (s: string, kind: number, at: number, ch: string): string => {
    const i = s.length ? at % s.length : 0;
    switch (kind) {
      case 0:
        return s.slice(0, i) + ch + s.slice(i + 1);
      case 1:
        return s.slice(0, i) + s.slice(i + 1);
      case 2:
        return s.slice(0, i) + ch + s.slice(i);
      case 3:
        return s.replace(/=+$/, "");
      case 4:
        return s + "=";
      default:
        return s.slice(0, i);
    }
  };

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

    pathTest("genuine messages of random sizes, counters and chain keys open to the same plaintext and next chain key", () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(63, 64, 65, 511, 512, 5887), fc.integer({ min: 0, max: 20000 })),
          fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(9, 10, 99, 100, 2 ** 53 - 1), fc.integer({ min: 1, max: 2 ** 40 })),
          fc.constantFrom(32 as const, 64 as const),
          (len, n, chainLen) => {
            const s = seal(bytes(len), n, chainLen);
            assert.deepEqual(both(s, s.fields, `${len} bytes, counter ${n}`), s.inner);
          },
        ),
        { numRuns: 80 },
      );
    });

    pathTest("every damaged string is refused the same way by both, with and without a valid HMAC over it", () => {
      const s = seal(bytes(200), 5, 32);
      assert.deepEqual(both(s, s.fields, "undamaged"), s.inner);
      const seen = new Set<string>();
      fc.assert(
        fc.property(
          fc.constantFrom(...FIELDS),
          fc.nat({ max: 5 }),
          fc.nat({ max: 1000 }),
          fc.oneof(fc.constantFrom(...ODD), fc.constantFrom(...B64.split(""))),
          fc.boolean(),
          (field, kind, at, ch, withMac) => {
            const damaged = { ...s.fields, [field]: damage(s.fields[field], kind, at, ch) };
            const f = withMac && field !== "macB64" ? remac(s, damaged) : damaged;
            const r = both(s, f, `${field} damaged (${kind}, ${at}, ${JSON.stringify(ch)}, HMAC ${withMac})`);
            seen.add(r instanceof Uint8Array ? "opened" : String(r));
          },
        ),
        { numRuns: 600 },
      );
      // The damage reached every check, not only the first.
      for (const kind of ["bad base64", "field sizes", "hmac", "refused"]) assert.ok(seen.has(kind), `some damage was refused as ${kind}`);
    });

    pathTest("refusals behind a valid HMAC: a small-order key, a cut ciphertext, non-canonical bits, a short MAC", () => {
      const s = seal(bytes(100), 3, 64);
      const zeroKey = b64encode(new Uint8Array(32));
      assert.equal(both(s, remac(s, { ...s.fields, ephB64: zeroKey }), "all-zero ephemeral key"), "bad_key");
      const ct = s.fields.ciphertextB64;
      assert.equal(both(s, { ...s.fields, ciphertextB64: ct.slice(0, 128) }, "a cut ciphertext"), "refused");
      assert.equal(both(s, { ...s.fields, ciphertextB64: "" }, "an empty ciphertext"), "refused");
      // The nonce's last character carries unused bits (16 characters for 12 bytes: none; the key's 44 for 32: two).
      const eph = s.fields.ephB64;
      const loose = eph.slice(0, 42) + B64[B64.indexOf(eph[42]!) ^ 1] + "=";
      assert.equal(both(s, remac(s, { ...s.fields, ephB64: loose }), "non-zero unused bits"), "bad base64");
      assert.equal(both(s, remac(s, { ...s.fields, nonceB64: b64encode(bytes(15)) }), "a 15-byte nonce"), "field sizes");
      assert.equal(both(s, { ...s.fields, macB64: s.fields.macB64.slice(0, 84) }, "a 63-byte MAC"), "hmac");
      assert.equal(both(s, { ...s.fields, counter: 4 }, "another counter"), "hmac");
      const other = { ...s, hmacKey: bytes(32) };
      assert.equal(both(other, s.fields, "another HMAC key"), "hmac");
      assert.equal(both({ ...s, chainKey: bytes(64) }, s.fields, "another chain key"), "refused");
    });
  }
}
