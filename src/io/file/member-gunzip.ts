// The receiver's gunzip: whole gzip members with the deflate addon where it is
// built (../deflate.ts: libdeflate, or ISA-L's inflate for plain headers),
// node:zlib's streaming gunzip for everything else. A gzip
// stream is one or more members (WIRE-NOTES §8.4: our sender cuts one per
// 2 MiB of input, the reference writes one for the whole file). Bytes are
// gathered until the next member is likely complete (about as long as the
// longest member so far) and libdeflate decodes it in one call, into an output
// buffer no bigger than what the announced size still allows. Whenever
// libdeflate cannot take a member whole — corrupt or truncated data, a member
// longer than the buffers here (the reference's single member), output that
// would not fit — node:zlib takes over from that member on, and its verdict is
// the one that counts: exactly today's zlib behaviour for errors, trailing
// bytes and bombs, with memory bounded by MAX_PENDING + MAX_MEMBER_OUTPUT.
import { once } from "node:events";
import { createGunzip, type Gunzip } from "node:zlib";
import { uninitialized } from "../../protocol/bytes.js";
import { GUNZIP_BAD_DATA, GUNZIP_NO_ROOM, GUNZIP_OK, gunzipMember } from "../deflate.js";

/** gunzip output piece of the zlib path: big pieces mean few hops through the hash and the writes (zlib's default is 16 KiB). */
export const GUNZIP_CHUNK = 256 * 1024;
/** Compressed bytes gathered for one member at most before zlib takes over. */
export const MAX_PENDING = 8 * 1024 * 1024;
/** What the pending buffer reserves at first: room for MAX_PENDING and one more 1 MiB write. */
const PENDING_RESERVE = MAX_PENDING + 1024 * 1024;
/** Largest member output decoded in one piece (our sender's members hold 2 MiB, its earlier versions' 4 MiB). */
export const MAX_MEMBER_OUTPUT = 16 * 1024 * 1024;
/**
 * The output buffer's first size: one member of our earlier senders (WIRE-NOTES
 * §8.4: 4 MiB of input each; 2 MiB now). It is not initialised, so only the
 * pages the members use are ever touched.
 */
export const FIRST_MEMBER_OUTPUT = 4 * 1024 * 1024;

/**
 * Receives the decompressed bytes in order. The bytes may be reused once the
 * returned promise settles, so a sink must be done with them by then (hash
 * them, write them). A sink that throws fails the stream with its error.
 */
export type GunzipSink = (piece: Uint8Array) => Promise<void> | void;

type Decoder = NonNullable<typeof gunzipMember>;

export class MemberGunzip {
  private pending: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end_ = 0;
  private out: Uint8Array | null = null;
  /** Compressed size at which the next libdeflate attempt is worth it. */
  private nextTry = 1;
  private longest = 0;
  private members = 0;
  private produced = 0;
  /** After a member, a zero byte ends the stream and the rest is ignored (as node:zlib does). */
  private ignoring = false;
  private zlib: { gz: Gunzip; consumer: Promise<void> } | null = null;
  private tail: Promise<void> = Promise.resolve();
  private destroyed = false;

  /**
   * `limit`: the most output the stream may have (the announced size); the
   * sink checks it exactly, this only keeps libdeflate's buffers within it.
   * `decoder`: libdeflate, or null for node:zlib only.
   */
  constructor(
    private readonly limit: number,
    private readonly sink: GunzipSink,
    private readonly decoder: Decoder | null = gunzipMember,
  ) {}

  /** Members libdeflate decoded (the rest, if any, went through node:zlib). */
  get fastMembers(): number {
    return this.members;
  }

  /** True once node:zlib took over. */
  get usedZlib(): boolean {
    return this.zlib !== null;
  }

  /**
   * Adds compressed bytes. The caller keeps `data` as it is until the returned
   * promise settles and may reuse it from then on: what is kept beyond that is
   * copied (into the pending member, or for node:zlib). Calls are handled in
   * order; each resolves once its bytes went as far as they can (through the
   * sink, or waiting for the rest of their member). The first error (corrupt
   * data from zlib, the sink's) rejects this and every later call.
   */
  write(data: Uint8Array): Promise<void> {
    this.tail = this.tail.then(() => this.step(data));
    return this.tail;
  }

  /** No more input: decodes what is left; rejects if the stream is incomplete or corrupt. */
  end(): Promise<void> {
    this.tail = this.tail.then(() => this.finish());
    return this.tail;
  }

  /** Stops at once; pending calls settle without touching the sink again. */
  destroy(): void {
    this.destroyed = true;
    this.pending = new Uint8Array(0);
    this.start = this.end_ = 0;
    this.zlib?.gz.destroy();
  }

