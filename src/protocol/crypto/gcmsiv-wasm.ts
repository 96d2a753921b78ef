// AES-256-GCM-SIV (RFC 8452), portable: AES block operations on
// node:crypto (OpenSSL, AES-NI) and POLYVAL in constant-time WebAssembly
// (wasm/polyval.wat). The fallback where the PCLMULQDQ addon cannot run, and
// selectable with PQCHAT_AEAD=wasm; same results as gcmsiv-noble.ts.
import { timingSafeEqual } from "node:crypto";
import { readPackageAsset } from "../assets.js";
import { endianness } from "node:os";
import { AuthenticationError, TAG_BYTES, type GcmSivBackend } from "./backend.js";
import { checkArgs, deriveKeys, ecb } from "./gcmsiv-keys.js";

// Just the WebAssembly surface used here (@types/node 20 does not declare it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface PolyvalExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  polyval(s: number, h: number, data: number, nblocks: number): void;
  ctr_blocks(out: number, iv: number, nblocks: number): void;
  xor_into(dst: number, src: number, len: number): void;
}

const S = 0; // POLYVAL state
const H = 16; // POLYVAL key
const IV = 32; // counter block / tag input
const DATA = 64; // aad || pt (padded) || length block, then keystream

let wasm: PolyvalExports | null = null;
let mem: Uint8Array = new Uint8Array(0);

function load(): PolyvalExports {
  if (!wasm) {
    const bytes = readPackageAsset(new URL("./wasm/polyval.wasm", import.meta.url));
    wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as PolyvalExports;
    mem = new Uint8Array(wasm.memory.buffer);
  }
  return wasm;
}

function ensure(bytes: number): void {
  const w = load();
  if (w.memory.buffer.byteLength < bytes) {
    w.memory.grow(Math.ceil((bytes - w.memory.buffer.byteLength) / 65536));
  }
  if (mem.buffer !== w.memory.buffer) mem = new Uint8Array(w.memory.buffer);
}

/** The WebAssembly path assumes little-endian memory, like every Node platform we ship for. */
export const wasmGcmSivAvailable = endianness() === "LE";

const pad16 = (n: number) => (n + 15) & ~15;

/**
 * POLYVAL over aad || pt (already in memory at DATA, padded) plus the length
 * block, then the tag (RFC 8452 §4 steps 4–6). Returns the 16-byte tag.
 */
function computeTag(auth: Uint8Array, enc: Uint8Array, nonce: Uint8Array, aadLen: number, ptLen: number): Buffer {
  const w = load();
  const lenOff = DATA + pad16(aadLen) + pad16(ptLen);
  const dv = new DataView(mem.buffer, lenOff, 16);
  dv.setBigUint64(0, BigInt(aadLen) * 8n, true);
  dv.setBigUint64(8, BigInt(ptLen) * 8n, true);
  mem.fill(0, S, S + 16);
  mem.set(auth, H);
  w.polyval(S, H, DATA, (lenOff + 16 - DATA) >> 4);
  for (let i = 0; i < 12; i++) mem[S + i]! ^= nonce[i]!;
  mem[S + 15]! &= 0x7f;
  return ecb(enc, mem.subarray(S, S + 16));
}

/** Keystream XOR at `at` (len bytes) from the counter block in IV; scratch after `scratch`. */
function ctrXor(enc: Uint8Array, at: number, len: number, scratch: number): void {
  const w = load();
  const blocks = pad16(len) >> 4;
  w.ctr_blocks(scratch, IV, blocks);
  const ks = ecb(enc, mem.subarray(scratch, scratch + blocks * 16));
  mem.set(ks, scratch);
  ks.fill(0);
  w.xor_into(at, scratch, len);
}

export function gcmSivSealWasm(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array): Uint8Array {
  checkArgs(key, nonce);
  const aadPad = pad16(aad.length);
  const ptPad = pad16(pt.length);
  const scratch = DATA + aadPad + ptPad + 16;
  ensure(scratch + ptPad);
  const { auth, enc } = deriveKeys(key, nonce);
  try {
    mem.set(aad, DATA);
    mem.fill(0, DATA + aad.length, DATA + aadPad);
    mem.set(pt, DATA + aadPad);
    mem.fill(0, DATA + aadPad + pt.length, DATA + aadPad + ptPad);
    const tag = computeTag(auth, enc, nonce, aad.length, pt.length);
    mem.set(tag, IV);
    mem[IV + 15]! |= 0x80;
    ctrXor(enc, DATA + aadPad, pt.length, scratch);
    const out = new Uint8Array(pt.length + 16);
    out.set(mem.subarray(DATA + aadPad, DATA + aadPad + pt.length), 0);
    out.set(tag, pt.length);
    return out;
  } finally {
    auth.fill(0);
    enc.fill(0);
    mem.fill(0, 0, scratch + ptPad);
  }
}

/** Throws AuthenticationError when the tag does not verify (the WebAssembly memory is wiped either way). */
export function gcmSivOpenWasm(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  checkArgs(key, nonce);
  if (sealed.length < TAG_BYTES) throw new AuthenticationError();
  const n = sealed.length - TAG_BYTES;
  const tag = sealed.subarray(n);
  const aadPad = pad16(aad.length);
  const ptPad = pad16(n);
  const scratch = DATA + aadPad + ptPad + 16;
  ensure(scratch + ptPad);
  const { auth, enc } = deriveKeys(key, nonce);
  try {
    mem.set(tag, IV);
    mem[IV + 15]! |= 0x80;
    mem.set(sealed.subarray(0, n), DATA + aadPad);
    ctrXor(enc, DATA + aadPad, n, scratch);
    mem.fill(0, DATA + aadPad + n, DATA + aadPad + ptPad);
    mem.set(aad, DATA);
    mem.fill(0, DATA + aad.length, DATA + aadPad);
    const expected = computeTag(auth, enc, nonce, aad.length, n);
    if (!timingSafeEqual(expected, tag)) throw new AuthenticationError();
    return mem.slice(DATA + aadPad, DATA + aadPad + n);
  } finally {
    auth.fill(0);
    enc.fill(0);
    mem.fill(0, 0, scratch + ptPad);
  }
}

export const wasmGcmSiv: GcmSivBackend = {
  name: "wasm",
  available: wasmGcmSivAvailable,
  description: "OpenSSL AES + POLYVAL in WebAssembly",
  seal: gcmSivSealWasm,
  open: gcmSivOpenWasm,
};
