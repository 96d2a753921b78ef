// The receive side's full pass, for when chunks did not arrive in index order
// (or streaming was off): one read of the `.part` file through gunzip (if
// compressed; member-gunzip.ts) and BLAKE2b, with the same bomb guard as the
// streaming pass (in-order-stream.ts, WIRE-NOTES §15.6).
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { CHUNK_SIZE, createFileHasher, type FileMetadata } from "../../protocol/file/metadata.js";
import { Discard, GuardedFileSink, GuardedHasher, gunzipFailure, isZlibError, type StreamResult } from "./in-order-stream.js";
import { MemberGunzip } from "./member-gunzip.js";
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
  if (!m.compressed) {
    const guard = new GuardedHasher(hasher, m.file_size);
    await pipeline(createReadStream(part, { highWaterMark: CHUNK_SIZE }), guard, new Discard(), { signal });
    return { bytes: guard.bytes, digest: hasher.digest("binary"), outPath: null };
  }
  const { path: outPath, handle: outFh } = await temps.create(downloadDir, ".out");
  const sink = new GuardedFileSink(hasher, m.file_size, outFh);
  const gunzip = new MemberGunzip(m.file_size, sink.take);
  try {
    const inFh = await open(part, "r");
    try {
      const buf = Buffer.allocUnsafe(CHUNK_SIZE); // MemberGunzip copies what it keeps
      for (;;) {
        signal.throwIfAborted();
        const { bytesRead } = await inFh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        await gunzip.write(buf.subarray(0, bytesRead));
      }
      await gunzip.end();
    } finally {
      gunzip.destroy();
      await inFh.close();
    }
  } catch (err) {
    throw isZlibError(err) ? gunzipFailure(err) : err;
  } finally {
    await sink.close();
  }
  await temps.remove(part);
  return { bytes: sink.bytes, digest: hasher.digest("binary"), outPath };
}
