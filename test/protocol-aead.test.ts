// The double AEAD (src/protocol/aead.ts) against the reference's DoubleEncryptor
// known answers (test/fixtures/aead.json; WIRE-NOTES §6.3): every case,
// including the must-fail cases — tag failures and the padding
// failures behind valid tags (pad byte 0, pad byte above the block size,
// inconsistent pad bytes, a padded length not a multiple of 64, an empty
// padded plaintext), which must be refused as padding errors, not decrypted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveAeadKeys, doubleDecrypt, doubleEncrypt, pad, unpad } from "../src/protocol/aead.js";
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
