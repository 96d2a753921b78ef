// The FILE_CHUNK open in place (src/protocol/crypto/native/chunk.c through
// chunk-native.ts and aead.ts doubleDecryptInPlace) against the TypeScript
// double open it replaces (WIRE-NOTES §6.3): the reference's known answers,
// random sizes up to a 1 MiB chunk, every kind of flipped bit, padding that is
// wrong behind two valid tags, and the fallback (no addon) giving the same
// answers. A refusal zeroes the buffer.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { deriveAeadKeys, doubleDecrypt, doubleDecryptInPlace, doubleEncrypt, pad } from "../src/protocol/aead.js";
import { AuthenticationError } from "../src/protocol/crypto/backend.js";
import { chachaSeal } from "../src/protocol/crypto/chacha20-poly1305.js";
import { chooseChunkAddon, chunkAddonBuilt, chunkNative, type ChunkAddon } from "../src/protocol/crypto/chunk-native.js";
import { clmulGcmSiv } from "../src/protocol/crypto/gcmsiv-clmul.js";
import { nobleGcmSiv } from "../src/protocol/crypto/gcmsiv-noble.js";
import { gcmSiv } from "../src/protocol/crypto/select.js";
import { loadFixture } from "./helpers/fixtures.js";

const report = JSON.parse(readFileSync(new URL("../native-build.json", import.meta.url), "utf8")) as Record<string, { built: boolean; reason?: string }>;
const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "latin1"));

test("chunk addon: built and loaded where the build report says so; used only with the clmul backend", () => {
  const r = report["chunk.c"];
  assert.ok(r, "the build report has no entry for chunk.c");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) assert.equal(r.built, true, `chunk.c did not build: ${r.reason}`);
  if (r.built && /\bpclmulqdq\b/.test(readFileSync("/proc/cpuinfo", "utf8"))) assert.ok(chunkAddonBuilt, "built but not loaded");
  if (!r.built) assert.match(r.reason ?? "", /\S/);
  const fake = { available: true } as ChunkAddon;
  assert.equal(chooseChunkAddon(clmulGcmSiv, fake), fake);
  assert.equal(chooseChunkAddon(nobleGcmSiv, fake), null, "wasm and noble keep chunks on the TypeScript path");
  assert.equal(chunkNative !== null, gcmSiv === clmulGcmSiv && chunkAddonBuilt !== null);
});

