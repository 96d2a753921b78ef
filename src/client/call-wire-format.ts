// The voice-call wire format (WIRE-NOTES §4.6): what we send (44,100 Hz,
// 441-frame packets, 16-bit), the PortAudio sample-format constants and their
// negotiation (the lower quality of the two sides wins), raw PCM in each
// format to and from 16-bit samples, cutting a sample stream into packets, the
// INIT / ACCEPT / DATA inner messages, and which peer settings can be used.
// Pure: no timers, no state beyond a packetizer's buffer. The call state
// machine that uses it is calls.ts.
import { DEFAULT_MAX_FRAME, MessageType, b64encode, toBytes, type JsonObject } from "../protocol/index.js";

/** WIRE-NOTES §4.6: the reference's default rate and packet size; what we send. */
export const CALL_RATE = 44100;
export const CALL_CHUNK = 441;
/**
 * Peer rates we accept: the reference takes any rate its sound card offers
 * (WIRE-NOTES §4.6); below 1,000 Hz its chunk_size at 1,000 packets/s would be
 * 0, and 384 kHz is the highest rate sound cards offer.
 */
export const MIN_PEER_RATE = 1000;
export const MAX_PEER_RATE = 384_000;

/** PortAudio sample-format constants (WIRE-NOTES §4.6). */
export const PA_INT32 = 2;
export const PA_INT24 = 4;
export const PA_INT16 = 8;
export const PA_INT8 = 16;
export const PA_UINT8 = 32;
/** What we capture and announce: 16-bit (the reference's configured maximum). */
export const OUR_FORMAT = PA_INT16;

/** Lowest quality first (WIRE-NOTES §4.6: 32 < 16 < 8 < 4 < 2). */
const QUALITY_ORDER = [PA_UINT8, PA_INT8, PA_INT16, PA_INT24, PA_INT32] as const;
const FORMAT_NAMES: Record<number, string> = { 2: "int32", 4: "int24", 8: "int16", 16: "int8", 32: "uint8" };

/**
 * Largest packet of audio bytes a frame can carry: the PCM is base64 in the
 * inner JSON (4/3), padded and encrypted, then base64 again in the outer
 * ENCRYPTED_MESSAGE (4/3), which must fit DEFAULT_MAX_FRAME; 16 KiB of margin
 * for the JSON around it, the padding and the tags (a unit test encrypts a
 * packet of exactly this size and checks the frame fits).
 */
export const MAX_PACKET_BYTES = Math.floor(((DEFAULT_MAX_FRAME - 16 * 1024) * 9) / 16);

export function isAudioFormat(x: unknown): x is number {
  return typeof x === "number" && (QUALITY_ORDER as readonly number[]).includes(x);
}

/** WIRE-NOTES §4.6: a format outside the PortAudio map (float32 = 1 included) counts as 16-bit, as the reference counts it. */
export function effectiveFormat(f: number): number {
  return isAudioFormat(f) ? f : PA_INT16;
}

/** WIRE-NOTES §4.6: both sides use the lower-quality of the two announced formats (unknown ones count as 16-bit). */
export function negotiateFormat(a: number, b: number): number {
  const ia = QUALITY_ORDER.indexOf(effectiveFormat(a) as (typeof QUALITY_ORDER)[number]);
  const ib = QUALITY_ORDER.indexOf(effectiveFormat(b) as (typeof QUALITY_ORDER)[number]);
  return QUALITY_ORDER[Math.min(ia, ib)]!;
}

export function formatName(f: number): string {
  return FORMAT_NAMES[f] ?? `format ${f}`;
}

export function bytesPerSample(f: number): number {
  switch (f) {
    case PA_INT32:
      return 4;
    case PA_INT24:
      return 3;
    case PA_INT16:
      return 2;
    case PA_INT8:
    case PA_UINT8:
      return 1;
    default:
      throw new RangeError("unknown audio format");
  }
}

/** 16-bit samples to the wire format: raw little-endian PCM (WIRE-NOTES §4.6). */
export function encodePcm(samples: Int16Array, f: number): Uint8Array {
  const n = samples.length;
  const out = new Uint8Array(n * bytesPerSample(f));
  switch (f) {
    case PA_INT16:
      for (let i = 0; i < n; i++) {
        const s = samples[i]!;
        out[2 * i] = s & 0xff;
        out[2 * i + 1] = (s >> 8) & 0xff;
      }
      break;
    case PA_INT8:
      for (let i = 0; i < n; i++) out[i] = (samples[i]! >> 8) & 0xff;
      break;
    case PA_UINT8:
      for (let i = 0; i < n; i++) out[i] = (samples[i]! >> 8) + 128;
      break;
    case PA_INT24:
      for (let i = 0; i < n; i++) {
        const s = samples[i]!;
        out[3 * i] = 0;
        out[3 * i + 1] = s & 0xff;
        out[3 * i + 2] = (s >> 8) & 0xff;
      }
      break;
    case PA_INT32:
      for (let i = 0; i < n; i++) {
        const s = samples[i]!;
        out[4 * i + 2] = s & 0xff;
        out[4 * i + 3] = (s >> 8) & 0xff;
      }
      break;
  }
  return out;
}

