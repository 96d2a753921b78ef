// An established SCP session: the façade over per-message protection of
// ENCRYPTED_MESSAGE (WIRE-NOTES §6, §7) and of FILE_CHUNK frames
// (WIRE-NOTES §8.5). It owns the keys, the counters and the symmetric
// ratchet's state; the parts live beside it: the wire codecs (encrypted-message.ts, chunk-frame.ts),
// the ratchet's steps (chain.ts), the saved-chain cache for out-of-order
// delivery (saved-chains.ts) and the pipelined chunk opens (chunk-opens.ts).
// The rekey switch (WIRE-NOTES §9) swaps the keys here.
// Pure: no I/O, no timers. Callers must serialize encrypt calls and write the
// results in the same order (WIRE-NOTES §8.5: chunk frames and messages share
// one counter, and chunks have no out-of-order delivery).
import type { KeyObject } from "node:crypto";
import { b64encode, fromUtf8, wipe } from "./bytes.js";
import { doubleDecrypt, doubleEncryptParts } from "./aead.js";
import { messageKeyFor, walkChain } from "./chain.js";
import { ChunkOpens, type ChunkOpenJob } from "./chunk-opens.js";
import { chunkFramePrefix, chunkHeader, CHUNK_PREFIX_BYTES, parseChunkPlaintext, splitChunkFrame, validChunkFields } from "./chunk-frame.js";
import { aadFor, decodeEncryptedMessage, encryptedMessageStrings, hmacInputFor, type EncryptedMessageStrings } from "./encrypted-message.js";
import { SessionError } from "./errors.js";
import { sessionFingerprint, type Fingerprint } from "./fingerprint.js";
import { ratchet } from "./kdf.js";
import { ephemeralFor, messageCrypto, refusalError, type OwnKey, type PeerKey } from "./message-crypto.js";
import { randomBytes, x25519, x25519PrivateKeyObject } from "./primitives.js";
import { MessageType, SAVED_CHAIN_CAPACITY } from "./constants.js";
import type { JsonObject } from "./pyjson.js";
import { SavedChains } from "./saved-chains.js";
import type { ChunkSealKeys, DecryptedChunk, DecryptedMessage, EncryptRandomness, SessionInit, SessionOptions } from "./session-types.js";

export type { ChunkSealKeys, DecryptedChunk, DecryptedMessage, EncryptRandomness, SessionInit, SessionOptions } from "./session-types.js";

// The wire codecs and the pipelined-open job this class uses, under the names
// its callers have always imported from here.
export { assembleChunkFrame, chunkFramePrefix, chunkHeader, CHUNK_PREFIX_BYTES, type ChunkFramePublic } from "./chunk-frame.js";
export { aadFor, hmacInputFor } from "./encrypted-message.js";
export type { ChunkOpenJob } from "./chunk-opens.js";

export class Session {
  private encryptionKey: Uint8Array;
  private sendChainKey: Uint8Array;
  private receiveChainKey: Uint8Array;
  private messageCounter = 0;
  private peerCounter = 0;
  private readonly saved: SavedChains;
  private readonly ownPriv: KeyObject;
  private readonly ownKey: OwnKey;
  private readonly peerPub: KeyObject;
  private readonly peerKey: PeerKey;
  private readonly maxGap: number;
  readonly fingerprint: Fingerprint;
  private readonly publicKeys: Pick<SessionInit, "ownKemPublicKey" | "peerKemPublicKey" | "ownSessionPublicKey" | "peerSessionPublicKey">;
  private pending: { encryptionKey: Uint8Array; rootChainKey: Uint8Array } | null = null;
  private destroyed = false;
  private readonly continuity: Uint8Array | null;
  private readonly chunkOpens = new ChunkOpens();

