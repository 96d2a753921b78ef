// The frames both load generators send (bench/server-load.ts in JavaScript,
// bench/native/pairs-load.c in C, which gets them from here on stdin): the
// handshake of a pair formed through a room, and the 1 KiB frame a relay
// mostly sees. None of it is real cryptography: a relay never reads it.
import { randomBytes } from "node:crypto";

/** A wire frame: 4-byte big-endian length, then the payload. */
export function frameOf(payload: Buffer | string): Buffer {
  const p = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const out = Buffer.allocUnsafe(4 + p.length);
  out.writeUInt32BE(p.length, 0);
  p.copy(out, 4);
  return out;
}

/** JSON as the Python reference writes it (", " and ": " separators). */
const pyjson = (entries: [string, string | number][]): string =>
  "{" + entries.map(([k, v]) => `"${k}": ${typeof v === "number" ? v : `"${v}"`}`).join(", ") + "}";

/** KEY_EXCHANGE_INIT-shaped, of its real size (ML-KEM-1024 and X25519 public keys). */
export const INIT = frameOf(
  pyjson([["version", "6.0.1"], ["type", 5], ["public_key", randomBytes(1568).toString("base64")], ["dh_public_key", randomBytes(32).toString("base64")]]),
);
/** KEY_EXCHANGE_RESPONSE-shaped, of its real size. */
export const RESPONSE = frameOf(
  pyjson([
    ["version", "6.0.1"], ["type", 4], ["ciphertext", randomBytes(1568).toString("base64")],
    ["public_key", randomBytes(1568).toString("base64")], ["dh_public_key", randomBytes(32).toString("base64")],
  ]),
);
export const KEEPALIVE_RESPONSE = frameOf('{"type": 51}');
export const joinFrame = (room: string): Buffer => frameOf(`{"type": 70, "room": "${room}"}`);

/** An ENCRYPTED_MESSAGE-shaped payload of exactly `size` bytes (what a relay mostly sees). */
export function encryptedLike(size: number): Buffer {
  const head = '{"type": 10, "counter": 1, "nonce": "AAAAAAAAAAAAAAAA", "ciphertext": "';
  const tail = '", "dh_public_key": "' + "B".repeat(44) + '", "verification": "' + "C".repeat(88) + '"}';
  const fill = size - head.length - tail.length;
  if (fill < 0) throw new Error("frame too small");
  return Buffer.from(head + "D".repeat(fill) + tail, "latin1");
}