/** Wire PCM to 16-bit samples; null when the length is not a whole number of samples. */
export function decodePcm(bytes: Uint8Array, f: number): Int16Array | null {
  const bps = bytesPerSample(f);
  if (bytes.length % bps !== 0) return null;
  const n = bytes.length / bps;
  const out = new Int16Array(n);
  switch (f) {
    case PA_INT16:
      for (let i = 0; i < n; i++) out[i] = (bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16 >> 16;
      break;
    case PA_INT8:
      for (let i = 0; i < n; i++) out[i] = (bytes[i]! << 24) >> 16;
      break;
    case PA_UINT8:
      for (let i = 0; i < n; i++) out[i] = (bytes[i]! - 128) << 8;
      break;
    case PA_INT24:
      // The top 16 of 24 bits.
      for (let i = 0; i < n; i++) out[i] = (bytes[3 * i + 1]! | (bytes[3 * i + 2]! << 8)) << 16 >> 16;
      break;
    case PA_INT32:
      for (let i = 0; i < n; i++) out[i] = (bytes[4 * i + 2]! | (bytes[4 * i + 3]! << 8)) << 16 >> 16;
      break;
  }
  return out;
}

/** Cuts a stream of samples into packets of `size` frames (the remainder waits for more). */
export class Packetizer {
  private buf: Int16Array;
  private fill = 0;

  constructor(readonly size = CALL_CHUNK) {
    this.buf = new Int16Array(size);
  }

  push(samples: Int16Array, out: (packet: Int16Array) => void): void {
    let i = 0;
    // Fast path: whole packets straight from the input.
    while (this.fill === 0 && samples.length - i >= this.size) {
      out(samples.subarray(i, i + this.size));
      i += this.size;
    }
    while (i < samples.length) {
      const take = Math.min(this.size - this.fill, samples.length - i);
      this.buf.set(samples.subarray(i, i + take), this.fill);
      this.fill += take;
      i += take;
      if (this.fill === this.size) {
        out(this.buf);
        this.buf = new Int16Array(this.size);
        this.fill = 0;
      }
    }
  }

  reset(): void {
    this.fill = 0;
  }
}

export function callInit(): JsonObject {
  return { type: MessageType.VOICE_CALL_INIT, rate: CALL_RATE, chunk_size: CALL_CHUNK, audio_format: OUR_FORMAT };
}

export function callAccept(): JsonObject {
  return { type: MessageType.VOICE_CALL_ACCEPT, rate: CALL_RATE, chunk_size: CALL_CHUNK, audio_format: OUR_FORMAT };
}

/** `{"type": 33, "audio_data": "<b64>"}` as pyjson bytes, built without a generic serializer (100 per second). */
export function callDataInner(wirePcm: Uint8Array): Uint8Array {
  return toBytes(`{"type": ${MessageType.VOICE_CALL_DATA}, "audio_data": "${b64encode(wirePcm)}"}`);
}

export interface PeerParams {
  rate: number;
  chunkSize: number;
  /** As announced (may be outside the PortAudio map). */
  format: number;
}

/**
 * The peer's INIT / ACCEPT settings (WIRE-NOTES §4.6), or why they cannot be
 * used: every setting the reference GUI can be configured with is accepted;
 * packets must fit a frame once encoded in the format we would negotiate.
 */
export function checkPeerParams(obj: JsonObject): PeerParams | string {
  const rate = obj["rate"];
  const chunk = obj["chunk_size"];
  const format = obj["audio_format"];
  if (typeof rate !== "number" || !Number.isInteger(rate) || rate < MIN_PEER_RATE || rate > MAX_PEER_RATE) {
    const shown = typeof rate === "number" && Number.isFinite(rate) ? `${rate} Hz` : "a rate that is not a number";
    return `a sample rate of ${shown} (supported: ${MIN_PEER_RATE.toLocaleString("en-US")} to ${MAX_PEER_RATE.toLocaleString("en-US")} Hz)`;
  }
  if (typeof format !== "number" || !Number.isSafeInteger(format)) return "a sample format that is not a number";
  if (typeof chunk !== "number" || !Number.isInteger(chunk) || chunk < 1) return "a packet size that is not a positive whole number of frames";
  if (chunk > rate) return `packets of ${chunk} frames, more than one second of audio at ${rate} Hz`;
  const bytes = chunk * bytesPerSample(negotiateFormat(OUR_FORMAT, format));
  if (bytes > MAX_PACKET_BYTES) return `packets of ${chunk} frames (${bytes} bytes), larger than a message can carry (${MAX_PACKET_BYTES} bytes)`;
  return { rate, chunkSize: chunk, format };
}