  /** Settles when every call so far is done (never rejects). */
  settled(): Promise<void> {
    return this.tail.catch(() => undefined);
  }

  private async step(data: Uint8Array): Promise<void> {
    if (this.destroyed || this.ignoring) return;
    // node:zlib's stream may still hold the bytes after write() returned: it gets its own copy.
    if (this.zlib) return this.toZlib(Uint8Array.from(data));
    if (!this.decoder) {
      await this.startZlib();
      return this.toZlib(Uint8Array.from(data));
    }
    this.append(data);
    await this.decodeMembers(false);
  }

  private async finish(): Promise<void> {
    if (this.destroyed) return;
    if (!this.zlib && !this.ignoring) {
      if (this.decoder) await this.decodeMembers(true);
      // Nothing decoded at all (an empty stream): zlib gives the verdict.
      if (!this.zlib && this.members === 0) await this.startZlib();
    }
    const z = this.zlib;
    if (z) {
      z.gz.end();
      await z.consumer;
    }
  }

  /**
   * Gathers `data` after the bytes still pending, which first move to the
   * front (at most a member's start, once per member): the pages in use stay
   * those of the longest member plus one write. The buffer is reserved at once
   * for MAX_PENDING and a chunk (a small file's size and a chunk, if less) but
   * not initialised, so pages never used cost nothing, and no member is copied
   * again as the buffer would grow.
   */
  private append(data: Uint8Array): void {
    const len = this.end_ - this.start;
    if (this.start > 0) {
      this.pending.copyWithin(0, this.start, this.end_);
      this.start = 0;
      this.end_ = len;
    }
    if (this.pending.length - this.end_ < data.length) {
      const next = uninitialized(Math.max(len + data.length, this.pending.length * 2, Math.min(PENDING_RESERVE, this.limit + 1024 * 1024)));
      next.set(this.pending.subarray(0, len), 0);
      this.pending = next;
    }
    this.pending.set(data, this.end_);
    this.end_ += data.length;
  }

  /** libdeflate on every member that is (likely) complete; `final`: no more input will come. */
  private async decodeMembers(final: boolean): Promise<void> {
    const decode = this.decoder!;
    while (this.end_ > this.start && !this.zlib && !this.destroyed) {
      const have = this.end_ - this.start;
      if (this.members > 0 && this.pending[this.start] === 0) {
        this.ignoring = true;
        this.start = this.end_ = 0;
        return;
      }
      if (!final && have < this.nextTry) return;
      // Sized for our sender's members first, grown for longer ones: fresh pages are not free.
      this.out ??= uninitialized(Math.min(this.limit + 1, FIRST_MEMBER_OUTPUT));
      const room = Math.min(this.limit - this.produced + 1, this.out.length);
      const r = decode(this.pending.subarray(this.start, this.end_), this.out.subarray(0, room));
      const most = Math.min(this.limit + 1, MAX_MEMBER_OUTPUT);
      if (r.status === GUNZIP_NO_ROOM && room === this.out.length && this.out.length < most) {
        this.out = uninitialized(Math.min(most, 2 * this.out.length));
        continue;
      }
      if (r.status === GUNZIP_OK) {
        this.members++;
        this.start += r.usedIn;
        this.produced += r.usedOut;
        this.longest = Math.max(this.longest, r.usedIn);
        this.nextTry = this.longest;
        await this.sink(this.out.subarray(0, r.usedOut));
        continue;
      }
      if (r.status === GUNZIP_BAD_DATA && !final && have < MAX_PENDING) {
        // Most likely the member's end has not arrived yet: try again with half as much more.
        this.nextTry = Math.min(MAX_PENDING, Math.ceil(have * 1.5));
        return;
      }
      await this.startZlib();
    }
  }

  /** node:zlib from here on, starting with the bytes gathered so far. */
  private async startZlib(): Promise<void> {
    // multi-member streams and trailing zero bytes are accepted, as by the reference (WIRE-NOTES §8.4)
    const gz = createGunzip({ chunkSize: GUNZIP_CHUNK });
    const consumer = (async () => {
      for await (const piece of gz as AsyncIterable<Buffer>) {
        if (this.destroyed) return;
        await this.sink(piece);
      }
    })();
    consumer.catch(() => undefined); // awaited by the writes and end(); never unhandled
    this.zlib = { gz, consumer };
    const rest = this.pending.subarray(this.start, this.end_);
    this.pending = new Uint8Array(0);
    this.start = this.end_ = 0;
    if (rest.length > 0) await this.toZlib(rest);
  }

  private async toZlib(data: Uint8Array): Promise<void> {
    const z = this.zlib!;
    if (data.length === 0 || z.gz.write(data)) return;
    // Wait for zlib to catch up, or for the stream to fail.
    await Promise.race([once(z.gz, "drain"), z.consumer]);
  }
}
