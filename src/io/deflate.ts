// Which gzip engine this thread uses, decided once at load: libdeflate
// (native/deflate.c) where the addon was built, else node:zlib. Both produce
// standard gzip members, and every receiver accepts any valid gzip stream
// (WIRE-NOTES §8.4), so the choice is about speed only, never the wire.
// PQCHAT_GZIP=zlib asks for node:zlib, PQCHAT_GZIP=libdeflate for libdeflate
// without ISA-L (the tests run the file suites once each way); the variable is
// read here and nowhere else. Worker threads load this
// module themselves and read the same variable.
import { createRequire } from "node:module";
import { gzip, gzipSync } from "node:zlib";

interface DeflateAddon {
  gzip(input: Uint8Array, level: number): Uint8Array;
  /** gzip() on libuv's thread pool; `input` must not change until it settles. */
  gzipAsync(input: Uint8Array, level: number): Promise<Uint8Array>;
  /** The same into `out` (at least gzipBound(input.length) bytes): resolves with the member's length; neither may be touched until it settles. */
  gzipAsync(input: Uint8Array, level: number, out: Uint8Array): Promise<number>;
  gzipBound(n: number): number;
  gunzip(input: Uint8Array, out: Uint8Array): [status: number, usedIn: number, usedOut: number];
  /** The level number of ISA-L's igzip, where the addon was built with ISA-L. */
  igzipLevel?: number;
  /** Whether gunzip may use ISA-L (default true). */
  setIgzip(on: boolean): void;
}

/** libdeflate's result codes (libdeflate.h). */
export const GUNZIP_OK = 0;
export const GUNZIP_BAD_DATA = 1;
export const GUNZIP_NO_ROOM = 3;

function loadAddon(): DeflateAddon | null {
  try {
    return createRequire(import.meta.url)("./native/deflate.node") as DeflateAddon;
  } catch {
    return null;
  }
}

const addon = loadAddon();

/** True when the libdeflate addon was built and loads here (whatever PQCHAT_GZIP says). */
export const libdeflateBuilt = addon !== null;

/** True when the addon was built with ISA-L's igzip too. */
export const igzipBuilt = addon?.igzipLevel !== undefined;

/** The addon, unless PQCHAT_GZIP=zlib or it is not built. */
const active = process.env["PQCHAT_GZIP"] === "zlib" ? null : addon;

/** ISA-L is used where it is built in, unless PQCHAT_GZIP=libdeflate. */
const igzipOn = active !== null && igzipBuilt && process.env["PQCHAT_GZIP"] !== "libdeflate";
if (active && !igzipOn) active.setIgzip(false);

/** "libdeflate" or "zlib": the engine gzipMember and the receiver's gunzip use. */
export const gzipEngine: "libdeflate" | "zlib" = active ? "libdeflate" : "zlib";

/** The level when the user names none and samples cannot be taken (the reference's format, zlib's default). */
export const DEFAULT_GZIP_LEVEL = 6;

/**
 * The dearer of this engine's cheaper levels: libdeflate level 2 compresses at
 * about 0.55× the CPU of its level 6 (11.7 against 21.4 CPU-s per GiB of prose
 * here), zlib level 4 at about 0.7× of zlib's 6. Each keeps the ratio within a
 * few per cent of level 6 on prose but loses 10–18 % on logs and source code,
 * so outgoing.ts uses it only as far as samples of the file show it keeps up
 * (protocol/file/compression.ts). Any level is valid on the wire: the stream
 * is standard gzip and receivers accept any valid gzip stream (WIRE-NOTES §8.4).
 */
export const FAST_GZIP_LEVEL: number = active ? 2 : 4;

/**
 * ISA-L's igzip at its level 3, as one more level beside zlib's 0..9, where
 * the addon was built with ISA-L (else null). On the benchmark's prose it
 * compresses at 3.8-4.9 CPU-s per GiB against libdeflate level 1's 9.4-10.3,
 * for a ratio of 1.985 against 2.007 (level 6: 2.112), so a mix of igzip and
 * libdeflate level 2 keeps a given ratio for less CPU than any mix of
 * libdeflate's levels 1 and 2. Its members are standard gzip (WIRE-NOTES §8.4).
 */
