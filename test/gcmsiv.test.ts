// AES-256-GCM-SIV: our two backends (OpenSSL AES with POLYVAL in a PCLMULQDQ
// C addon, and with POLYVAL in WebAssembly) against RFC 8452 and against
// @noble/ciphers, the reference they replace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { gcmsiv } from "@noble/ciphers/aes.js";
import { gcmSivOpenWasm, gcmSivSealWasm } from "../src/protocol/gcmsiv-wasm.js";
import { clmulGcmSivAvailable, gcmSivOpenClmul, gcmSivSealClmul } from "../src/protocol/gcmsiv-clmul.js";
import { gcmSivBackend } from "../src/protocol/primitives.js";
import { bytesToHex, hexToBytes } from "../src/protocol/bytes.js";
import { loadFixture } from "./helpers/fixtures.js";

const native = JSON.parse(readFileSync(new URL("../native-build.json", import.meta.url), "utf8")) as Record<string, { built: boolean; reason?: string }>;
const cpuHasClmul = (() => {
  try {
    return /\bpclmulqdq\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
})();

// The build compiles the addon when it can (scripts/build-native.mjs writes
// what happened to dist/native-build.json); CI sets PQCHAT_REQUIRE_NATIVE, so
// there a missing addon is a failure, not a quieter test run.
test("POLYVAL: the PCLMULQDQ addon is the default where it built and the CPU has the instruction, else WebAssembly", () => {
  const r = native["polyval.c"];
  assert.ok(r, "the build report has no entry for polyval.c");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) assert.equal(r.built, true, `polyval.c did not build: ${r.reason}`);
  const asked = process.env["PQCHAT_AEAD"];
  if (r.built && cpuHasClmul) {
    assert.equal(clmulGcmSivAvailable, true, "polyval.node was built but does not load");
    assert.equal(gcmSivBackend, asked === "noble" || asked === "wasm" ? asked : "clmul");
  } else {
    assert.equal(clmulGcmSivAvailable, false);
    assert.equal(gcmSivBackend, asked === "noble" ? "noble" : "wasm");
    if (!r.built) assert.match(r.reason ?? "", /\S/);
  }
});

const backends = [
  ...(clmulGcmSivAvailable ? [{ name: "clmul", seal: gcmSivSealClmul, open: gcmSivOpenClmul }] : []),
  { name: "wasm", seal: gcmSivSealWasm, open: gcmSivOpenWasm },
];

for (const impl of backends) {
  test(`${impl.name}: RFC 8452 Appendix C.2 and C.3 (AES-256, counter wrap): seal and open`, () => {
    const { cases } = loadFixture("rfc8452-aes256-gcm-siv.json");
    assert.equal(cases.length, 26);
    for (const c of cases) {
      const [key, nonce, pt, aad] = [c.key, c.nonce, c.plaintext, c.aad].map(hexToBytes) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      assert.equal(bytesToHex(impl.seal(key, nonce, pt, aad)), c.result);
      assert.equal(bytesToHex(impl.open(key, nonce, hexToBytes(c.result), aad)!), c.plaintext);
    }
  });

  test(`${impl.name}: property: identical to @noble/ciphers for random keys, nonces, AAD and lengths`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 70000 })),
        (key, nonce, aad, len) => {
          const pt = randomBytes(len);
          const ours = impl.seal(key, nonce, pt, aad);
          assert.deepEqual(ours, gcmsiv(key, nonce, aad).encrypt(pt));
          assert.deepEqual(impl.open(key, nonce, ours, aad), new Uint8Array(pt));
        },
      ),
      { numRuns: 150 },
    );
  });

  test(`${impl.name}: large and unaligned messages up to 2 MiB match @noble/ciphers`, () => {
    for (const len of [1 << 20, (1 << 20) + 17, 2 << 20, (2 << 20) - 5]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const aad = randomBytes(len % 97);
      const pt = randomBytes(len);
      const ours = impl.seal(key, nonce, pt, aad);
      assert.deepEqual(ours, gcmsiv(key, nonce, aad).encrypt(pt), `length ${len}`);
      assert.deepEqual(impl.open(key, nonce, ours, aad), new Uint8Array(pt));
    }
  });

  test(`${impl.name}: property: any flipped bit in ciphertext, tag or AAD fails to open`, () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(40);
    const sealed = impl.seal(key, nonce, randomBytes(100), aad);
    fc.assert(
      fc.property(fc.nat({ max: (sealed.length + aad.length) * 8 - 1 }), (bit) => {
        const s = Uint8Array.from(sealed);
        const a = Uint8Array.from(aad);
        const target = bit < s.length * 8 ? s : a;
        const b = bit < s.length * 8 ? bit : bit - s.length * 8;
        target[b >> 3]! ^= 1 << (b & 7);
        assert.equal(impl.open(key, nonce, s, a), null);
      }),
    );
    assert.equal(impl.open(key, nonce, sealed.subarray(0, 15), aad), null);
    assert.throws(() => impl.seal(randomBytes(16), nonce, sealed, aad), RangeError);
  });
}

for (const backend of ["noble", "wasm"]) {
  test(`the protocol suites also pass with PQCHAT_AEAD=${backend}`, () => {
    const dir = new URL(".", import.meta.url);
    const files = readdirSync(dir)
      .filter((f) => /^(vectors|session|wycheproof|file-.*)\.test\.js$/.test(f))
      .map((f) => new URL(f, dir).pathname);
    assert.ok(files.length >= 5);
    // A nested runner must not inherit the parent runner's reporting channel.
    const env: NodeJS.ProcessEnv = { ...process.env, PQCHAT_AEAD: backend };
    delete env["NODE_TEST_CONTEXT"];
    const r = spawnSync(process.execPath, ["--test", "--test-reporter=tap", ...files], { env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout.slice(-3000));
    assert.match(r.stdout, /# fail 0/);
  });
}
