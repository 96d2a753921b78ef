// An established SCP session: per-message protection of ENCRYPTED_MESSAGE
// (WIRE-NOTES §6, §7) and FILE_CHUNK frames (§8.5), the symmetric ratchet, the
// saved-chain cache for out-of-order delivery, and the rekey switch (§9).
// Pure: no I/O, no timers. Callers must serialize encrypt calls and write the
// results in the same order (§13: one serialized path for counters).
import type { KeyObject } from "node:crypto";
import { b64decodeStrict, b64encode, be32, ctEqual, fromUtf8, toBytes, uninitialized, wipe } from "./bytes.js";
import { doubleDecrypt, doubleEncrypt, doubleEncryptParts } from "./aead.js";
import { SessionError } from "./errors.js";
import { sessionFingerprint, type Fingerprint } from "./fingerprint.js";
import { dhMix, messageKey, ratchet } from "./kdf.js";
import { hmac, randomBytes, x25519, x25519Ephemeral, x25519PrivateKeyObject, x25519PublicFromPrivate, x25519PublicKeyObject } from "./primitives.js";
import { MessageType, SAVED_CHAIN_CAPACITY } from "./constants.js";
import type { JsonObject } from "./pyjson.js";

export interface SessionInit {
  /** HMAC key of §6.5 ("encryption_key" in the reference). */
  encryptionKey: Uint8Array;
  rootChainKey: Uint8Array;
  /** Raw 32 bytes, or a KeyObject that never left OpenSSL. */
  ownSessionPrivateKey: Uint8Array | KeyObject;
  ownSessionPublicKey: Uint8Array;
  peerSessionPublicKey: Uint8Array;
  ownKemPublicKey: Uint8Array;
  peerKemPublicKey: Uint8Array;
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
export interface ChunkSealKeys {
  counter: number;
  messageKey: Uint8Array;
  nonce: Uint8Array;
  ephemeralPublic: Uint8Array;
  aad: Uint8Array;
}

/**
 * A FILE_CHUNK frame whose chain step and message key are done
 * (Session.beginChunkOpen) and whose AEAD may run elsewhere; the result goes
 * back through Session.finishChunkOpen, in the order the frames were begun.
 */
export interface ChunkOpenJob {
  readonly counter: number;
  /** 32 bytes; hand it over (transfer) or wipe it after use. */
  readonly messageKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  /** View of the frame's ciphertext (frame[48..]). */
  readonly ciphertext: Uint8Array;
}

interface ChunkOpenState extends ChunkOpenJob {
  /** ratchet(ck, n): the receive chain after this frame commits. */
  next: Uint8Array;
  epoch: number;
  settled: boolean;
}

const enc = (s: string) => toBytes(s);

/** BE16(len(H)) || H, the start of a FILE_CHUNK plaintext (§8.5). */
export function chunkHeader(transferId: string, chunkIndex: number): Uint8Array {
  const h = enc(`{"type": 23, "transfer_id": "${transferId}", "chunk_index": ${chunkIndex}}`);
  const out = new Uint8Array(2 + h.length);
  out[0] = h.length >>> 8;
  out[1] = h.length & 0xff;
  out.set(h, 2);
  return out;
}

/** The 48 bytes in front of the ciphertext: BE32(n) || nonce || E (§8.5). */
export function chunkFramePrefix(k: Pick<ChunkSealKeys, "counter" | "nonce" | "ephemeralPublic">): Uint8Array {
  const p = new Uint8Array(48);
  p.set(be32(k.counter), 0);
  p.set(k.nonce, 4);
  p.set(k.ephemeralPublic, 16);
  return p;
}

/** Pure: the FILE_CHUNK frame from the keys' public parts and the double-AEAD output (§8.5). */
export function assembleChunkFrame(k: Pick<ChunkSealKeys, "counter" | "nonce" | "ephemeralPublic">, ciphertext: Uint8Array): Uint8Array {
  const frame = uninitialized(48 + ciphertext.length);
  frame.set(chunkFramePrefix(k), 0);
  frame.set(ciphertext, 48);
  return frame;
}

/** AAD (WIRE-NOTES §6.4): byte-exact pyjson, built as a template of ints and base64. */
export function aadFor(type: number, counter: number, nonceB64: string, ephB64: string): Uint8Array {
  return enc(`{"type": ${type}, "counter": ${counter}, "nonce": "${nonceB64}", "dh_public_key": "${ephB64}"}`);
}

/** HMAC input (WIRE-NOTES §6.5), over the strings exactly as received. */
export function hmacInputFor(counter: number, nonceB64: string, ephB64: string): Uint8Array {
  return enc(`{"counter": ${counter}, "nonce": "${nonceB64}", "dh_public_key": "${ephB64}"}`);
}

export class Session {
  private encryptionKey: Uint8Array;
  private sendChainKey: Uint8Array;
  private receiveChainKey: Uint8Array;
  private messageCounter = 0;
  private peerCounter = 0;
  /** LRU: Map iteration order is insertion order; re-insert on use. */
  private readonly saved = new Map<number, Uint8Array>();
  private readonly ownPriv: KeyObject;
  private readonly peerPub: KeyObject;
  private readonly capacity: number;
  private readonly maxGap: number;
  readonly fingerprint: Fingerprint;
  private readonly publicKeys: Pick<SessionInit, "ownKemPublicKey" | "peerKemPublicKey" | "ownSessionPublicKey" | "peerSessionPublicKey">;
  private pending: { encryptionKey: Uint8Array; rootChainKey: Uint8Array } | null = null;
  private destroyed = false;
  // Pipelined FILE_CHUNK opens (beginChunkOpen): the receive chain as it will
  // be once every begun frame committed. Never the committed state itself.
  private specCounter = 0;
  private specChain: Uint8Array | null = null;
  private readonly openJobs: ChunkOpenState[] = [];
  /** Bumped on every key change: jobs begun under older keys cannot commit. */
  private epoch = 0;