export const IGZIP_LEVEL: number | null = (igzipOn && active?.igzipLevel) || null;

/**
 * The cheaper levels the sender's samples try, cheapest first: igzip where
 * it is built, else libdeflate's 1 (9-10 CPU-s per GiB of prose, 95 % of level
 * 6's ratio there); then libdeflate's 2. node:zlib's 4 only (its level 1
 * loses far more).
 */
export const CHEAP_GZIP_LEVELS: readonly number[] = IGZIP_LEVEL !== null ? [IGZIP_LEVEL, FAST_GZIP_LEVEL] : active ? [1, FAST_GZIP_LEVEL] : [FAST_GZIP_LEVEL];

/** How a level reads in reports: "igzip" for IGZIP_LEVEL, else its number. */
export function levelName(level: number): string {
  return level === IGZIP_LEVEL ? "igzip" : String(level);
}

function checkLevel(level: number): void {
  if (level === IGZIP_LEVEL) return;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError("gzip level must be an integer 0..9");
}

/** One gzip member holding `data`, compressed at zlib-compatible `level` (0..9, or IGZIP_LEVEL) on this thread. */
export function gzipMember(data: Uint8Array, level: number): Uint8Array {
  checkLevel(level);
  if (active) return active.gzip(data, level);
  const z = gzipSync(data, { level });
  return new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
}

/**
 * gzipMember on libuv's thread pool (libdeflate's or node:zlib's job there):
 * members compress in parallel without a worker thread of our own, whose start
 * would cost more CPU than a whole file of a few MiB. `data` must not change
 * until the promise settles.
 */
export function gzipMemberAsync(data: Uint8Array, level: number): Promise<Uint8Array> {
  try {
    checkLevel(level);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  if (active) return active.gzipAsync(data, level);
  return new Promise((resolve, reject) => gzip(data, { level }, (err, z) => (err ? reject(err) : resolve(new Uint8Array(z.buffer, z.byteOffset, z.byteLength)))));
}

/**
 * Bytes an output buffer for gzipMemberAsync's `out` needs for `n` input
 * bytes; 0 when this engine always makes its own output buffers (node:zlib).
 */
export function gzipOutputBound(n: number): number {
  return active ? active.gzipBound(n) : 0;
}

/**
 * gzipMemberAsync into `out` where the engine can (libdeflate, and `out` at
 * least gzipOutputBound(data.length) bytes): a stream of members then reuses
 * its output buffers instead of a fresh one per member, whose pages fault in
 * one by one on these machines. Resolves with the member, a view of `out`
 * (else a new buffer). Neither buffer may change until it settles.
 */
export function gzipMemberAsyncInto(data: Uint8Array, level: number, out: Uint8Array): Promise<Uint8Array> {
  if (!active || out.length < active.gzipBound(data.length)) return gzipMemberAsync(data, level);
  try {
    checkLevel(level);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return active.gzipAsync(data, level, out).then((n) => out.subarray(0, n));
}

/** The engine that decodes members: ISA-L where built in (libdeflate still takes headers with optional fields), else libdeflate or node:zlib. */
export const gunzipEngine: "ISA-L" | "libdeflate" | "zlib" = active ? (igzipOn ? "ISA-L" : "libdeflate") : "zlib";

/**
 * Decodes the gzip member at the start of `input` into `out` with libdeflate
 * (ISA-L's inflate where built in and the header is a plain one, about 19 %
 * cheaper on text here, deflate.c):
 * status GUNZIP_OK with the bytes used on each side, GUNZIP_BAD_DATA (corrupt
 * or incomplete) or GUNZIP_NO_ROOM (`out` too small). Never writes past
 * `out`. Null when libdeflate is not in use (the caller then uses node:zlib).
 */
export const gunzipMember: ((input: Uint8Array, out: Uint8Array) => { status: number; usedIn: number; usedOut: number }) | null = active
  ? (input, out) => {
      const [status, usedIn, usedOut] = active.gunzip(input, out);
      return { status, usedIn, usedOut };
    }
  : null;
