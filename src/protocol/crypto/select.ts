// Which AES-256-GCM-SIV backend this process uses, decided once when the
// module loads. All three give the same bytes (test/protocol-crypto-*.test.ts),
// so the choice is about speed and portability only, never about the wire:
//   clmul — the default where the addon was built and the CPU has PCLMULQDQ;
//   wasm  — the portable fallback;
//   noble — the pure-JavaScript reference.
// PQCHAT_AEAD=clmul|wasm|noble asks for one (README "Configuration"); a backend
// this machine cannot run falls back in that order. The same choice decides
// how ENCRYPTED_MESSAGE is sealed and opened: with clmul (the default), in
// one call into the message addon (message-native.ts) where it was built;
// with wasm or noble, step by step in TypeScript (message-crypto.ts), so the
// protocol suites that run once per backend cover both. The variable is read here
// and nowhere else: it is the protocol layer's one look at the environment, a
// tuning knob that cannot change what is sent or accepted. Worker threads load
// this module themselves and read the same variable, so they agree.
import type { GcmSivBackend } from "./backend.js";
import { clmulGcmSiv } from "./gcmsiv-clmul.js";
import { nobleGcmSiv } from "./gcmsiv-noble.js";
import { wasmGcmSiv } from "./gcmsiv-wasm.js";
import { messageAddon, type MessageAddon } from "./message-native.js";

/** Every backend, available here or not (the tests run each one that is). */
export const gcmSivBackends: readonly GcmSivBackend[] = [clmulGcmSiv, wasmGcmSiv, nobleGcmSiv];

/** The backend for a PQCHAT_AEAD value (undefined or unknown: the fastest available). */
export function chooseGcmSiv(asked: string | undefined, backends = { clmul: clmulGcmSiv, wasm: wasmGcmSiv, noble: nobleGcmSiv }): GcmSivBackend {
  if (asked === "noble") return backends.noble;
  if (asked === "wasm") return backends.wasm.available ? backends.wasm : backends.noble;
  if (backends.clmul.available) return backends.clmul;
  return backends.wasm.available ? backends.wasm : backends.noble;
}

export const gcmSiv: GcmSivBackend = chooseGcmSiv(process.env["PQCHAT_AEAD"]);

/** The message addon for a PQCHAT_AEAD value: only with the default (clmul) backend, where it is built. */
export function chooseMessageAddon(asked: string | undefined, addon: MessageAddon | null = messageAddon): MessageAddon | null {
  return asked === "noble" || asked === "wasm" ? null : addon;
}

export const messageNative: MessageAddon | null = chooseMessageAddon(process.env["PQCHAT_AEAD"]);
