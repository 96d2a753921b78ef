// Which AES-256-GCM-SIV backend a process uses (src/protocol/crypto/select.ts),
// and that the choice never shows: every backend this machine can run gives the
// same bytes and fails the same way, and the protocol suites pass under each.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import type { GcmSivBackend } from "../src/protocol/crypto/backend.js";
import { chooseGcmSiv, gcmSiv, gcmSivBackends } from "../src/protocol/crypto/select.js";
import { clmulGcmSiv } from "../src/protocol/crypto/gcmsiv-clmul.js";
import { wasmGcmSiv } from "../src/protocol/crypto/gcmsiv-wasm.js";
import { nobleGcmSiv } from "../src/protocol/crypto/gcmsiv-noble.js";
import { gcmSivBackend } from "../src/protocol/primitives.js";
import { thrown } from "./helpers/wycheproof.js";

const usable = gcmSivBackends.filter((b) => b.available);

test("the PCLMULQDQ backend is the default where it runs, else WebAssembly; PQCHAT_AEAD picks another", () => {
  const asked = process.env["PQCHAT_AEAD"];
  if (clmulGcmSiv.available) assert.equal(gcmSiv.name, asked === "noble" || asked === "wasm" ? asked : "clmul");
  else assert.equal(gcmSiv.name, asked === "noble" ? "noble" : "wasm");
  assert.equal(gcmSivBackend, gcmSiv.name, "primitives.ts names the backend select.ts chose");
});

test("chooseGcmSiv: each PQCHAT_AEAD value on machines with and without each accelerator", () => {
  const fake = (name: GcmSivBackend["name"], available: boolean): GcmSivBackend => ({ ...nobleGcmSiv, name, available });
  const table: [string | undefined, boolean, boolean, string][] = [
    // asked, clmul runs, wasm runs, chosen
    [undefined, true, true, "clmul"],
    [undefined, false, true, "wasm"],
    [undefined, false, false, "noble"],
    ["clmul", true, true, "clmul"],
    ["clmul", false, true, "wasm"],
    ["wasm", true, true, "wasm"],
    ["wasm", true, false, "noble"],
    ["noble", true, true, "noble"],
    ["something-else", true, true, "clmul"],
    ["", false, true, "wasm"],
  ];
  for (const [asked, c, w, chosen] of table) {
    const got = chooseGcmSiv(asked, { clmul: fake("clmul", c), wasm: fake("wasm", w), noble: fake("noble", true) });
    assert.equal(got.name, chosen, `PQCHAT_AEAD=${asked} clmul=${c} wasm=${w}`);
  }
});

test("every backend this machine runs gives the same bytes, and the WebAssembly and noble ones always run", () => {
  assert.ok(usable.includes(wasmGcmSiv) && usable.includes(nobleGcmSiv));
  for (const len of [0, 1, 15, 16, 17, 64, 1000, 70000]) {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(len % 50);
    const pt = randomBytes(len);
    const outs = usable.map((b) => Buffer.from(b.seal(key, nonce, pt, aad)).toString("hex"));
    assert.equal(new Set(outs).size, 1, `length ${len}: ${usable.map((b) => b.name).join(", ")} disagree`);
    for (const b of usable) assert.deepEqual(b.open(key, nonce, Buffer.from(outs[0]!, "hex"), aad), new Uint8Array(pt), b.name);
  }
});

test("every backend fails a forged tag, a short input and a wrong key with the same error class and message", () => {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const sealed = wasmGcmSiv.seal(key, nonce, randomBytes(80), new Uint8Array(0));
  const forged = Uint8Array.from(sealed);
  forged[forged.length - 1]! ^= 0x80;
  const cases: [string, () => Uint8Array][] = [];
  for (const b of usable) {
    cases.push([`${b.name} forged tag`, () => b.open(key, nonce, forged, new Uint8Array(0))]);
    cases.push([`${b.name} 15 bytes`, () => b.open(key, nonce, sealed.subarray(0, 15), new Uint8Array(0))]);
    cases.push([`${b.name} other key`, () => b.open(randomBytes(32), nonce, sealed, new Uint8Array(0))]);
  }
  const seen = cases.map(([what, fn]) => {
    const e = thrown(fn);
    assert.ok(e instanceof Error, `${what} did not throw`);
    return `${e.constructor.name}/${e.name}/${e.message}`;
  });
  assert.deepEqual(new Set(seen), new Set(["AuthenticationError/AuthenticationError/authentication failed"]));
});

for (const backend of ["noble", "wasm"]) {
  test(`the protocol suites also pass with PQCHAT_AEAD=${backend}`, () => {
    const dir = new URL(".", import.meta.url);
    const files = readdirSync(dir)
      .filter((f) => /^(protocol-(handshake|fingerprint|messages-vectors|file-vectors|rekey|session|primitives|aead|kdf|file-metadata|file-names)|io-file-(pipeline|transfer))\.test\.js$/.test(f))
      .map((f) => new URL(f, dir).pathname);
    // Every suite that goes through the selected backend; a renamed file must not drop out unnoticed.
    assert.equal(files.length, 13);
    // A nested runner must not inherit the parent runner's reporting channel.
    const env: NodeJS.ProcessEnv = { ...process.env, PQCHAT_AEAD: backend };
    delete env["NODE_TEST_CONTEXT"];
    const r = spawnSync(process.execPath, ["--test", "--test-reporter=tap", ...files], { env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout.slice(-3000));
    assert.match(r.stdout, /# fail 0/);
  });
}