  constructor(init: SessionInit, opts: SessionOptions = {}) {
    this.encryptionKey = Uint8Array.from(init.encryptionKey);
    // Both chains start at the root (WIRE-NOTES §5.2).
    this.sendChainKey = Uint8Array.from(init.rootChainKey);
    this.receiveChainKey = Uint8Array.from(init.rootChainKey);
    // The X25519 session keys never change, not even on rekey (§5.2, §9).
    const priv = init.ownSessionPrivateKey;
    this.ownPriv = priv instanceof Uint8Array ? x25519PrivateKeyObject(priv) : priv;
    this.peerPub = x25519PublicKeyObject(init.peerSessionPublicKey);
    this.capacity = opts.savedCapacity ?? SAVED_CHAIN_CAPACITY;
    this.maxGap = opts.maxForwardGap ?? 2 * this.capacity;
    this.publicKeys = {
      ownKemPublicKey: init.ownKemPublicKey,
      peerKemPublicKey: init.peerKemPublicKey,
      ownSessionPublicKey: init.ownSessionPublicKey,
      peerSessionPublicKey: init.peerSessionPublicKey,
    };
    this.fingerprint = sessionFingerprint(this.publicKeys);
  }

  /** Counters and cache, for state displays and tests. Never log these. */
  get state() {
    return {
      messageCounter: this.messageCounter,
      peerCounter: this.peerCounter,
      savedCounters: [...this.saved.keys()].sort((a, b) => a - b),
      rekeyPending: this.pending !== null,
    };
  }

  /** Chain keys, exposed for known-answer tests only. */
  get _chains() {
    return { send: this.sendChainKey, receive: this.receiveChainKey, encryptionKey: this.encryptionKey };
  }

  // ------------------------------------------------------------ sending

