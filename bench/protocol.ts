// `npm run bench`: protocol-level figures (encrypt/decrypt per message, AEAD and hashing throughput). Not a test.
import { createCipheriv, randomBytes } from "node:crypto";
import { doubleDecrypt, doubleEncrypt } from "../src/protocol/aead.js";
import { gcmSivBackend } from "../src/protocol/primitives.js";
import { tuneAllocatorForBulkCrypto } from "../src/io/allocator.js";
import { toBytes } from "../src/protocol/bytes.js";
import { Initiator, respond } from "../src/protocol/handshake.js";
import { parseJsonObject } from "../src/protocol/pyjson.js";
import { median, mb, printTable, rate, type Row } from "./util.js";
import { filePipelineRows } from "./file-pipeline.js";
import { messagePairRows } from "./message-pairs.js";

function handshakeOnce() {
  const i = new Initiator();
  const { response, session: b } = respond(parseJsonObject(i.initMessage)!);
  const a = i.finish(parseJsonObject(response)!);
  return { a, b };
}

async function main(): Promise<void> {
  // As every pqchat client does at start (src/client/core.ts).
  tuneAllocatorForBulkCrypto();
  const rows: Row[] = [];

  const hs = rate(() => handshakeOnce(), { samples: 5, ms: 500 });
  rows.push({ name: "full handshake (both sides)", value: `${(1000 / median(hs)).toFixed(2)} ms`, target: "< 4 ms" });

  const { pairs, floor } = messagePairRows();
  rows.push(...pairs);

  const chunk = new Uint8Array(randomBytes(1 << 20));
  const key = new Uint8Array(randomBytes(32));
  const nonce = new Uint8Array(randomBytes(12));
  const aad = toBytes('{"type": 23, "counter": 1, "nonce": "AAAAAAAAAAAAAAAA", "dh_public_key": "x"}');
  const native = rate(() => {
    const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: chunk.length });
    c.update(chunk);
    c.final();
    c.getAuthTag();
  }, { samples: 5, ms: 300 });
  const nativeMBs = median(native) * chunk.length;
  const encRates = rate(() => doubleEncrypt(key, nonce, chunk, aad), { samples: 5, ms: 600 });
  const sealed = doubleEncrypt(key, nonce, chunk, aad);
  const decRates = rate(() => doubleDecrypt(key, nonce, sealed, aad), { samples: 5, ms: 600 });
  const encMBs = median(encRates) * chunk.length;
  const decMBs = median(decRates) * chunk.length;
  rows.push({
    name: "double encryption, 1 MiB chunks",
    value: mb(encMBs),
    target: ">= 400 MB/s",
    reference: `native ChaCha20-Poly1305 ${mb(nativeMBs)} (ratio ${(encMBs / nativeMBs).toFixed(2)})`,
  });
  rows.push({
    name: "double decryption, 1 MiB chunks",
    value: mb(decMBs),
    target: ">= 400 MB/s",
    reference: `ratio ${(decMBs / nativeMBs).toFixed(2)}; GCM-SIV backend: ${gcmSivBackend}`,
  });

  printTable("pqchat protocol benchmark (medians)", rows);
  if (floor.length) printTable("one encrypt+decrypt pair of a 512-byte text: the floor of each part (CPU µs, medians)", floor);
  printTable("file pipeline, 64 MiB (medians of 3)", await filePipelineRows(64 << 20, 3));
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
