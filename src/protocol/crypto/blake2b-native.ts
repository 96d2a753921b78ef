// BLAKE2b-256 through OpenSSL's own BLAKE2b (native/blake2b.c), for the
// whole-file hash of WIRE-NOTES §8.2: faster than the WebAssembly hasher and
// without copying every byte into WebAssembly memory first. Null where the
// addon was not built or OpenSSL's functions are missing or failed their
// known-answer check at load (file/metadata.ts then uses hash-wasm).
import { createRequire } from "node:module";

interface Blake2bAddon {
  available: boolean;
  ctxBytes: number;
  init(ctx: Uint8Array): void;
  update(ctx: Uint8Array, data: Uint8Array): void;
  final(ctx: Uint8Array, out: Uint8Array): void;
}

function load(): Blake2bAddon | null {
  try {
    const addon = createRequire(import.meta.url)("./native/blake2b.node") as Blake2bAddon;
    return addon.available ? addon : null;
  } catch {
    return null;
  }
}

const addon = load();

/** True when OpenSSL's BLAKE2b is in use for file hashes. */
export const nativeBlake2bAvailable = addon !== null;

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

/** One running BLAKE2b-256 (the interface of hash-wasm's IHasher that the file pipeline uses). */
export class NativeBlake2b256 {
  /** OpenSSL's context, in a buffer of its own (8-byte aligned, as the addon requires). */
  private readonly ctx: Uint8Array;

  private constructor(private readonly a: Blake2bAddon) {
    this.ctx = new Uint8Array(a.ctxBytes);
  }

  /** A new hasher, or null without the addon. */
  static create(): NativeBlake2b256 | null {
    return addon ? new NativeBlake2b256(addon) : null;
  }

  init(): this {
    this.a.init(this.ctx);
    return this;
  }

  update(data: Uint8Array): this {
    this.a.update(this.ctx, data);
    return this;
  }

  digest(format: "binary"): Uint8Array;
  digest(format?: "hex"): string;
  digest(format: "binary" | "hex" = "hex"): Uint8Array | string {
    const out = new Uint8Array(32);
    this.a.final(this.ctx, out);
    return format === "binary" ? out : hex(out);
  }
}
