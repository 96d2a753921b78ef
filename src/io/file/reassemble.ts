// The receive side's full pass, for when chunks did not arrive in index order
// (or streaming was off): one read of the `.part` file through gunzip (if
// compressed) and BLAKE2b, with the same bomb guard as the streaming pass
// (in-order-stream.ts, WIRE-NOTES §15.6).
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { CHUNK_SIZE, FileTransferError, createFileHasher, type FileMetadata } from "../../protocol/file/metadata.js";
import { Discard, GuardedHasher, GUNZIP_CHUNK, isZlibError, type StreamResult } from "./in-order-stream.js";
import type { OwnedTempFiles } from "./temp-files.js";

/**
 * Hashes (and gunzips into a new `.out` temp file) the content of `part`. For a
 * compressed file `part` is removed as soon as the output is complete, to free
 * the space early. Throws file_too_large, malformed (corrupt gzip) or what the
 * file system threw.
 */
export async function reassembleFromPart(part: string, m: FileMetadata, downloadDir: string, temps: OwnedTempFiles, signal: AbortSignal): Promise<StreamResult> {
  const hasher = await createFileHasher();
  hasher.init();
  const guard = new GuardedHasher(hasher, m.file_size);
  if (!m.compressed) {
    await pipeline(createReadStream(part, { highWaterMark: CHUNK_SIZE }), guard, new Discard(), { signal });
    return { bytes: guard.bytes, digest: hasher.digest("binary"), outPath: null };
  }
  const { path: outPath, handle: outFh } = await temps.create(downloadDir, ".out");
  try {
    await pipeline(
      createReadStream(part, { highWaterMark: CHUNK_SIZE }),
      createGunzip({ chunkSize: GUNZIP_CHUNK }), // multi-member streams and trailing zero bytes are accepted, as by the reference (WIRE-NOTES §8.4)
      guard,
      outFh.createWriteStream(), // closes outFh when done or destroyed
      { signal },
    );
  } catch (err) {
    if (isZlibError(err)) throw new FileTransferError("malformed", "The compressed data is corrupt.", { cause: err });
    throw err;
  }
  await temps.remove(part);
  return { bytes: guard.bytes, digest: hasher.digest("binary"), outPath };
}
