// The floor of each part of a transfer, in CPU-seconds per GiB on one thread
// of this machine, measured in the benchmark's own process: what a role's
// figure in bench:transfer cannot go below while it does that part. Printed
// beneath the transfer table so a target out of reach can be argued from it.
import { describeMix, memberLevel, type LevelMix } from "../src/protocol/file/compression.js";
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { tuneAllocatorForBulkCrypto } from "../src/io/allocator.js";
import { gunzipEngine, gzipEngine, gzipMember, levelName } from "../src/io/deflate.js";
import { GZIP_BLOCK } from "../src/io/file/gzip-members.js";
import { MemberGunzip } from "../src/io/file/member-gunzip.js";
import { doubleDecryptInPlace, doubleEncryptPartsInto, sealedLength } from "../src/protocol/aead.js";
import { chunkNative } from "../src/protocol/crypto/chunk-native.js";
import { createFileHasher } from "../src/protocol/file/metadata.js";
import { nativeBlake2bAvailable } from "../src/protocol/crypto/blake2b-native.js";

const MiB = 1024 * 1024;

/** CPU seconds per GiB of `bytes` processed by `fn` (after one warm-up call). */
function cpuPerGiB(bytes: number, fn: () => void): number {
  fn();
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6 / (bytes / (1024 * MiB));
}

async function cpuPerGiBAsync(bytes: number, fn: () => Promise<void>): Promise<number> {
  await fn();
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6 / (bytes / (1024 * MiB));
}

export type FloorKey = "hash" | "seal" | "open" | "copy" | "gzip" | "gunzip";

/** [key, what was measured, CPU-s per GiB] for the parts of a transfer; `text` is a sample of the benchmark's text file, its members gzipped at the levels of `mix`. */
export async function measureFloors(text: Uint8Array, mix: LevelMix): Promise<[FloorKey, string, number][]> {
  tuneAllocatorForBulkCrypto(); // as the clients do
  const rows: [FloorKey, string, number][] = [];
  const chunk = randomBytes(MiB);
  const N = 64;
  const hasher = await createFileHasher();
  rows.push([
    "hash",
    nativeBlake2bAvailable ? "BLAKE2b-256 (OpenSSL's, native/blake2b.c)" : "BLAKE2b-256 (hash-wasm, warm)",
    cpuPerGiB(N * MiB, () => {
      hasher.init();
      for (let i = 0; i < N; i++) hasher.update(chunk);
      hasher.digest("binary");
    }),
  ]);
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = randomBytes(64);
  const header = new Uint8Array(80);
  let sealed: Uint8Array = new Uint8Array(0);
  const frame = new Uint8Array(48 + sealedLength(header.length + MiB));
  rows.push([
    "seal",
    `double AEAD seal of 1 MiB chunks (as the sender seals: in place inside the frame${chunkNative ? ", the chunk addon" : ", TypeScript and a copy"})`,
    cpuPerGiB(N * MiB, () => {
      for (let i = 0; i < N; i++) sealed = doubleEncryptPartsInto(key, nonce, [header, chunk], aad, frame, 48);
    }),
  ]);
  const ct = sealed.subarray(48);
  // As the receiver opens a chunk: inside its own frame (a copy of the ciphertext into one reused buffer each time).
  const opened = new Uint8Array(ct.length);
  rows.push([
    "open",
    `double AEAD open of 1 MiB chunks, in place (${chunkNative ? "chunk addon" : "TypeScript and a copy"})`,
    cpuPerGiB(N * MiB, () => {
      for (let i = 0; i < N; i++) {
        opened.set(ct);
        doubleDecryptInPlace(key, nonce, opened, aad);
      }
    }),
  ]);
  const scratch = new Uint8Array(MiB);
  rows.push([
    "copy",
    "memcpy of 1 MiB (one copy of the data)",
    cpuPerGiB(N * 16 * MiB, () => {
      for (let i = 0; i < N * 16; i++) scratch.set(chunk);
    }),
  ]);
  const blocks: Uint8Array[] = [];
  for (let off = 0; off + GZIP_BLOCK <= text.length; off += GZIP_BLOCK) blocks.push(text.subarray(off, off + GZIP_BLOCK));
  const textBytes = blocks.length * GZIP_BLOCK;
  let members: Uint8Array[] = [];
  rows.push([
    "gzip",
    `gzip ${describeMix(mix, levelName)} (${gzipEngine}, ${GZIP_BLOCK / MiB} MiB members, as the sender chose for the text) per GiB of text`,
    cpuPerGiB(textBytes, () => {
      members = blocks.map((b, i) => gzipMember(b, memberLevel(mix, i)));
    }),
  ]);
  const stream = Buffer.concat(members);
  if (gunzipSync(stream).length !== textBytes) throw new Error("floors: the gzip round trip failed");
  rows.push([
    "gunzip",
    `gunzip (${gunzipEngine}) per GiB of text`,
    await cpuPerGiBAsync(textBytes, async () => {
      const g = new MemberGunzip(textBytes, () => undefined);
      for (let off = 0; off < stream.length; off += MiB) await g.write(stream.subarray(off, off + MiB));
      await g.end();
    }),
  ]);
  return rows;
}
