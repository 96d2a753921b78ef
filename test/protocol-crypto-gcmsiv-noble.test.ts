// AES-256-GCM-SIV from @noble/ciphers (src/protocol/crypto/gcmsiv-noble.ts):
// the reference backend, held to the same contract as ours (noble alone would
// throw its own Error on a bad tag and accept AES-128 keys).
import { wasmGcmSiv } from "../src/protocol/crypto/gcmsiv-wasm.js";
import { nobleGcmSiv } from "../src/protocol/crypto/gcmsiv-noble.js";
import { gcmSivBackendSuite } from "./helpers/aead-backend-suite.js";

gcmSivBackendSuite("noble", nobleGcmSiv, { name: "the WebAssembly backend", seal: wasmGcmSiv.seal });
