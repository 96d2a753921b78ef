// Call audio between the core and the page that owns the call: 16-bit
// little-endian mono PCM in binary WebSocket messages, both ways.
import * as os from "node:os";
import type { CallApi, ClientApi } from "../client/api.js";

/** Largest microphone message from the page: 100 ms of 16-bit mono at 44.1 kHz. */
export const MAX_AUDIO_MESSAGE = 4410 * 2;
const LITTLE_ENDIAN = os.endianness() === "LE";

/** Stand-in cores (benchmarks, tests) may lack calls. */
export function callsOf(core: ClientApi): (ClientApi & CallApi) | null {
  const c = core as ClientApi & Partial<CallApi>;
  return typeof c.onCall === "function" && typeof c.sendAudio === "function" ? (c as ClientApi & CallApi) : null;
}

/** Little-endian 16-bit PCM bytes to samples (a copy: aligned, and independent of the socket's buffer). */
export function pcmFromBytes(b: Buffer): Int16Array {
  const out = new Int16Array(b.length >> 1);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(b.subarray(0, out.length * 2));
  else for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i);
  return out;
}

export function pcmToBytes(p: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  const b = Buffer.alloc(p.length * 2);
  for (let i = 0; i < p.length; i++) b.writeInt16LE(p[i]!, 2 * i);
  return b;
}

/** A binary message from the page as one buffer (ws hands over a Buffer, fragments or an ArrayBuffer). */
export function messageBytes(data: unknown): Buffer | null {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return null;
}

/** Microphone audio must be whole samples, and no more than one message's worth. */
export function validAudio(buf: Buffer): boolean {
  return buf.length > 0 && buf.length % 2 === 0 && buf.length <= MAX_AUDIO_MESSAGE;
}
