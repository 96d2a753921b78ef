// Which gzip engine this thread uses, decided once at load: libdeflate
// (native/deflate.c) where the addon was built, else node:zlib. Both produce
// standard gzip members, and every receiver accepts any valid gzip stream
// (WIRE-NOTES §8.4), so the choice is about speed only, never the wire.
// PQCHAT_GZIP=zlib asks for node:zlib (the tests run the file suites once that
// way); the variable is read here and nowhere else. Worker threads load this
// module themselves and read the same variable.
import { createRequire } from "node:module";
import { gzip, gzipSync } from "node:zlib";

interface DeflateAddon {
  gzip(input: Uint8Array, level: number): Uint8Array;
  /** gzip() on libuv's thread pool; `input` must not change until it settles. */
  gzipAsync(input: Uint8Array, level: number): Promise<Uint8Array>;
  gunzip(input: Uint8Array, out: Uint8Array): [status: number, usedIn: number, usedOut: number];
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

/** The addon, unless PQCHAT_GZIP=zlib or it is not built. */
const active = process.env["PQCHAT_GZIP"] === "zlib" ? null : addon;

/** "libdeflate" or "zlib": the engine gzipMember and the receiver's gunzip use. */
export const gzipEngine: "libdeflate" | "zlib" = active ? "libdeflate" : "zlib";

/** The level when the user names none and samples cannot be taken (the reference's format, zlib's default). */
export const DEFAULT_GZIP_LEVEL = 6;

/**
 * The cheaper level this engine tries first: libdeflate level 2 compresses at
 * about 0.65× the CPU of its level 6 (11.8 against 18.4 CPU-s per GiB of prose
 * here), zlib level 4 at about 0.7× of zlib's 6. Each keeps the ratio within a
 * few per cent of level 6 on prose but loses 10–18 % on logs and source code,
 * so outgoing.ts uses it only where samples of the file show it keeps up
 * (protocol/file/compression.ts). Any level is valid on the wire: the stream
 * is standard gzip and receivers accept any valid gzip stream (WIRE-NOTES §8.4).
 */
export const FAST_GZIP_LEVEL: number = active ? 2 : 4;

function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError("gzip level must be an integer 0..9");
}

/** One gzip member holding `data`, compressed at zlib-compatible `level` (0..9) on this thread. */
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
 * Decodes the gzip member at the start of `input` into `out` with libdeflate:
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
