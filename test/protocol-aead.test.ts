// The double AEAD (src/protocol/aead.ts) against the reference's DoubleEncryptor
// known answers (test/fixtures/aead.json; WIRE-NOTES §6.3): every case,
// including the must-fail cases — tag failures and the padding
// failures behind valid tags (pad byte 0, pad byte above the block size,
// inconsistent pad bytes, a padded length not a multiple of 64, an empty
// padded plaintext), which must be refused as padding errors, not decrypted.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { deriveAeadKeys, doubleDecrypt, doubleDecryptInPlace, doubleEncrypt, doubleEncryptParts, doubleEncryptPartsInto, pad, sealedLength, unpad } from "../src/protocol/aead.js";
import { chunkNative } from "../src/protocol/crypto/chunk-native.js";
import { AuthenticationError, gcmsivSeal } from "../src/protocol/primitives.js";
import { loadFixture } from "./helpers/fixtures.js";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "latin1"));

interface AeadCase {
  plaintext: string;
  plaintext_len?: number;
  padded_len?: number;
  aes_layer_output?: string;
  ciphertext: string;
  key?: string;
  nonce?: string;
  aad?: string;
}
interface FailCase {
  name: string;
  key: string;
  nonce: string;
  aad: string;
  ciphertext: string;
  reference_error?: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const aead: any = loadFixture("aead.json");

test("aead.json: derived sub-keys and nonces of both layers", () => {
  const k = deriveAeadKeys(hex(aead.key), hex(aead.nonce));
  assert.equal(toHex(k.aesKey), aead.derived.aes_gcm_siv_key);
  assert.equal(toHex(k.chachaKey), aead.derived.chacha20poly1305_key);
  assert.equal(toHex(k.aesNonce), aead.derived.aes_nonce);
  assert.equal(toHex(k.chachaNonce), aead.derived.chacha_nonce);
});

test("aead.json: every known answer encrypts to the reference bytes and decrypts back", () => {
  const cases = [...(aead.cases as AeadCase[]), ...(aead.cases_empty_aad as AeadCase[])];
  assert.ok(cases.length >= 9);
  for (const c of cases) {
    const key = hex(c.key ?? aead.key);
    const nonce = hex(c.nonce ?? aead.nonce);
    const aad = ascii(c.aad ?? aead.aad);
    const p = hex(c.plaintext);
    if (c.plaintext_len !== undefined) assert.equal(p.length, c.plaintext_len);
    if (c.padded_len !== undefined) assert.equal(pad(p).length, c.padded_len);
    if (c.aes_layer_output !== undefined) {
      const k = deriveAeadKeys(key, nonce);
      assert.equal(toHex(gcmsivSeal(k.aesKey, k.aesNonce, pad(p), aad)), c.aes_layer_output);
    }
    assert.equal(toHex(doubleEncrypt(key, nonce, p, aad)), c.ciphertext, `plaintext of ${p.length} bytes`);
    assert.equal(toHex(doubleDecrypt(key, nonce, hex(c.ciphertext), aad)), c.plaintext);
  }
});

test("aead.json: every must-fail case is refused; the valid-tag ones as padding failures", () => {
  const fails = aead.fail_cases as FailCase[];
  assert.equal(fails.length, 11);
  let padding = 0;
  for (const c of fails) {
    const run = (): Uint8Array => doubleDecrypt(hex(c.key), hex(c.nonce), hex(c.ciphertext), ascii(c.aad));
    if (c.name.startsWith("valid tags")) {
      // Both tags verify: only the strict PKCS#7 check (WIRE-NOTES §6.3) stands between this and a plaintext.
      assert.throws(run, (e: unknown) => e instanceof AuthenticationError && /padding/.test(e.message), c.name);
      padding++;
    } else {
      assert.throws(run, (e: unknown) => e instanceof AuthenticationError, c.name);
    }
  }
  assert.equal(padding, 5, "five padding cases");
  // The padding rule on its own, for the same shapes.
  const block = (last: number, fill = last): Uint8Array => {
    const b = new Uint8Array(64).fill(0x41);
    b.fill(fill, 64 - Math.min(Math.max(last, 1), 64));
    b[63] = last;
    return b;
  };
  assert.throws(() => unpad(block(0)), AuthenticationError);
  assert.throws(() => unpad(block(65)), AuthenticationError);
  assert.throws(() => unpad(block(4, 3)), AuthenticationError);
  assert.throws(() => unpad(new Uint8Array(65).fill(1)), AuthenticationError);
  assert.throws(() => unpad(new Uint8Array(0)), AuthenticationError);
  assert.equal(unpad(block(64)).length, 0);
  assert.equal(unpad(block(4)).length, 60);
});

test("doubleEncryptPartsInto, native seal in place and the fallback, gives doubleEncryptParts's bytes inside the frame; both open back", () => {
  const bytes = (n: number) => new Uint8Array(randomBytes(n));
  const key = bytes(32);
  const nonce = bytes(12);
  const aad = bytes(91);
  for (const size of [0, 1, 63, 64, 65, 1000, 65_536 + 7, 1024 * 1024]) {
    const parts = [bytes(80), bytes(size)];
    const want = doubleEncryptParts(key, nonce, parts, aad, 48);
    assert.equal(want.length, 48 + sealedLength(80 + size));
    for (const addon of [chunkNative, null]) {
      // A frame buffer bigger than needed, with stale bytes: only the returned view counts, and nothing beyond it is touched.
      const frame = new Uint8Array(want.length + 100).fill(0xee);
      const got = doubleEncryptPartsInto(key, nonce, parts, aad, frame, 48, addon);
      assert.equal(got.buffer, frame.buffer);
      assert.equal(got.length, want.length);
      assert.deepEqual(got.subarray(48), want.subarray(48), `size ${size}, ${addon ? "native" : "fallback"}`);
      assert.ok(frame.subarray(want.length).every((b) => b === 0xee));
      const opened = doubleDecryptInPlace(key, nonce, Uint8Array.from(got.subarray(48)), aad);
      assert.deepEqual(opened, new Uint8Array([...parts[0]!, ...parts[1]!]));
    }
  }
  assert.throws(() => doubleEncryptPartsInto(key, nonce, [bytes(100)], aad, new Uint8Array(48 + sealedLength(100) - 1), 48), RangeError);
});

// Where the chunk addon is in use (always in CI, which builds it).
const native = chunkNative;
if (native) {
  test("the native seal refuses a buffer that cannot hold a padded plaintext and its two tags", () => {
  const a = native;
  const k32 = new Uint8Array(32);
  const n12 = new Uint8Array(12);
  for (const len of [0, 32, 64, 64 + 31, 64 + 33]) assert.throws(() => a.sealInPlace(k32, k32, n12, n12, new Uint8Array(0), new Uint8Array(len)), RangeError, `length ${len}`);
  assert.equal(a.sealInPlace(k32, k32, n12, n12, new Uint8Array(0), new Uint8Array(96)), true);
});
}