/** Opens a copy of `sealed` in place with `addon` (null: the fallback): the plaintext, or "refused" (and then the buffer is zeroed when native). */
function openInPlace(addon: ChunkAddon | null, key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | "refused" {
  const buf = Uint8Array.from(sealed);
  try {
    const p = doubleDecryptInPlace(key, nonce, buf, aad, addon);
    assert.equal(p.buffer, buf.buffer, "the plaintext is a view of the ciphertext's buffer");
    assert.equal(p.byteOffset, buf.byteOffset);
    return Uint8Array.from(p);
  } catch (e) {
    assert.ok(e instanceof AuthenticationError, `a refusal is an AuthenticationError, not ${String(e)}`);
    if (addon) assert.ok(buf.every((b) => b === 0), "a refused buffer is zeroed");
    return "refused";
  }
}

/** The TypeScript double open (the oracle). */
function oracle(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | "refused" {
  try {
    return Uint8Array.from(doubleDecrypt(key, nonce, sealed, aad));
  } catch (e) {
    assert.ok(e instanceof AuthenticationError);
    return "refused";
  }
}

const impls: [string, ChunkAddon | null][] = [["fallback", null], ...(chunkAddonBuilt ? [["native", chunkAddonBuilt] as [string, ChunkAddon]] : [])];

for (const [name, addon] of impls) {
  test(`${name}: the reference's known answers open in place, and its must-fail cases are refused`, () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const aead: any = loadFixture("aead.json");
    for (const c of [...aead.cases, ...aead.cases_empty_aad] as { plaintext: string; ciphertext: string; key?: string; nonce?: string; aad?: string }[]) {
      const got = openInPlace(addon, hex(c.key ?? aead.key), hex(c.nonce ?? aead.nonce), hex(c.ciphertext), ascii(c.aad ?? aead.aad));
      assert.deepEqual(got, hex(c.plaintext));
    }
    for (const c of aead.fail_cases as { name: string; key: string; nonce: string; aad: string; ciphertext: string }[]) {
      assert.equal(openInPlace(addon, hex(c.key), hex(c.nonce), hex(c.ciphertext), ascii(c.aad)), "refused", c.name);
    }
  });

  test(`${name}: random sizes up to a 1 MiB chunk open to the same bytes as the TypeScript path`, () => {
    for (const n of [0, 1, 63, 64, 65, 4095, 4096, 4097, 65536 + 17, 1024 * 1024, 1024 * 1024 + 40, ...Array.from({ length: 12 }, () => Math.floor(Math.random() * 300_000))]) {
      const key = bytes(32);
      const nonce = bytes(12);
      const aad = bytes(48);
      const p = bytes(n);
      const sealed = doubleEncrypt(key, nonce, p, aad);
      assert.deepEqual(openInPlace(addon, key, nonce, sealed, aad), p, `${n} bytes`);
    }
  });

  test(`${name}: every flipped bit of key, nonce, aad, ciphertext or tags is refused, as by the TypeScript path`, () => {
    const key = bytes(32);
    const nonce = bytes(12);
    const aad = bytes(48);
    const sealed = doubleEncrypt(key, nonce, bytes(5000), aad);
    const flip = (b: Uint8Array, i: number): Uint8Array => {
      const c = Uint8Array.from(b);
      c[i >> 3]! ^= 1 << (i & 7);
      return c;
    };
    const sample = (len: number) => [0, 7, 8 * len - 1, ...Array.from({ length: 6 }, () => Math.floor(Math.random() * 8 * len))];
    for (const i of sample(32)) assert.equal(openInPlace(addon, flip(key, i), nonce, sealed, aad), "refused");
    for (const i of sample(12)) assert.equal(openInPlace(addon, key, flip(nonce, i), sealed, aad), "refused");
    for (const i of sample(48)) assert.equal(openInPlace(addon, key, nonce, sealed, flip(aad, i)), "refused");
    for (const i of [...sample(sealed.length), 8 * (sealed.length - 16), 8 * (sealed.length - 32)]) {
      const bad = flip(sealed, i);
      assert.equal(oracle(key, nonce, bad, aad), "refused");
      assert.equal(openInPlace(addon, key, nonce, bad, aad), "refused");
    }
    for (const len of [0, 16, 95, sealed.length - 1]) assert.equal(openInPlace(addon, key, nonce, sealed.subarray(0, len), aad), "refused", `cut to ${len} bytes`);
  });

  test(`${name}: padding that is wrong behind two valid tags is refused (WIRE-NOTES §6.3)`, () => {
    const key = bytes(32);
    const nonce = bytes(12);
    const aad = bytes(48);
    const k = deriveAeadKeys(key, nonce);
    const sealFor = (padded: Uint8Array): Uint8Array => chachaSeal(k.chachaKey, k.chachaNonce, gcmSiv.seal(k.aesKey, k.aesNonce, padded, aad), aad);
    assert.deepEqual(openInPlace(addon, key, nonce, sealFor(pad(Uint8Array.of(1, 2, 3))), aad), Uint8Array.of(1, 2, 3), "the tags are right");
    for (const padded of [new Uint8Array(64).fill(0), new Uint8Array(64).fill(65), Uint8Array.from({ length: 128 }, (_, i) => (i === 127 ? 3 : 2))]) {
      assert.equal(oracle(key, nonce, sealFor(padded), aad), "refused");
      assert.equal(openInPlace(addon, key, nonce, sealFor(padded), aad), "refused");
    }
  });
}