  constructor(init: SessionInit, opts: SessionOptions = {}) {
    this.encryptionKey = Uint8Array.from(init.encryptionKey);
    // Both chains start at the root (WIRE-NOTES §5.2).
    this.sendChainKey = Uint8Array.from(init.rootChainKey);
    this.receiveChainKey = Uint8Array.from(init.rootChainKey);
    // The X25519 session keys never change, not even on rekey (WIRE-NOTES §5.2, §9).
    const priv = init.ownSessionPrivateKey;
    this.ownPriv = priv instanceof Uint8Array ? x25519PrivateKeyObject(priv) : priv;
    this.ownKey = messageCrypto.ownKey(priv instanceof Uint8Array ? priv : this.ownPriv);
    this.peerKey = messageCrypto.peerKey(init.peerSessionPublicKey);
    this.peerPub = this.peerKey.keyObject;
    this.saved = new SavedChains(opts.savedCapacity ?? SAVED_CHAIN_CAPACITY);
    this.maxGap = opts.maxForwardGap ?? 2 * this.saved.capacity;
    this.publicKeys = {
      ownKemPublicKey: init.ownKemPublicKey,
      peerKemPublicKey: init.peerKemPublicKey,
      ownSessionPublicKey: init.ownSessionPublicKey,
      peerSessionPublicKey: init.peerSessionPublicKey,
    };
    this.fingerprint = sessionFingerprint(this.publicKeys);
    this.continuity = init.continuitySecret ? Uint8Array.from(init.continuitySecret) : null;
  }

  /** A copy of the pqchat continuity secret (continuity.ts), or null; the caller wipes it. */
  continuitySecret(): Uint8Array | null {
    this.checkNotDestroyed();
    return this.continuity ? Uint8Array.from(this.continuity) : null;
  }

  /** Counters and cache, for state displays and tests. Never log these. */
  get state() {
    return {
      messageCounter: this.messageCounter,
      peerCounter: this.peerCounter,
      savedCounters: this.saved.counters(),
      rekeyPending: this.pending !== null,
    };
  }

