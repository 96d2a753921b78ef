// Which chunks of an incoming file have arrived, as data: the receive side's
// bookkeeping of WIRE-NOTES §8.3 (every chunk but the last is exactly 1 MiB)
// and WIRE-NOTES §8.5 step 7 (index in range, counted once), stricter than the reference
// where it trusts the peer (WIRE-NOTES §15.6: lengths must match the metadata).
// No I/O: io/file/incoming.ts writes the bytes and asks this ledger first.
import { CHUNK_SIZE, FileTransferError, type FileMetadata } from "./metadata.js";

/** The exact length of chunk `index` of a stream described by `m` (WIRE-NOTES §8.3). */
export function expectedChunkLength(m: Pick<FileMetadata, "total_chunks" | "processed_size">, index: number): number {
  return index < m.total_chunks - 1 ? CHUNK_SIZE : m.processed_size - index * CHUNK_SIZE;
}

export class ChunkLedger {
  private readonly got: Uint8Array;
  private _received = 0;
  private _bytes = 0;

  constructor(private readonly metadata: Pick<FileMetadata, "total_chunks" | "processed_size">) {
    this.got = new Uint8Array(metadata.total_chunks);
  }

  /** Throws chunk_rejected for an index outside [0, total_chunks) or a length that does not match the metadata. */
  check(index: number, length: number): void {
    const m = this.metadata;
    if (!Number.isSafeInteger(index) || index < 0 || index >= m.total_chunks) {
      throw new FileTransferError("chunk_rejected", `Chunk index ${index} is outside 0..${m.total_chunks - 1}.`);
    }
    const expected = expectedChunkLength(m, index);
    if (length !== expected) {
      throw new FileTransferError("chunk_rejected", `Chunk ${index} has ${length} bytes, expected ${expected}.`);
    }
  }

  /** Whether chunk `index` (already checked) was recorded. */
  has(index: number): boolean {
    return this.got[index] === 1;
  }

  /** Records chunk `index` (checked, not yet recorded) as received. */
  record(index: number, length: number): void {
    this.got[index] = 1;
    this._received++;
    this._bytes += length;
  }

  /** Distinct chunks recorded. */
  get received(): number {
    return this._received;
  }

  get bytes(): number {
    return this._bytes;
  }

  /** Every chunk is recorded (true from the start for a stream of 0 chunks). */
  get complete(): boolean {
    return this._received === this.metadata.total_chunks;
  }
}
