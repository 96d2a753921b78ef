// One real ClientCore and one HostilePeer paired through a real `pqchat
// server` in a room of their own, so tests in one file never meet each other's
// peers; plus a raw file offer the hostile peer can send.
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { ClientOptions } from "../../src/client/api.js";
import { join } from "../../src/protocol/index.js";
import { fileHashHex, transferId } from "../../src/protocol/file/index.js";
import { TestClient, connectClient, removeDir, tempDir, type ServerHandle } from "./client-harness.js";
import { HostilePeer } from "./hostile-peer.js";

export const MiB = 1024 * 1024;

export interface HostilePair {
  c: TestClient;
  h: HostilePeer;
  dl: string;
  close(): Promise<void>;
}

/** `downloadDir`: the client's download directory, owned by the caller (default: a temp dir removed on close). */
export async function hostilePair(server: ServerHandle, opts: ClientOptions = {}, downloadDir?: string): Promise<HostilePair> {
  const room = `t${randomBytes(6).toString("hex")}`;
  const dl = downloadDir ?? (await tempDir("pqchat-hostile-pair-"));
  const c = new TestClient("C", dl, opts);
  await connectClient(c, server, room);
  await c.next("server_version");
  const h = await HostilePeer.connect(server.port, server.host);
  h.writeNow(join(room));
  await c.next("key_exchange_complete");
  await h.ready();
  return {
    c,
    h,
    dl,
    close: async () => {
      h.close();
      await c.close();
      if (downloadDir === undefined) await removeDir(dl);
    },
  };
}

export interface RawOffer {
  meta: { transfer_id: string; filename: string; file_size: number; file_hash: string; total_chunks: number; compressed: boolean; processed_size: number; type: 20 };
  processed: Buffer;
  chunk(i: number): Buffer;
}

/** A FILE_METADATA for `content` (what a sender would announce) and its chunks. */
export async function rawOffer(filename: string, content: Buffer, o: { compress?: boolean; fileSize?: number; id?: string } = {}): Promise<RawOffer> {
  const processed = o.compress ? gzipSync(content) : content;
  const hash = await fileHashHex(content);
  const fileSize = o.fileSize ?? content.length;
  return {
    meta: {
      transfer_id: o.id ?? transferId(filename, fileSize, hash),
      filename,
      file_size: fileSize,
      file_hash: hash,
      total_chunks: Math.ceil(processed.length / MiB),
      compressed: !!o.compress,
      processed_size: processed.length,
      type: 20,
    },
    processed,
    chunk: (i) => processed.subarray(i * MiB, Math.min(processed.length, (i + 1) * MiB)),
  };
}

/** Resolves after the client's one-second limiter window certainly rolled over. */
export const nextWindow = (): Promise<void> => new Promise((r) => setTimeout(r, 1100));
