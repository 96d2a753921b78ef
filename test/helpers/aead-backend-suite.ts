// The contract every AEAD backend in src/protocol/crypto/ keeps (backend.ts):
// known answers, the same bytes as the reference, and one way to fail — a
// forged or short input throws AuthenticationError and nothing else, a key or
// nonce of the wrong size throws RangeError. Each backend's test file runs this
// suite on its own module.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { gcmsiv } from "@noble/ciphers/aes.js";
import { AuthenticationError, type Aead } from "../../src/protocol/crypto/backend.js";
import { bytesToHex, hexToBytes } from "../../src/protocol/bytes.js";
import { loadFixture } from "./fixtures.js";
import { checkAeadInProfile, checkAeadOutOfProfile, inProfile, loadWycheproof, Tally, type AeadGroup } from "./wycheproof.js";

/** Asserts that fn throws exactly the protocol's AuthenticationError, with its one message. */
export function assertAuthFailure(fn: () => unknown, what: string): void {
  assert.throws(fn, (e: unknown) => e instanceof AuthenticationError && e.name === "AuthenticationError" && e.message === "authentication failed", what);
}

/** Every way of forging an input fails the same way. */
export function failureContract(name: string, aead: Aead): void {
  test(`${name}: any flipped bit in ciphertext, tag or AAD throws AuthenticationError`, () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(40);
    const sealed = aead.seal(key, nonce, randomBytes(100), aad);
    fc.assert(
      fc.property(fc.nat({ max: (sealed.length + aad.length) * 8 - 1 }), (bit) => {
        const s = Uint8Array.from(sealed);
        const a = Uint8Array.from(aad);
        const target = bit < s.length * 8 ? s : a;
        const b = bit < s.length * 8 ? bit : bit - s.length * 8;
        target[b >> 3]! ^= 1 << (b & 7);
        assertAuthFailure(() => aead.open(key, nonce, s, a), `bit ${bit}`);
      }),
    );
  });

  test(`${name}: inputs shorter than a tag, a wrong key or a wrong nonce fail the same way as every backend`, () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const sealed = aead.seal(key, nonce, randomBytes(10), new Uint8Array(0));
    for (const len of [0, 1, 15]) assertAuthFailure(() => aead.open(key, nonce, sealed.subarray(0, len), new Uint8Array(0)), `${len}-byte input`);
    assertAuthFailure(() => aead.open(randomBytes(32), nonce, sealed, new Uint8Array(0)), "another key");
    for (const bad of [16, 24, 31, 33]) {
      assert.throws(() => aead.seal(randomBytes(bad), nonce, sealed, new Uint8Array(0)), RangeError, `seal, ${bad}-byte key`);
      assert.throws(() => aead.open(randomBytes(bad), nonce, sealed, new Uint8Array(0)), RangeError, `open, ${bad}-byte key`);
    }
    for (const bad of [8, 11, 13, 16]) {
      assert.throws(() => aead.seal(key, randomBytes(bad), sealed, new Uint8Array(0)), RangeError, `seal, ${bad}-byte nonce`);
      assert.throws(() => aead.open(key, randomBytes(bad), sealed, new Uint8Array(0)), RangeError, `open, ${bad}-byte nonce`);
    }
  });
}

/** Wycheproof's vectors for one AEAD: every in-profile case, and every out-of-profile case refused. */
export function wycheproofAead(name: string, aead: Aead, file: string, expected: { inProfile: Record<string, number>; outOfProfile: Record<string, number> }): void {
  test(`${name}: Wycheproof ${file}`, (t) => {
    const f = loadWycheproof<AeadGroup>(file);
    const ins = new Tally();
    const outs = new Tally();
    for (const g of f.testGroups) {
      for (const tc of g.tests) {
        if (inProfile(g)) ins.record(tc, tc.result, checkAeadInProfile(aead.seal, aead.open, tc));
        else outs.record(tc, `${tc.result}:size-rejected`, checkAeadOutOfProfile(aead.seal, aead.open, tc));
      }
    }
    t.diagnostic(`${ins.summary()}; ${outs.summary()}`);
    const nIn = Object.values(expected.inProfile).reduce((a, b) => a + b, 0);
    ins.check(nIn, expected.inProfile);
    outs.check(f.numberOfTests - nIn, expected.outOfProfile);
  });
}

/** What Wycheproof's aes_gcm_siv_test.json holds: 103 AES-256 cases, and AES-128 ones SCP refuses. */
export const GCMSIV_WYCHEPROOF = {
  inProfile: { valid: 69, invalid: 34 },
  outOfProfile: { "invalid:size-rejected": 32, "valid:size-rejected": 67 },
};

/**
 * The full contract of an AES-256-GCM-SIV backend: RFC 8452, Wycheproof, the
 * same bytes as another backend (@noble/ciphers for ours; the WebAssembly one
 * for noble itself), one way to fail.
 */
export function gcmSivBackendSuite(name: string, aead: Aead, reference: { name: string; seal: Aead["seal"] }): void {
  test(`${name}: RFC 8452 Appendix C.2 and C.3 (AES-256, counter wrap): seal and open`, () => {
    const { cases } = loadFixture("rfc8452-aes256-gcm-siv.json");
    assert.equal(cases.length, 26);
    for (const c of cases) {
      const [key, nonce, pt, aad] = [c.key, c.nonce, c.plaintext, c.aad].map(hexToBytes) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      assert.equal(bytesToHex(aead.seal(key, nonce, pt, aad)), c.result);
      assert.equal(bytesToHex(aead.open(key, nonce, hexToBytes(c.result), aad)), c.plaintext);
    }
  });

  wycheproofAead(name, aead, "aes_gcm_siv_test.json", GCMSIV_WYCHEPROOF);

  test(`${name}: property: identical to ${reference.name} for random keys, nonces, AAD and lengths`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 70000 })),
        (key, nonce, aad, len) => {
          const pt = randomBytes(len);
          const ours = aead.seal(key, nonce, pt, aad);
          assert.deepEqual(ours, reference.seal(key, nonce, pt, aad));
          assert.deepEqual(aead.open(key, nonce, ours, aad), new Uint8Array(pt));
        },
      ),
      { numRuns: 150 },
    );
  });

  test(`${name}: large and unaligned messages up to 2 MiB match ${reference.name}`, () => {
    for (const len of [1 << 20, (1 << 20) + 17, 2 << 20, (2 << 20) - 5]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const aad = randomBytes(len % 97);
      const pt = randomBytes(len);
      const ours = aead.seal(key, nonce, pt, aad);
      assert.deepEqual(ours, reference.seal(key, nonce, pt, aad), `length ${len}`);
      assert.deepEqual(aead.open(key, nonce, ours, aad), new Uint8Array(pt));
    }
  });

  failureContract(name, aead);
}

/** @noble/ciphers called directly: the reference our own backends are compared with. */
export const nobleReference = { name: "@noble/ciphers", seal: (k: Uint8Array, n: Uint8Array, p: Uint8Array, a: Uint8Array) => gcmsiv(k, n, a).encrypt(p) };