  private nextMessageKey(rnd: EncryptRandomness): { n: number; key: Uint8Array; eph: Uint8Array; nonce: Uint8Array } {
    if (this.destroyed) throw new SessionError("not_ready", "the session has been closed");
    const n = ++this.messageCounter;
    // Draw order as the reference: ephemeral key, then nonce (§6.2).
    let ephPriv: Uint8Array | KeyObject;
    let eph: Uint8Array;
    if (rnd.ephemeralPrivateKey) {
      ephPriv = Uint8Array.from(rnd.ephemeralPrivateKey);
      eph = x25519PublicFromPrivate(ephPriv);
    } else {
      const kp = x25519Ephemeral();
      ephPriv = kp.privateKey;
      eph = kp.publicKey;
    }
    const nonce = rnd.nonce ? Uint8Array.from(rnd.nonce) : randomBytes(12);
    const dh = x25519(ephPriv, this.peerPub);
    const mixed = dhMix(this.sendChainKey, dh, n);
    const key = messageKey(mixed, n);
    const next = ratchet(this.sendChainKey, n);
    if (ephPriv instanceof Uint8Array) wipe(ephPriv);
    wipe(dh, mixed, this.sendChainKey);
    this.sendChainKey = next;
    return { n, key, eph, nonce };
  }

  /** Encrypts an inner plaintext into the outer ENCRYPTED_MESSAGE bytes (§6.6). */
  encrypt(inner: Uint8Array, rnd: EncryptRandomness = {}): { wire: Uint8Array; counter: number } {
    const { n, key, eph, nonce } = this.nextMessageKey(rnd);
    const nonceB64 = b64encode(nonce);
    const ephB64 = b64encode(eph);
    const ct = doubleEncrypt(key, nonce, inner, aadFor(MessageType.ENCRYPTED_MESSAGE, n, nonceB64, ephB64));
    wipe(key);
    const mac = b64encode(hmac("sha512", this.encryptionKey, hmacInputFor(n, nonceB64, ephB64)));
    const wire = enc(
      `{"type": 10, "counter": ${n}, "nonce": "${nonceB64}", "ciphertext": "${b64encode(ct)}", "dh_public_key": "${ephB64}", "verification": "${mac}"}`,
    );
    return { wire, counter: n };
  }

  /** Encrypts one file chunk into a binary FILE_CHUNK frame (§8.5). */
  encryptChunk(transferId: string, chunkIndex: number, data: Uint8Array, rnd: EncryptRandomness = {}): { frame: Uint8Array; counter: number } {
    const k = this.prepareChunkKeys(rnd);
    const frame = doubleEncryptParts(k.messageKey, k.nonce, [chunkHeader(transferId, chunkIndex), data], k.aad, 48);
    wipe(k.messageKey);
    frame.set(chunkFramePrefix(k), 0);
    return { frame, counter: k.counter };
  }

  /**
   * The ordered half of encryptChunk: takes the next counter, does the chain
   * step, the DH and the HKDFs, and returns what the AEAD needs. The caller
   * encrypts `chunkHeader(id, i) || data` with doubleEncrypt under these keys
   * (e.g. in a worker), builds the frame with assembleChunkFrame, and must put
   * frames on the wire in counter order (§13). The counter is spent even if
   * the caller never sends the frame (the peer then sees a gap, which is fine).
   */
  prepareChunkKeys(rnd: EncryptRandomness = {}): ChunkSealKeys {
    const { n, key, eph, nonce } = this.nextMessageKey(rnd);
    return { counter: n, messageKey: key, nonce, ephemeralPublic: eph, aad: aadFor(MessageType.FILE_CHUNK, n, b64encode(nonce), b64encode(eph)) };
  }

  // ------------------------------------------------------------ receiving

  private touchSaved(n: number): Uint8Array | undefined {
    const ck = this.saved.get(n);
    if (ck) {
      this.saved.delete(n);
      this.saved.set(n, ck);
    }
    return ck;
  }

  private save(n: number, ck: Uint8Array): void {
    // "Only if not already present" (§7 step 3); a lookup refreshes recency.
    if (this.touchSaved(n)) return;
    this.saved.set(n, ck);
    if (this.saved.size > this.capacity) {
      const oldest = this.saved.keys().next().value as number;
      wipe(this.saved.get(oldest));
      this.saved.delete(oldest);
    }
  }

  private checkGap(n: number, base = this.peerCounter): void {
    if (n - base > this.maxGap) {
      throw new SessionError("out_of_window", `message counter jumps too far ahead (more than ${this.maxGap} messages)`);
    }
  }

