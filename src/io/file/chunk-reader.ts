// The sender's chunk source: chunk i is bytes [i × 1 MiB, (i+1) × 1 MiB) of
// the processed stream (WIRE-NOTES §8.3), read from disk one chunk at a time.
import { open } from "node:fs/promises";
import { CHUNK_SIZE, FileTransferError, asFileTransferError } from "../../protocol/file/metadata.js";

export interface ProcessedStream {
  path: string;
  size: number;
  /** The file's mtime when it was hashed: a different one means it was edited since. */
  mtimeMs: number;
  totalChunks: number;
  /** For messages only. */
  filename: string;
}

/**
 * Where chunk `index` (`len` bytes) is read: exactly `len` bytes the consumer
 * owns from then on. The sender hands out space inside the chunk's outgoing
 * frame, so the bytes are sealed where they were read (no copy, no fresh pages).
 */
export type ChunkSpace = (index: number, len: number) => Uint8Array;

/** A NEW buffer per chunk (allocUnsafe is fine: the reader fills every byte or throws before yielding). */
const freshSpace: ChunkSpace = (_index, len) => Buffer.allocUnsafe(len);

/**
 * Every chunk in order (only those `want` accepts, if given), each in a buffer
 * from `space` (default: a NEW one) that the consumer owns. Fails with
 * io_error if the file changed since it was prepared (size or mtime), became
 * shorter while read, or `cleanedUp()` says the temp file is gone.
 */
export async function* readChunks(
  s: ProcessedStream,
  cleanedUp: () => boolean,
  want?: (index: number) => boolean,
  space: ChunkSpace = freshSpace,
): AsyncGenerator<{ index: number; data: Uint8Array }> {
  if (cleanedUp()) throw new FileTransferError("io_error", "The prepared file was already cleaned up.");
  let fh;
  try {
    fh = await open(s.path, "r");
    const now = await fh.stat();
    if (now.size !== s.size || now.mtimeMs !== s.mtimeMs) {
      throw new FileTransferError("io_error", `${s.filename} changed after it was offered; offer it again.`);
    }
  } catch (err) {
    await fh?.close();
    throw asFileTransferError(err, `Cannot read ${s.filename}`);
  }
  try {
    for (let index = 0; index < s.totalChunks; index++) {
      if (want && !want(index)) continue;
      const offset = index * CHUNK_SIZE;
      const len = Math.min(CHUNK_SIZE, s.size - offset);
      const data = space(index, len);
      if (data.length !== len) throw new RangeError("a chunk's space must be exactly as long as the chunk");
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(data, got, len - got, offset + got);
        if (bytesRead === 0) throw new FileTransferError("io_error", `${s.filename} became shorter while sending.`);
        got += bytesRead;
      }
      yield { index, data };
    }
  } catch (err) {
    throw asFileTransferError(err, `Reading ${s.filename} failed`);
  } finally {
    await fh.close();
  }
}
