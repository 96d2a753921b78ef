// AES-256-GCM-SIV with POLYVAL in WebAssembly (src/protocol/crypto/gcmsiv-wasm.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { endianness } from "node:os";
import { wasmGcmSiv } from "../src/protocol/crypto/gcmsiv-wasm.js";
import { gcmSivBackendSuite, nobleReference } from "./helpers/aead-backend-suite.js";

test("wasm: available on every little-endian platform", () => {
  assert.equal(wasmGcmSiv.available, endianness() === "LE");
  assert.equal(wasmGcmSiv.name, "wasm");
});

gcmSivBackendSuite("wasm", wasmGcmSiv, nobleReference);