  /**
   * Decrypts a parsed outer ENCRYPTED_MESSAGE. Order of checks as §7: HMAC
   * first, so a forged counter costs one HMAC and no ratchet work.
   */
  decrypt(outer: JsonObject): DecryptedMessage {
    if (this.destroyed) throw new SessionError("not_ready", "the session has been closed");
    if (this.openJobs.length > 0) throw new SessionError("not_ready", "file chunk opens are pending");
    const { counter: n, nonce: nonceB64, ciphertext: ctB64, dh_public_key: ephB64, verification: macB64 } = outer;
    if (
      typeof n !== "number" || !Number.isSafeInteger(n) || n < 1 ||
      typeof nonceB64 !== "string" || typeof ctB64 !== "string" ||
      typeof ephB64 !== "string" || typeof macB64 !== "string"
    ) {
      throw new SessionError("malformed", "malformed encrypted message");
    }
    let nonce: Uint8Array, ct: Uint8Array, eph: Uint8Array, mac: Uint8Array;
    try {
      nonce = b64decodeStrict(nonceB64);
      ct = b64decodeStrict(ctB64);
      eph = b64decodeStrict(ephB64);
      mac = b64decodeStrict(macB64);
    } catch {
      throw new SessionError("malformed", "malformed encrypted message (bad base64)");
    }
    if (nonce.length !== 12 || eph.length !== 32) throw new SessionError("malformed", "malformed encrypted message (field sizes)");
    const expected = hmac("sha512", this.encryptionKey, hmacInputFor(n, nonceB64, ephB64));
    if (!ctEqual(expected, mac)) throw new SessionError("hmac_failed", "message authentication (HMAC) failed");

    let ck: Uint8Array;
    let fromSaved = false;
    const walked: [number, Uint8Array][] = [];
    if (n <= this.peerCounter) {
      const s = this.touchSaved(n);
      if (!s) throw new SessionError("replay", "replayed or too old message");
      ck = s;
      fromSaved = true;
    } else {
      this.checkGap(n);
      ck = this.receiveChainKey;
      for (let i = this.peerCounter + 1; i < n; i++) {
        walked.push([i, ck]);
        ck = ratchet(ck, i);
      }
    }
    const plaintext = this.openWithChain(ck, n, eph, nonce, ct, aadFor(MessageType.ENCRYPTED_MESSAGE, n, b64encode(nonce), b64encode(eph)));
    // Unlike the reference (§15.9), a failed message leaves no cache entries:
    // skipped states are saved only once the message authenticated.
    let text: Uint8Array;
    try {
      fromUtf8(plaintext);
      text = plaintext;
    } catch {
      throw new SessionError("invalid_utf8", "decrypted message is not valid UTF-8");
    }
    for (const [i, s] of walked) this.save(i, s);
    if (fromSaved) {
      this.saved.delete(n);
      wipe(ck);
    } else {
      // ck is never a cached state (those are the ones before it), so it can go.
      this.receiveChainKey = ratchet(ck, n);
      wipe(ck);
      this.peerCounter = n;
    }
    return { counter: n, plaintext: text, outOfOrder: fromSaved };
  }

  private openWithChain(ck: Uint8Array, n: number, eph: Uint8Array, nonce: Uint8Array, ct: Uint8Array, aad: Uint8Array): Uint8Array {
    let dh: Uint8Array;
    try {
      dh = x25519(this.ownPriv, eph);
    } catch {
      throw new SessionError("decrypt_failed", "decryption failed (bad ephemeral key)");
    }
    const mixed = dhMix(ck, dh, n);
    const key = messageKey(mixed, n);
    wipe(dh, mixed);
    try {
      return doubleDecrypt(key, nonce, ct, aad);
    } catch {
      throw new SessionError("decrypt_failed", "decryption failed (ciphertext or padding)");
    } finally {
      wipe(key);
    }
  }

