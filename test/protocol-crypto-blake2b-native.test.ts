// The whole-file hash through OpenSSL's BLAKE2b (src/protocol/crypto/native/blake2b.c
// via blake2b-native.ts) against the WebAssembly hasher it replaces (hash-wasm,
// WIRE-NOTES §8.2): RFC 7693's answers, random sizes split into random
// updates, a hasher used again after init, and bad arguments refused.
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { createBLAKE2b } from "hash-wasm";
import { NativeBlake2b256, nativeBlake2bAvailable } from "../src/protocol/crypto/blake2b-native.js";
import { createFileHasher } from "../src/protocol/file/metadata.js";

const report = JSON.parse(readFileSync(new URL("../native-build.json", import.meta.url), "utf8")) as Record<string, { built: boolean; reason?: string }>;

test("blake2b addon: built and usable where the build report says so, and then what createFileHasher gives", async () => {
  const r = report["blake2b.c"];
  assert.ok(r, "the build report has no entry for blake2b.c");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) {
    assert.equal(r.built, true, `blake2b.c did not build: ${r.reason}`);
    assert.equal(nativeBlake2bAvailable, true, "built, but OpenSSL's BLAKE2b functions were missing or failed the check at load");
  }
  if (!r.built) assert.match(r.reason ?? "", /\S/);
  assert.equal((await createFileHasher()) instanceof NativeBlake2b256, nativeBlake2bAvailable);
});

if (nativeBlake2bAvailable) {
  test("native BLAKE2b-256: RFC 7693's vectors, and the same digest as hash-wasm for random sizes in random pieces", async () => {
    const h = NativeBlake2b256.create()!;
    assert.equal(h.init().update(Buffer.from("abc")).digest("hex"), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
    assert.equal(h.init().digest("hex"), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    const wasm = await createBLAKE2b(256);
    for (let round = 0; round < 60; round++) {
      const size = round < 20 ? round * 64 + randomInt(0, 3) : randomInt(0, 3 * 1024 * 1024);
      const data = new Uint8Array(randomBytes(size));
      h.init();
      for (let off = 0; off < size; ) {
        const n = Math.min(size - off, randomInt(0, 200_000));
        h.update(data.subarray(off, off + n)); // views at any offset, empty ones included
        off += n;
      }
      const got = h.digest("binary");
      wasm.init();
      wasm.update(data);
      assert.deepEqual(got, wasm.digest("binary"), `size ${size}`);
    }
  });

  test("native BLAKE2b-256: a context that is not the addon's own size or alignment is refused", () => {
    const addon = createRequire(import.meta.url)("../src/protocol/crypto/native/blake2b.node") as {
      ctxBytes: number;
      init(c: Uint8Array): void;
      update(c: Uint8Array, d: Uint8Array): void;
      final(c: Uint8Array, o: Uint8Array): void;
    };
    assert.throws(() => addon.init(new Uint8Array(addon.ctxBytes - 1)), RangeError);
    assert.throws(() => addon.init(new Uint8Array(addon.ctxBytes + 8).subarray(4, 4 + addon.ctxBytes)), RangeError);
    const ctx = new Uint8Array(addon.ctxBytes);
    addon.init(ctx);
    assert.throws(() => addon.update(ctx, "abc" as unknown as Uint8Array), TypeError);
    assert.throws(() => addon.final(ctx, new Uint8Array(31)), RangeError);
    assert.throws(() => (addon.update as (c: Uint8Array) => void)(ctx), TypeError);
    assert.throws(() => (addon.init as () => void)(), TypeError);
  });
}
