// The FILE_CHUNK open and seal in place (native/chunk.c): the double AEAD of
// WIRE-NOTES §6.3 undone inside the ciphertext's own memory, or done over the
// padded plaintext inside the frame being built, so a big chunk costs no
// fresh buffers either way. Loaded once; null where it was not built, the CPU
// lacks PCLMULQDQ, or select.ts chose a backend other than clmul (wasm and
// noble keep every file chunk on the TypeScript path, so the suites run once
// per backend cover both).
import { createRequire } from "node:module";
import { clmulGcmSiv } from "./gcmsiv-clmul.js";
import { gcmSiv } from "./select.js";

export interface ChunkAddon {
  available: boolean;
  /**
   * Opens `buf` (ChaCha20-Poly1305 ciphertext || tag over the AES-256-GCM-SIV
   * ciphertext || tag of the padded plaintext) in place: the unpadded
   * plaintext length at buf[0..], or -1 when a tag or the padding is refused
   * (buf is then zeroed).
   */
  openInPlace(aesKey: Uint8Array, chachaKey: Uint8Array, aesNonce: Uint8Array, chachaNonce: Uint8Array, aad: Uint8Array, buf: Uint8Array): number;
  /**
   * Seals in place: `buf` holds the padded plaintext (a positive multiple of
   * 64 bytes) and 32 bytes more, and becomes the ChaCha20-Poly1305 ciphertext
   * || tag of the AES-256-GCM-SIV ciphertext || tag. False if OpenSSL refused
   * (buf is then zeroed); RangeError for a bad length.
   */
  sealInPlace(aesKey: Uint8Array, chachaKey: Uint8Array, aesNonce: Uint8Array, chachaNonce: Uint8Array, aad: Uint8Array, buf: Uint8Array): boolean;
}

function load(): ChunkAddon | null {
  try {
    const addon = createRequire(import.meta.url)("./native/chunk.node") as ChunkAddon;
    return addon.available ? addon : null;
  } catch {
    return null;
  }
}

/** The addon where it is built and usable here (see chooseChunkAddon). */
export const chunkAddonBuilt: ChunkAddon | null = load();

/** The addon for the AES-GCM-SIV backend in use: only with clmul, the default. */
export function chooseChunkAddon(backend: { name: string }, addon: ChunkAddon | null = chunkAddonBuilt): ChunkAddon | null {
  return backend === clmulGcmSiv ? addon : null;
}

export const chunkNative: ChunkAddon | null = chooseChunkAddon(gcmSiv);