  /**
   * Decrypts a binary FILE_CHUNK frame (§8.5): in order only, no saved states.
   * The synchronous form of beginChunkOpen + AEAD + finishChunkOpen.
   */
  decryptChunk(frame: Uint8Array): DecryptedChunk {
    if (this.openJobs.length > 0) throw new SessionError("not_ready", "file chunk opens are pending");
    const job = this.beginChunkOpen(frame) as ChunkOpenState;
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
    return this.openJobs.length;
  }

  /**
   * The counter a new FILE_CHUNK is compared with: the highest begun frame's
   * while opens are pending, else the committed peer counter. A chunk frame
   * with a counter at or below this while opens are pending must wait until
   * they are finished and then go through decryptChunk: only then is the
   * answer the same as for strictly sequential processing.
   */
  get chunkOpenBase(): number {
    return this.openJobs.length > 0 ? this.specCounter : this.peerCounter;
  }

  /**
   * First half of decryptChunk for pipelining (§8.5 steps 1–4 up to the AEAD):
   * walks the chain from where the frames begun so far will leave it, does the
   * DH and the HKDFs, and returns the job for the AEAD. Nothing is committed:
   * the committed state changes only in finishChunkOpen, in begin order. The
   * key for counter n does not depend on whether earlier frames authenticate
   * (the walk computes the same chain key either way), so a failed earlier
   * frame never invalidates a later job. While jobs are pending, decrypt() and
   * decryptChunk() refuse to run (the caller must keep one order).
   * Throws SessionError (replay, out_of_window, malformed, decrypt_failed for a
   * bad ephemeral key) with nothing changed.
   */
  beginChunkOpen(frame: Uint8Array): ChunkOpenJob {
    if (this.destroyed) throw new SessionError("not_ready", "the session has been closed");
    if (frame.length < 48 + 96) throw new SessionError("malformed", "file chunk frame too short");
    const n = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, false);
    const speculating = this.openJobs.length > 0;
    const base = speculating ? this.specCounter : this.peerCounter;
    const baseChain = speculating ? this.specChain! : this.receiveChainKey;
    if (n <= base) throw new SessionError("replay", "replayed or out-of-order file chunk");
    this.checkGap(n, base);
    const nonce = frame.subarray(4, 16);
    const eph = frame.subarray(16, 48);
    let dh: Uint8Array;
    try {
      dh = x25519(this.ownPriv, eph);
    } catch {
      throw new SessionError("decrypt_failed", "decryption failed (bad ephemeral key)");
    }
    let ck = baseChain;
    for (let i = base + 1; i < n; i++) {
      const step = ratchet(ck, i);
      if (ck !== baseChain) wipe(ck);
      ck = step;
    }
    const mixed = dhMix(ck, dh, n);
    const key = messageKey(mixed, n);
    const next = ratchet(ck, n);
    wipe(dh, mixed);
    if (ck !== baseChain) wipe(ck);
    const job: ChunkOpenState = {
      counter: n,
      messageKey: key,
      nonce: Uint8Array.from(nonce),
      aad: aadFor(MessageType.FILE_CHUNK, n, b64encode(nonce), b64encode(eph)),
      ciphertext: frame.subarray(48),
      next,
      epoch: this.epoch,
      settled: false,
    };
    if (this.specChain) wipe(this.specChain);
    this.specChain = Uint8Array.from(next);
    this.specCounter = n;
    this.openJobs.push(job);
    return job;
  }

