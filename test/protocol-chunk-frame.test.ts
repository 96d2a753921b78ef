// The FILE_CHUNK frame codec (src/protocol/chunk-frame.ts, WIRE-NOTES §8.5).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { fromUtf8 } from "../src/protocol/bytes.js";
import {
  assembleChunkFrame,
  chunkFramePrefix,
  chunkHeader,
  MIN_CHUNK_FRAME_BYTES,
  parseChunkPlaintext,
  splitChunkFrame,
  validChunkFields,
} from "../src/protocol/chunk-frame.js";
import { SessionError } from "../src/protocol/errors.js";

const isMalformed = (e: unknown) => e instanceof SessionError && e.kind === "malformed";

test("chunk header: BE16 length then the pyjson header, as the reference writes it", () => {
  const h = chunkHeader("abc123", 7);
  const text = '{"type": 23, "transfer_id": "abc123", "chunk_index": 7}';
  assert.equal((h[0]! << 8) | h[1]!, text.length);
  assert.equal(fromUtf8(h.subarray(2)), text);
});

test("frame prefix: BE32 counter, nonce, ephemeral key; split gives them back as views", () => {
  const k = { counter: 0x01020304, nonce: new Uint8Array(randomBytes(12)), ephemeralPublic: new Uint8Array(randomBytes(32)) };
  assert.deepEqual([...chunkFramePrefix(k).subarray(0, 4)], [1, 2, 3, 4]);
  const ct = new Uint8Array(randomBytes(96));
  const frame = assembleChunkFrame(k, ct);
  const s = splitChunkFrame(frame);
  assert.equal(s.counter, k.counter);
  assert.deepEqual(s.nonce, k.nonce);
  assert.deepEqual(s.ephemeralPublic, k.ephemeralPublic);
  assert.deepEqual(s.ciphertext, ct);
  assert.equal(s.ciphertext.buffer, frame.buffer, "a view, not a copy");
  assert.throws(() => splitChunkFrame(frame.subarray(0, MIN_CHUNK_FRAME_BYTES - 1)), isMalformed);
});

test("chunk plaintext: header length, JSON, type 23 are checked; the fields after the commit", () => {
  const data = new Uint8Array(randomBytes(10));
  const plain = new Uint8Array([...chunkHeader("t1", 0), ...data]);
  const p = parseChunkPlaintext(plain);
  assert.deepEqual(validChunkFields(p), { transferId: "t1", chunkIndex: 0, data });
  assert.throws(() => parseChunkPlaintext(Uint8Array.of(0)), isMalformed);
  assert.throws(() => parseChunkPlaintext(Uint8Array.of(0, 5, 0x7b)), isMalformed);
  const notJson = new Uint8Array([0, 3, ...Buffer.from("{x}")]);
  assert.throws(() => parseChunkPlaintext(notJson), isMalformed);
  const wrongType = Buffer.from('{"type": 13}');
  assert.throws(() => parseChunkPlaintext(new Uint8Array([0, wrongType.length, ...wrongType])), isMalformed);
  const badFields = Buffer.from('{"type": 23, "transfer_id": 5, "chunk_index": 1.5}');
  const parsed = parseChunkPlaintext(new Uint8Array([0, badFields.length, ...badFields]));
  assert.throws(() => validChunkFields(parsed), isMalformed);
});
