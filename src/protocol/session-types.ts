// The shapes Session takes and returns (session.ts): its keys from the
// handshake, its limits, and what a decrypted message or chunk carries.
import type { KeyObject } from "node:crypto";
import type { ChunkFramePublic } from "./chunk-frame.js";

export interface SessionInit {
  /** HMAC key of WIRE-NOTES §6.5 ("encryption_key" in the reference). */
  encryptionKey: Uint8Array;
  rootChainKey: Uint8Array;
  /** Raw 32 bytes, or a KeyObject that never left OpenSSL. */
  ownSessionPrivateKey: Uint8Array | KeyObject;
  ownSessionPublicKey: Uint8Array;
  peerSessionPublicKey: Uint8Array;
  ownKemPublicKey: Uint8Array;
  peerKemPublicKey: Uint8Array;
  /** The pqchat continuity secret of this session (continuity.ts); wiped with the session. */
  continuitySecret?: Uint8Array;
}

export interface SessionOptions {
  /** Saved-chain cache capacity (SPEC §8.2 recommends 1000). */
  savedCapacity?: number;
  /**
   * Widest forward jump walked before a message is rejected unread. The
   * reference has no bound (WIRE-NOTES §15.9), so an authenticated peer could
   * make it walk 2^32 steps; we stop at 2 × the cache capacity, which still
   * accepts every gap the reference vectors exercise (a jump of 1005).
   */
  maxForwardGap?: number;
}

/** Optional scripted randomness, for known-answer tests only. */
export interface EncryptRandomness {
  ephemeralPrivateKey?: Uint8Array;
  nonce?: Uint8Array;
}

export interface DecryptedMessage {
  counter: number;
  plaintext: Uint8Array;
  /** The plaintext as text (it is valid UTF-8, WIRE-NOTES §7 step 7): decoded once, by the session's check. */
  text: string;
  /** True when the message used a saved chain state (it arrived late). */
  outOfOrder: boolean;
}

export interface DecryptedChunk {
  counter: number;
  transferId: string;
  chunkIndex: number;
  data: Uint8Array;
}

/**
 * Everything the AEAD of one FILE_CHUNK needs, derived in counter order on the
 * thread that owns the session (Session.prepareChunkKeys): the caller runs
 * doubleEncrypt wherever it likes and wipes (or hands over) `messageKey`.
 */
export interface ChunkSealKeys extends ChunkFramePublic {
  messageKey: Uint8Array;
  aad: Uint8Array;
}
