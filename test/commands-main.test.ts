// The top-level `pqchat` command: --version, --help, unknown commands, and
// `pqchat selftest` (a whole session in memory), as real processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { MAIN_JS, runCli } from "./helpers/server-process.js";
import { clmulGcmSivAvailable } from "../src/protocol/crypto/gcmsiv-clmul.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

test("pqchat --version prints the package and protocol versions", async () => {
  const r = await runCli(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `pqchat ${pkg.version} (protocol 6.0.1)\n`);
});

test("pqchat --help lists every command; no command prints it and exits 1", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0);
  for (const c of ["server", "chat", "gui", "selftest"]) assert.match(r.stdout, new RegExp(`^\\s+${c}\\s`, "m"));
  const bare = await runCli([]);
  assert.equal(bare.code, 1);
  assert.equal(bare.stdout, r.stdout);
});

test("the build leaves the bin executable, so a checkout runs it directly", () => {
  assert.equal(statSync(MAIN_JS).mode & 0o111, 0o111);
  const r = spawnSync(MAIN_JS, ["--version"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `pqchat ${pkg.version} (protocol 6.0.1)\n`);
});

test("an unknown command is one line on stderr and exit code 2", async () => {
  const r = await runCli(["chta"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, `pqchat: unknown command "chta" (try 'pqchat --help')\n`);
});

for (const [backend, label] of [
  ["", clmulGcmSivAvailable ? "OpenSSL AES + POLYVAL with PCLMULQDQ" : "OpenSSL AES + POLYVAL in WebAssembly"],
  ["wasm", "OpenSSL AES + POLYVAL in WebAssembly"],
  ["noble", "@noble/ciphers"],
] as const) {
  test(`pqchat selftest passes${backend ? ` with PQCHAT_AEAD=${backend}` : ""} and names its AES-GCM-SIV backend`, () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (backend) env["PQCHAT_AEAD"] = backend;
    else delete env["PQCHAT_AEAD"];
    const r = spawnSync(process.execPath, [MAIN_JS, "selftest"], { env, encoding: "utf8", timeout: 30000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^handshake: ok \(/m);
    // Eight words from the shipped list, the same on both sides.
    const words = readFileSync(new URL("../../assets/wordlist.txt", import.meta.url), "utf8").split("\n").filter(Boolean);
    const fp = /fingerprint \(both sides\):\n((?: {2}.*\n)+)/.exec(r.stdout);
    assert.ok(fp, r.stdout);
    const shown = fp[1]!.trim().split(/\s+/);
    assert.equal(shown.length, 8);
    for (const w of shown) assert.ok(words.includes(w), `${w} is not in the word list`);
    assert.match(r.stdout, /^messages both ways: ok$/m);
    assert.match(r.stdout, /^rekey and messages under the new keys: ok$/m);
    assert.match(r.stdout, new RegExp(`^AES-256-GCM-SIV: ${label.replace(/[+.]/g, "\\$&")}$`, "m"));
    assert.match(r.stdout, /^selftest passed$/m);
  });
}
