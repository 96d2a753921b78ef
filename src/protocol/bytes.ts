// Byte helpers shared by every protocol module. Kept tiny and dependency-free.
import { timingSafeEqual } from "node:crypto";

export const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

export function toBytes(s: string): Uint8Array {
  return utf8.encode(s);
}

/** Strict UTF-8 decode; throws on invalid sequences (WIRE-NOTES §7 step 7). */
export function fromUtf8(b: Uint8Array): string {
  return utf8Strict.decode(b);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError("invalid hex");
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** RFC 4648 standard base64 with padding (WIRE-NOTES §1). */
export function b64encode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

/**
 * Strict base64: canonical alphabet and padding only, else throws. Node's
 * decoder skips invalid characters, so a string is accepted only if it
 * re-encodes to itself (which also rejects non-canonical trailing bits).
 */
export function b64decodeStrict(s: string): Uint8Array {
  const out = Buffer.from(s, "base64");
  if (out.toString("base64") !== s) throw new TypeError("invalid base64");
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Unsigned 64-bit little-endian (WIRE-NOTES §1, the ratchet salt). */
export function le64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

export function be32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, false);
  return b;
}

/**
 * A buffer of n bytes with its own ArrayBuffer (transferable to a worker),
 * NOT zeroed: only for outputs that are written whole before anyone reads
 * them. Zeroing fresh megabyte buffers is a measurable share of the file
 * pipeline (measured with bench/file-pipeline.ts).
 */
export function uninitialized(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** Constant-time equality for secrets and MACs. */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Best-effort erasure of key material (SPEC §17, §20.1). */
export function wipe(...bufs: (Uint8Array | undefined | null)[]): void {
  for (const b of bufs) if (b) b.fill(0);
}

/** Unsigned bytewise lexicographic comparison; a prefix sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
