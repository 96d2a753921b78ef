// AES-256-GCM-SIV (RFC 8452) with AES on node:crypto (OpenSSL, AES-NI) and
// POLYVAL, the counter blocks and the XOR in a small C addon using the CPU's
// carry-less multiply (native/polyval.c). It works on the caller's buffers
// directly, so nothing is copied into WebAssembly memory. The default backend
// where the addon was built and the CPU has PCLMULQDQ; elsewhere select.ts
// falls back to gcmsiv-wasm.ts.
import { timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";
import { uninitialized } from "../bytes.js";
import { AuthenticationError, TAG_BYTES, type GcmSivBackend } from "./backend.js";
import { checkArgs, deriveKeys, ecb } from "./gcmsiv-keys.js";

interface ClmulAddon {
  available: boolean;
  polyval(h: Uint8Array, s: Uint8Array, data: Uint8Array): void;
  ctrBlocks(iv: Uint8Array, out: Uint8Array): void;
  /** dst = a ^ ks, then ks is zeroed. */
  xorWipe(dst: Uint8Array, a: Uint8Array, ks: Uint8Array): void;
}

function loadAddon(): ClmulAddon | null {
  try {
    const addon = createRequire(import.meta.url)("./native/polyval.node") as ClmulAddon;
    return addon.available ? addon : null;
  } catch {
    return null;
  }
}

const addon = loadAddon();

/** True when the PCLMULQDQ addon is built and this CPU can run it. */
export const clmulGcmSivAvailable = addon !== null;

/** The addon; calling this backend where it is unavailable is a programming error, not a forgery. */
function usable(): ClmulAddon {
  if (!addon) throw new Error("the PCLMULQDQ AES-GCM-SIV backend is not available on this machine");
  return addon;
}

/** RFC 8452 §4 steps 4–6: POLYVAL over aad, plaintext and the length block, then the tag. */
function computeTag(a: ClmulAddon, auth: Uint8Array, enc: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Buffer {
  const s = new Uint8Array(16);
  if (aad.length) a.polyval(auth, s, aad);
  if (pt.length) a.polyval(auth, s, pt);
  const lengths = new Uint8Array(16);
  const dv = new DataView(lengths.buffer);
  dv.setBigUint64(0, BigInt(aad.length) * 8n, true);
  dv.setBigUint64(8, BigInt(pt.length) * 8n, true);
  a.polyval(auth, s, lengths);
  for (let i = 0; i < 12; i++) s[i]! ^= nonce[i]!;
  s[15]! &= 0x7f;
  const tag = ecb(enc, s);
  s.fill(0);
  return tag;
}

/** Counter blocks are public (they are built from the tag), so one scratch buffer serves every call. */
let counters = new Uint8Array(0);

/** out = input XOR the AES-CTR keystream from the tag (RFC 8452 §4 step 8). */
function ctrXor(a: ClmulAddon, enc: Uint8Array, tag: Uint8Array, input: Uint8Array, out: Uint8Array): void {
  if (input.length === 0) return;
  const iv = Uint8Array.from(tag);
  iv[15]! |= 0x80;
  const len = (input.length + 15) & ~15;
  if (counters.length < len) counters = new Uint8Array(len);
  const blocks = counters.subarray(0, len);
  a.ctrBlocks(iv, blocks);
  a.xorWipe(out, input, ecb(enc, blocks));
}

export function gcmSivSealClmul(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array): Uint8Array {
  checkArgs(key, nonce);
  const a = usable();
  const { auth, enc } = deriveKeys(key, nonce);
  try {
    const tag = computeTag(a, auth, enc, nonce, aad, pt);
    const out = uninitialized(pt.length + 16); // written whole: keystream XOR, then the tag
    ctrXor(a, enc, tag, pt, out.subarray(0, pt.length));
    out.set(tag, pt.length);
    return out;
  } finally {
    auth.fill(0);
    enc.fill(0);
  }
}

/** Throws AuthenticationError when the tag does not verify; the plaintext is then wiped, never returned. */
export function gcmSivOpenClmul(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  checkArgs(key, nonce);
  const a = usable();
  if (sealed.length < TAG_BYTES) throw new AuthenticationError();
  const n = sealed.length - TAG_BYTES;
  const tag = sealed.subarray(n);
  const { auth, enc } = deriveKeys(key, nonce);
  try {
    const pt = uninitialized(n); // written whole by the keystream XOR
    ctrXor(a, enc, tag, sealed.subarray(0, n), pt);
    const expected = computeTag(a, auth, enc, nonce, aad, pt);
    if (!timingSafeEqual(expected, tag)) {
      pt.fill(0);
      throw new AuthenticationError();
    }
    return pt;
  } finally {
    auth.fill(0);
    enc.fill(0);
  }
}

export const clmulGcmSiv: GcmSivBackend = {
  name: "clmul",
  available: clmulGcmSivAvailable,
  description: "OpenSSL AES + POLYVAL with PCLMULQDQ",
  seal: gcmSivSealClmul,
  open: gcmSivOpenClmul,
};
