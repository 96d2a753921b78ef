// The worker side of WorkerPool (pool.ts): pure jobs, one at a time.
//   gzip: one independent gzip member of a block (members are
//         concatenated by the sender; a multi-member stream is valid gzip).
//   seal: the double AEAD of one FILE_CHUNK plaintext, written behind the
//         48-byte frame prefix, so the reply is the finished frame.
//   open: the double AEAD open of one FILE_CHUNK ciphertext, in place.
// Message keys arrive by transfer and are wiped here after use.
import { parentPort } from "node:worker_threads";
import { gzipMember } from "../deflate.js";
import type { PoolReply, PoolTask } from "./pool.js";

type Aead = typeof import("../../protocol/aead.js");
let aead: Aead | null = null;

async function loadAead(): Promise<Aead> {
  aead ??= await import("../../protocol/aead.js");
  return aead;
}

async function run(task: PoolTask): Promise<Uint8Array> {
  switch (task.op) {
    case "gzip": {
      const z = gzipMember(task.data, task.level); // libdeflate where built (../deflate.ts), else node:zlib
      return z.byteOffset === 0 && z.byteLength === z.buffer.byteLength ? z : Uint8Array.from(z);
    }
    case "seal": {
      const a = await loadAead();
      try {
        let len = 0;
        for (const p of task.parts) len += p.length;
        // Sealed in place inside the frame (the chunk addon where built): the frame is the one fresh buffer.
        const frame = new Uint8Array(task.prefix.length + a.sealedLength(len));
        a.doubleEncryptPartsInto(task.key, task.nonce, task.parts, task.aad, frame, task.prefix.length);
        frame.set(task.prefix, 0);
        return frame;
      } finally {
        task.key.fill(0);
      }
    }
    case "open": {
      const a = await loadAead();
      try {
        // In place: the reply is a view of the ciphertext's own buffer (ours: it was transferred or copied for us).
        return a.doubleDecryptInPlace(task.key, task.nonce, task.ciphertext, task.aad);
      } finally {
        task.key.fill(0);
      }
    }
  }
}

const port = parentPort;
if (port) {
  port.on("message", (m: { id: number; task: PoolTask }) => {
    run(m.task).then(
      (out) => port.postMessage({ id: m.id, ok: true, out } satisfies PoolReply, [out.buffer as ArrayBuffer]),
      (err: unknown) => {
        const auth = err instanceof Error && err.name === "AuthenticationError";
        port.postMessage({ id: m.id, ok: false, auth, error: err instanceof Error ? err.message : String(err) } satisfies PoolReply);
      },
    );
  });
}
