// Resumable transfers, a pqchat extension (docs/PROTOCOL-EXTENSIONS.md §5,
// SPEC §20.2: "connection errors during file transfer SHOULD allow resume via
// partial chunk tracking"). A receiver that kept part of a file answers the
// sender's re-offer (the same transfer_id, WIRE-NOTES §14 erratum 11) with a
// FILE_ACCEPT that names the chunks it still needs:
//
//   {"type": 21, "transfer_id": <id>, "action": "resume", "data": "<ranges>"}
//
// `action` and `data` are keys of the reference's inner allow-list
// (WIRE-NOTES §12.3), so even a reference sender would take this as a plain
// FILE_ACCEPT (it reads only transfer_id) and send everything. <ranges> is
// ascending, disjoint, inclusive chunk-index ranges: "12-40,45,50-99", at most
// MAX_RESUME_RANGES of them; "" = nothing is needed. Pure: no I/O.
import { MessageType } from "../constants.js";
import { expectedChunkLength } from "./chunks.js";
import type { FileMetadata } from "./metadata.js";

export const RESUME_ACTION = "resume";
/** At most this many ranges: the accept stays far below the 8 KiB rule (WIRE-NOTES §4.5). */
export const MAX_RESUME_RANGES = 64;
const MAX_RANGES_TEXT = 1024;

/** Chunk indices [start, end): end exclusive. */
export type ChunkRange = readonly [start: number, end: number];

/**
 * The runs of chunks `has` says are missing among `total`. With more than
 * `maxRanges` runs, the smallest gaps between them are filled (a few held
 * chunks are asked for again, which costs bandwidth, never correctness).
 */
export function neededRanges(has: (index: number) => boolean, total: number, maxRanges = MAX_RESUME_RANGES): ChunkRange[] {
  const runs: [number, number][] = [];
  for (let i = 0; i < total; i++) {
    if (has(i)) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else runs.push([i, i + 1]);
  }
  while (runs.length > maxRanges) {
    let best = 1;
    for (let k = 2; k < runs.length; k++) if (runs[k]![0] - runs[k - 1]![1] < runs[best]![0] - runs[best - 1]![1]) best = k;
    runs[best - 1]![1] = runs[best]![1];
    runs.splice(best, 1);
  }
  return runs;
}

export function encodeRanges(ranges: readonly ChunkRange[]): string {
  return ranges.map(([s, e]) => (e - s === 1 ? `${s}` : `${s}-${e - 1}`)).join(",");
}

/** Strict parse against `total` chunks: null for anything malformed, out of range, overlapping or unordered. */
export function parseRanges(text: string, total: number): ChunkRange[] | null {
  if (text.length > MAX_RANGES_TEXT) return null;
  if (text === "") return [];
  const parts = text.split(",");
  if (parts.length > MAX_RESUME_RANGES) return null;
  const out: ChunkRange[] = [];
  let next = 0;
  for (const p of parts) {
    const m = /^(0|[1-9][0-9]{0,9})(?:-(0|[1-9][0-9]{0,9}))?$/.exec(p);
    if (!m) return null;
    const start = Number(m[1]);
    const last = m[2] === undefined ? start : Number(m[2]);
    if (start < next || last < start || last >= total) return null;
    out.push([start, last + 1]);
    next = last + 1;
  }
  return out;
}

export function inRanges(ranges: readonly ChunkRange[], index: number): boolean {
  for (const [s, e] of ranges) if (index >= s && index < e) return true;
  return false;
}

/** Bytes of the processed stream the ranges cover (WIRE-NOTES §8.3 chunk lengths). */
export function rangeBytes(m: Pick<FileMetadata, "total_chunks" | "processed_size">, ranges: readonly ChunkRange[]): number {
  let n = 0;
  for (const [s, e] of ranges) {
    if (e <= s) continue;
    n += (e - s - 1) * expectedChunkLength(m, s) + expectedChunkLength(m, e - 1);
  }
  return n;
}

export function rangeChunks(ranges: readonly ChunkRange[]): number {
  return ranges.reduce((n, [s, e]) => n + (e - s), 0);
}

export function resumeAccept(transferId: string, ranges: readonly ChunkRange[]): { type: 21; transfer_id: string; action: string; data: string } {
  return { type: MessageType.FILE_ACCEPT, transfer_id: transferId, action: RESUME_ACTION, data: encodeRanges(ranges) };
}

/** The needed ranges of a FILE_ACCEPT: null for a plain accept (send everything), "malformed" for a resume field we cannot use. */
export function acceptedRanges(obj: { action?: unknown; data?: unknown }, total: number): ChunkRange[] | null | "malformed" {
  if (obj.action !== RESUME_ACTION) return null;
  if (typeof obj.data !== "string") return "malformed";
  return parseRanges(obj.data, total) ?? "malformed";
}

/** Whether a re-offer describes exactly the transfer a kept partial file belongs to. */
export function sameTransfer(a: FileMetadata, b: FileMetadata): boolean {
  return (
    a.transfer_id === b.transfer_id &&
    a.filename === b.filename &&
    a.file_size === b.file_size &&
    a.file_hash === b.file_hash &&
    a.total_chunks === b.total_chunks &&
    a.compressed === b.compressed &&
    a.processed_size === b.processed_size
  );
}
