// The whole file pipeline without the network: read + gzip +
// chunk + encrypt on one side, decrypt + write + gunzip + hash on the other.
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { Initiator, respond } from "../src/protocol/handshake.js";
import { parseJsonObject } from "../src/protocol/pyjson.js";
import { IncomingTransfer, prepareOutgoingFile } from "../src/io/file/index.js";
import { median, mb, type Row } from "./util.js";

async function writeFile(path: string, size: number, kind: "text" | "random"): Promise<void> {
  const out = createWriteStream(path);
  let i = 0;
  for (let written = 0; written < size; ) {
    let buf: Buffer;
    if (kind === "random") buf = randomBytes(Math.min(1 << 20, size - written));
    else {
      const lines: string[] = [];
      while (lines.length < 16384) lines.push(`${String(i++).padStart(8, "0")} lorem ipsum dolor sit amet ${(i * 7919) % 100003}\n`);
      buf = Buffer.from(lines.join("")).subarray(0, size - written);
    }
    written += buf.length;
    if (!out.write(buf)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
}

async function onePass(src: string, dir: string): Promise<{ send: number; recv: number; size: number; compressed: boolean }> {
  const i = new Initiator();
  const { response, session: bob } = respond(parseJsonObject(i.initMessage)!);
  const alice = i.finish(parseJsonObject(response)!);

  const t0 = performance.now();
  const file = await prepareOutgoingFile(src, { compress: true, gzipLevel: 6, tmpDir: dir });
  const frames: Uint8Array[] = [];
  for await (const c of file.chunks()) frames.push(alice.encryptChunk(file.metadata.transfer_id, c.index, c.data).frame);
  const t1 = performance.now();

  const incoming = new IncomingTransfer(file.metadata, dir);
  await incoming.accept();
  for (const f of frames) {
    const c = bob.decryptChunk(f);
    await incoming.writeChunk(c.chunkIndex, c.data);
  }
  const done = await incoming.finish();
  const t2 = performance.now();
  if (done.blake2b !== file.metadata.file_hash) throw new Error("hash mismatch in benchmark");
  await file.cleanup();
  await rm(done.path);
  return { send: t1 - t0, recv: t2 - t1, size: file.metadata.file_size, compressed: file.metadata.compressed };
}

export async function filePipelineRows(size: number, runs: number): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), "pqchat-bench-"));
  const rows: Row[] = [];
  try {
    for (const kind of ["text", "random"] as const) {
      const src = join(dir, `${kind}.dat`);
      await writeFile(src, size, kind);
      const sends: number[] = [];
      const recvs: number[] = [];
      let compressed = false;
      for (let r = 0; r < runs; r++) {
        const p = await onePass(src, dir);
        sends.push((p.size / p.send) * 1000);
        recvs.push((p.size / p.recv) * 1000);
        compressed = p.compressed;
      }
      const label = kind === "text" ? "compressible text" : "random";
      rows.push({ name: `send: read+gzip+chunk+encrypt (${label})`, value: mb(median(sends)), target: compressed ? "gzip level 6" : "gzip skipped" });
      rows.push({ name: `receive: decrypt+write+gunzip+hash (${label})`, value: mb(median(recvs)) });
      await rm(src);
    }
    const left = (await readdir(dir)).filter((f) => f.startsWith(".pqchat-"));
    if (left.length) throw new Error(`temporary files left behind: ${left.join(", ")}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