  /** Chain keys, exposed for known-answer tests only. */
  get _chains() {
    return { send: this.sendChainKey, receive: this.receiveChainKey, encryptionKey: this.encryptionKey };
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  private checkNotDestroyed(): void {
    if (this.destroyed) throw new SessionError("not_ready", "the session has been closed");
  }

  // ------------------------------------------------------------ sending

  /** The next counter's message key, one send-chain step (WIRE-NOTES §6.1, §6.2). */
  private nextMessageKey(rnd: EncryptRandomness): { n: number; key: Uint8Array; eph: Uint8Array; nonce: Uint8Array } {
    this.checkNotDestroyed();
    const n = ++this.messageCounter;
    // Draw order as the reference: ephemeral key, then nonce (WIRE-NOTES §6.2).
    const eph = ephemeralFor(rnd);
    const nonce = rnd.nonce ? Uint8Array.from(rnd.nonce) : randomBytes(12);
    const key = messageKeyFor(this.sendChainKey, x25519(eph.priv, this.peerPub), n);
    // The DH does not feed back into the chain (WIRE-NOTES §6.2).
    const next = ratchet(this.sendChainKey, n);
    if (eph.priv instanceof Uint8Array) wipe(eph.priv);
    wipe(this.sendChainKey);
    this.sendChainKey = next;
    return { n, key, eph: eph.pub, nonce };
  }

  /** Encrypts an inner plaintext into the outer ENCRYPTED_MESSAGE bytes (WIRE-NOTES §6.6). */
  encrypt(inner: Uint8Array, rnd: EncryptRandomness = {}): { wire: Uint8Array; counter: number } {
    this.checkNotDestroyed();
    const n = ++this.messageCounter;
    const { wire, next } = messageCrypto.seal({
      chainKey: this.sendChainKey,
      n,
      peer: this.peerKey,
      hmacKey: this.encryptionKey,
      inner,
      rnd,
    });
    wipe(this.sendChainKey);
    this.sendChainKey = next;
    return { wire, counter: n };
  }

  /** Encrypts one file chunk into a binary FILE_CHUNK frame (WIRE-NOTES §8.5). */
  encryptChunk(transferId: string, chunkIndex: number, data: Uint8Array, rnd: EncryptRandomness = {}): { frame: Uint8Array; counter: number } {
    const k = this.prepareChunkKeys(rnd);
    const frame = doubleEncryptParts(k.messageKey, k.nonce, [chunkHeader(transferId, chunkIndex), data], k.aad, CHUNK_PREFIX_BYTES);
    wipe(k.messageKey);
    frame.set(chunkFramePrefix(k), 0);
    return { frame, counter: k.counter };
  }

  /**
   * The ordered half of encryptChunk: takes the next counter, does the chain
   * step, the DH and the HKDFs, and returns what the AEAD needs. The caller
   * encrypts `chunkHeader(id, i) || data` with doubleEncrypt under these keys
   * (e.g. in a worker), builds the frame with assembleChunkFrame, and must put
   * frames on the wire in counter order (WIRE-NOTES §8.5). The counter is
   * spent even if the caller never sends the frame (the peer then sees a gap,
   * which is fine).
   */
  prepareChunkKeys(rnd: EncryptRandomness = {}): ChunkSealKeys {
    const { n, key, eph, nonce } = this.nextMessageKey(rnd);
    return { counter: n, messageKey: key, nonce, ephemeralPublic: eph, aad: aadFor(MessageType.FILE_CHUNK, n, b64encode(nonce), b64encode(eph)) };
  }

  // ------------------------------------------------------------ receiving

  private checkGap(n: number, base: number): void {
    if (n - base > this.maxGap) {
      throw new SessionError("out_of_window", `message counter jumps too far ahead (more than ${this.maxGap} messages)`);
    }
  }

  /** X25519 with our session key; a key OpenSSL refuses (small order) fails like a bad ciphertext. */
  private dhWith(eph: Uint8Array): Uint8Array {
    try {
      return x25519(this.ownPriv, eph);
    } catch {
      throw new SessionError("decrypt_failed", "decryption failed (bad ephemeral key)");
    }
  }

  /**
   * Decrypts a parsed outer ENCRYPTED_MESSAGE. Order of checks as
   * WIRE-NOTES §7: HMAC first, so a forged counter costs one HMAC and no ratchet work.
   */
  decrypt(outer: JsonObject): DecryptedMessage {
    this.checkNotDestroyed();
    if (this.chunkOpens.pending > 0) throw new SessionError("not_ready", "file chunk opens are pending");
    const f = encryptedMessageStrings(outer);
    if (f.counter === this.peerCounter + 1) return this.decryptNext(f);
    const m = decodeEncryptedMessage(f);
    const n = m.counter;
    if (!messageCrypto.macOk(this.encryptionKey, hmacInputFor(n, m.nonceB64, m.ephB64), m.mac)) throw refusalError("hmac");

    let ck: Uint8Array;
    let fromSaved = false;
    const walked: [number, Uint8Array][] = [];
    if (n <= this.peerCounter) {
      const s = this.saved.touch(n);
      if (!s) throw new SessionError("replay", "replayed or too old message");
      ck = s;
      fromSaved = true;
    } else {
      this.checkGap(n, this.peerCounter);
      ck = walkChain(this.receiveChainKey, this.peerCounter + 1, n, (i, skipped) => walked.push([i, skipped]));
    }
    // The strings as received: strictly decoded, so they are the canonical encodings (no second base64 pass).
    const plaintext = this.openWithChain(ck, n, m.eph, m.nonce, m.ciphertext, aadFor(MessageType.ENCRYPTED_MESSAGE, n, m.nonceB64, m.ephB64));
    // Unlike the reference (WIRE-NOTES §15.9), a failed message leaves no
    // cache entries: skipped states are saved only once the message authenticated.
    const text = utf8Text(plaintext);
    for (const [i, s] of walked) this.saved.save(i, s);
    if (fromSaved) {
      this.saved.forget(n);
      wipe(ck);
    } else {
      // ck is never a cached state (those are the ones before it), so it can go.
      this.receiveChainKey = messageCrypto.ratchet(ck, n);
      wipe(ck);
      this.peerCounter = n;
    }
    return { counter: n, plaintext, text, outOfOrder: fromSaved };
  }

  /** The next counter in order, the usual case: no walk, nothing saved; WIRE-NOTES §7 steps 1–6 and the ratchet in one call. */
  private decryptNext(f: EncryptedMessageStrings): DecryptedMessage {
    const next = new Uint8Array(32);
    const r = messageCrypto.openNext({ chainKey: this.receiveChainKey, own: this.ownKey, hmacKey: this.encryptionKey, fields: f, next });
    if (typeof r === "string") throw refusalError(r);
    let text: string;
    try {
      text = utf8Text(r);
    } catch (e) {
      wipe(next);
      throw e;
    }
    wipe(this.receiveChainKey);
    this.receiveChainKey = next;
    this.peerCounter = f.counter;
    return { counter: f.counter, plaintext: r, text, outOfOrder: false };
  }

  private openWithChain(ck: Uint8Array, n: number, eph: Uint8Array, nonce: Uint8Array, ct: Uint8Array, aad: Uint8Array): Uint8Array {
    const r = messageCrypto.open(ck, n, this.ownKey, eph, nonce, ct, aad);
    if (typeof r === "string") throw refusalError(r);
    return r;
  }

  /**
   * Decrypts a binary FILE_CHUNK frame (WIRE-NOTES §8.5): in order only, no
   * saved states. The synchronous form of beginChunkOpen + AEAD + finishChunkOpen.
   */
  decryptChunk(frame: Uint8Array): DecryptedChunk {
    if (this.chunkOpens.pending > 0) throw new SessionError("not_ready", "file chunk opens are pending");
    const job = this.beginChunkOpen(frame);
    let plain: Uint8Array | null;
    try {
      plain = doubleDecrypt(job.messageKey, job.nonce, job.ciphertext, job.aad);
    } catch {
      plain = null;
    }
    return this.finishChunkOpen(job, plain);
  }

  // ------------------------------------------------------------ pipelined chunk opens

  /** Frames begun with beginChunkOpen and not yet finished. */
  get pendingChunkOpens(): number {
    return this.chunkOpens.pending;
  }

  /**
   * The counter a new FILE_CHUNK is compared with: the highest begun frame's
   * while opens are pending, else the committed peer counter. A chunk frame
   * with a counter at or below this while opens are pending must wait until
   * they are finished and then go through decryptChunk: only then is the
   * answer the same as for strictly sequential processing.
   */
  get chunkOpenBase(): number {
    return this.chunkOpens.from(this.peerCounter, this.receiveChainKey).counter;
  }

  /**
   * First half of decryptChunk for pipelining (WIRE-NOTES §8.5 steps 1–4 up
   * to the AEAD): walks the chain from where the frames begun so far will
   * leave it, does the DH and the HKDFs, and returns the job for the AEAD.
   * Nothing is committed: the committed state changes only in
   * finishChunkOpen, in begin order. The key for counter n does not depend on
   * whether earlier frames authenticate (the walk computes the same chain key
   * either way), so a failed earlier frame never invalidates a later job.
   * While jobs are pending, decrypt() and decryptChunk() refuse to run (the
   * caller must keep one order). Throws SessionError (replay, out_of_window,
   * malformed, decrypt_failed for a bad ephemeral key) with nothing changed.
   */
  beginChunkOpen(frame: Uint8Array): ChunkOpenJob {
    this.checkNotDestroyed();
    const f = splitChunkFrame(frame);
    const n = f.counter;
    const base = this.chunkOpens.from(this.peerCounter, this.receiveChainKey);
    // No saved-state lookup for chunks (WIRE-NOTES §8.5 step 2).
    if (n <= base.counter) throw new SessionError("replay", "replayed or out-of-order file chunk");
    this.checkGap(n, base.counter);
    const dh = this.dhWith(f.ephemeralPublic);
    // Skipped states are not saved for chunks (WIRE-NOTES §8.5 step 3).
    const ck = walkChain(base.chain, base.counter + 1, n);
    const key = messageKeyFor(ck, dh, n);
    const next = ratchet(ck, n);
    if (ck !== base.chain) wipe(ck);
    return this.chunkOpens.add({
      counter: n,
      messageKey: key,
      nonce: Uint8Array.from(f.nonce),
      aad: aadFor(MessageType.FILE_CHUNK, n, b64encode(f.nonce), b64encode(f.ephemeralPublic)),
      ciphertext: f.ciphertext,
      next,
    });
  }

  /**
   * Second half: `plaintext` is the AEAD result for `job` (null when it did
   * not authenticate). Must be called once per job, in begin order. A failed
   * frame leaves the committed state unchanged (WIRE-NOTES §8.5 step 4); an
   * authenticated one commits exactly as decryptChunk does. Throws
   * SessionError like decryptChunk.
   */
  finishChunkOpen(job: ChunkOpenJob, plaintext: Uint8Array | null): DecryptedChunk {
    const { state: st, current } = this.chunkOpens.settle(job);
    try {
      if (this.destroyed || !current) throw new SessionError("not_ready", "the keys changed while the file chunk was decrypted");
      if (plaintext === null) throw new SessionError("decrypt_failed", "decryption failed (ciphertext or padding)");
      const n = st.counter;
      if (n <= this.peerCounter) throw new SessionError("replay", "replayed or out-of-order file chunk");
      const parsed = parseChunkPlaintext(plaintext);
      // The frame authenticated: commit even if the file layer later refuses it (WIRE-NOTES §8.5 step 6).
      wipe(this.receiveChainKey);
      this.receiveChainKey = st.next;
      this.peerCounter = n;
      st.next = new Uint8Array(0);
      return { counter: n, ...validChunkFields(parsed) };
    } finally {
      wipe(st.next);
    }
  }

  // ------------------------------------------------------------ rekey switch

  /** Stores keys derived by a rekey until the switch point (WIRE-NOTES §9). */
  setPendingKeys(keys: { encryptionKey: Uint8Array; rootChainKey: Uint8Array }): void {
    if (this.pending) wipe(this.pending.encryptionKey, this.pending.rootChainKey);
    this.pending = { encryptionKey: Uint8Array.from(keys.encryptionKey), rootChainKey: Uint8Array.from(keys.rootChainKey) };
  }

  clearPendingKeys(): void {
    if (this.pending) wipe(this.pending.encryptionKey, this.pending.rootChainKey);
    this.pending = null;
  }

  /**
   * Activates pending keys: new HMAC key and chains, counters back to 0, and —
   * unlike the reference (WIRE-NOTES §15.9) — an empty saved-chain cache, so
   * stale states from the previous epoch cannot poison the new one.
   */
  activatePendingKeys(): void {
    if (!this.pending) throw new SessionError("not_ready", "no pending keys to activate");
    this.chunkOpens.drop();
    wipe(this.encryptionKey, this.sendChainKey, this.receiveChainKey);
    this.encryptionKey = this.pending.encryptionKey;
    this.sendChainKey = Uint8Array.from(this.pending.rootChainKey);
    this.receiveChainKey = this.pending.rootChainKey;
    this.pending = null;
    this.messageCounter = 0;
    this.peerCounter = 0;
    this.saved.clear();
  }

  /** Wipes all key material (SPEC §17); the session is unusable afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.chunkOpens.drop();
    messageCrypto.drop(this.ownKey);
    messageCrypto.drop(this.peerKey);
    wipe(this.encryptionKey, this.sendChainKey, this.receiveChainKey, this.continuity);
    this.clearPendingKeys();
    this.saved.clear();
  }
}

/** WIRE-NOTES §7 step 7: the plaintext must be valid UTF-8; decoded once, here, for the caller too. */
function utf8Text(plaintext: Uint8Array): string {
  try {
    return fromUtf8(plaintext);
  } catch {
    throw new SessionError("invalid_utf8", "decrypted message is not valid UTF-8");
  }
}