  /**
   * Second half: `plaintext` is the AEAD result for `job` (null when it did
   * not authenticate). Must be called once per job, in begin order. A failed
   * frame leaves the committed state unchanged (§8.5 step 4); an
   * authenticated one commits exactly as decryptChunk does. Throws
   * SessionError like decryptChunk.
   */
  finishChunkOpen(job: ChunkOpenJob, plaintext: Uint8Array | null): DecryptedChunk {
    const st = job as ChunkOpenState;
    const i = this.openJobs.indexOf(st);
    if (i < 0 || st.settled) throw new SessionError("not_ready", "this file chunk was not begun or is already finished");
    if (i !== 0) throw new SessionError("not_ready", "file chunks must be finished in the order they were begun");
    st.settled = true;
    this.openJobs.shift();
    if (this.openJobs.length === 0) {
      wipe(this.specChain);
      this.specChain = null;
      this.specCounter = 0;
    }
    wipeUnlessDetached(st.messageKey);
    try {
      if (this.destroyed || st.epoch !== this.epoch) throw new SessionError("not_ready", "the keys changed while the file chunk was decrypted");
      if (plaintext === null) throw new SessionError("decrypt_failed", "decryption failed (ciphertext or padding)");
      const n = st.counter;
      if (n <= this.peerCounter) throw new SessionError("replay", "replayed or out-of-order file chunk");
      const parsed = parseChunkPlaintext(plaintext);
      // The frame authenticated: commit even if the file layer later refuses it (§8.5 step 6).
      wipe(this.receiveChainKey);
      this.receiveChainKey = st.next;
      this.peerCounter = n;
      st.next = new Uint8Array(0);
      return { counter: n, ...validChunkFields(parsed) };
    } finally {
      wipe(st.next);
    }
  }

  private dropChunkOpens(): void {
    this.epoch++;
    for (const j of this.openJobs) {
      j.settled = true;
      wipeUnlessDetached(j.messageKey);
      wipe(j.next);
    }
    this.openJobs.length = 0;
    wipe(this.specChain);
    this.specChain = null;
    this.specCounter = 0;
  }

  // ------------------------------------------------------------ rekey switch

  /** Stores keys derived by a rekey until the switch point (§9). */
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
   * unlike the reference (§15.9) — an empty saved-chain cache, so stale states
   * from the previous epoch cannot poison the new one.
   */
  activatePendingKeys(): void {
    if (!this.pending) throw new SessionError("not_ready", "no pending keys to activate");
    this.dropChunkOpens();
    wipe(this.encryptionKey, this.sendChainKey, this.receiveChainKey);
    this.encryptionKey = this.pending.encryptionKey;
    this.sendChainKey = Uint8Array.from(this.pending.rootChainKey);
    this.receiveChainKey = this.pending.rootChainKey;
    this.pending = null;
    this.messageCounter = 0;
    this.peerCounter = 0;
    this.clearSaved();
  }

  private clearSaved(): void {
    for (const v of this.saved.values()) wipe(v);
    this.saved.clear();
  }

  /** Wipes all key material; the session is unusable afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.dropChunkOpens();
    wipe(this.encryptionKey, this.sendChainKey, this.receiveChainKey);
    this.clearPendingKeys();
    this.clearSaved();
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** A message key handed to a worker by transfer is detached here (byteLength 0): nothing left to wipe. */
function wipeUnlessDetached(b: Uint8Array): void {
  if (b.byteLength > 0) b.fill(0);
}

/** §8.5 step 5 on a chunk plaintext (before the commit). */
function parseChunkPlaintext(plain: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  if (plain.length < 2) throw new SessionError("malformed", "file chunk without header");
  const hlen = (plain[0]! << 8) | plain[1]!;
  if (2 + hlen > plain.length) throw new SessionError("malformed", "file chunk header length out of range");
  let header: unknown;
  try {
    header = JSON.parse(fromUtf8(plain.subarray(2, 2 + hlen)));
  } catch {
    throw new SessionError("malformed", "file chunk header is not JSON");
  }
  const h = header as Record<string, unknown> | null;
  if (!h || typeof h !== "object" || h["type"] !== MessageType.FILE_CHUNK) throw new SessionError("malformed", "file chunk header has the wrong type");
  return { header: h, data: plain.subarray(2 + hlen) };
}

/** The header fields the file layer needs (checked after the commit, as decryptChunk). */
function validChunkFields(p: { header: Record<string, unknown>; data: Uint8Array }): Omit<DecryptedChunk, "counter"> {
  const transferId = p.header["transfer_id"];
  const chunkIndex = p.header["chunk_index"];
  if (typeof transferId !== "string" || typeof chunkIndex !== "number" || !Number.isSafeInteger(chunkIndex)) {
    throw new SessionError("malformed", "file chunk header fields are invalid");
  }
  return { transferId, chunkIndex, data: p.data };
}
