// Building raw frames for tests of the relay's frame handling.
/** A frame's wire bytes: the 4-byte big-endian length prefix, then the payload. */
export function wireOf(payload: Buffer | string): Buffer {
  const p = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const h = Buffer.alloc(4);
  h.writeUInt32BE(p.length, 0);
  return Buffer.concat([h, p]);
}
