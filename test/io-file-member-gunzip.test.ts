// The receiver's gunzip (src/io/file/member-gunzip.ts): whole members with
// libdeflate where built, node:zlib for the rest, and node:zlib's verdict for
// anything libdeflate cannot take. Each case runs on both decoders (libdeflate,
// when built, and zlib alone) and is compared with node:zlib's gunzipSync.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { gunzipMember, gzipMember } from "../src/io/deflate.js";
import { FIRST_MEMBER_OUTPUT, GUNZIP_CHUNK, MAX_MEMBER_OUTPUT, MAX_PENDING, MemberGunzip } from "../src/io/file/member-gunzip.js";

const decoders = [{ name: "zlib only", decoder: null }, ...(gunzipMember ? [{ name: "libdeflate", decoder: gunzipMember }] : [])];

interface Run {
  out: Buffer;
  error: unknown;
  biggestPiece: number;
  gz: MemberGunzip;
}

/** Feeds `stream` in pieces of the given sizes (cycled), then ends; collects what the sink got. */
async function run(stream: Uint8Array, pieces: number[], decoder: typeof gunzipMember, limit = 1 << 30): Promise<Run> {
  const got: Buffer[] = [];
  let total = 0;
  let biggestPiece = 0;
  const gz = new MemberGunzip(
    limit,
    async (p) => {
      total += p.length;
      biggestPiece = Math.max(biggestPiece, p.length);
      if (total > limit) throw new Error("over the limit");
      got.push(Buffer.from(p)); // the bytes may be reused once this resolves
      await Promise.resolve();
    },
    decoder,
  );
  let error: unknown = null;
  try {
    let off = 0;
    for (let i = 0; off < stream.length; i++) {
      const n = Math.max(1, pieces[i % pieces.length]!);
      const piece = Uint8Array.from(stream.subarray(off, off + n));
      await gz.write(piece);
      piece.fill(0xaa); // the caller may reuse its bytes once write() settled: what it keeps was copied
      off += n;
    }
    await gz.end();
  } catch (err) {
    error = err;
  }
  return { out: Buffer.concat(got), error, biggestPiece, gz };
}

function zlibVerdict(stream: Uint8Array): { out: Buffer | null; error: unknown } {
  try {
    return { out: gunzipSync(stream), error: null };
  } catch (err) {
    return { out: null, error: err };
  }
}

function members(parts: Uint8Array[], level = 6): Buffer {
  return Buffer.concat(parts.map((p) => gzipMember(p, level)));
}

const text = (n: number) => Buffer.from(Array.from({ length: Math.ceil(n / 8) }, (_, i) => `w${i % 1000} `).join("")).subarray(0, n);

for (const { name, decoder } of decoders) {
  test(`${name}: multi-member streams of mixed content, fed in any piece sizes, give exactly the input`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * 1024 * 1024 }), fc.boolean()), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 1_500_000 }), { minLength: 1, maxLength: 4 }),
        async (spec, pieces) => {
          const parts = spec.map(([n, t]) => (t ? text(n) : randomBytes(n)));
          const r = await run(members(parts), pieces, decoder);
          assert.equal(r.error, null);
          assert.ok(r.out.equals(Buffer.concat(parts)));
          if (decoder) assert.equal(r.gz.usedZlib, false, "libdeflate should have taken every member");
        },
      ),
      { numRuns: 12 },
    );
  });

  test(`${name}: members whose output is longer than the first output buffer still decode whole (the buffer grows)`, async () => {
    const parts = [text(FIRST_MEMBER_OUTPUT + 1), text(100), text(2 * FIRST_MEMBER_OUTPUT + 5000), text(FIRST_MEMBER_OUTPUT)];
    const r = await run(members(parts), [1024 * 1024], decoder);
    assert.equal(r.error, null);
    assert.ok(r.out.equals(Buffer.concat(parts)));
    if (decoder) assert.equal(r.gz.usedZlib, false, "libdeflate took every member");
  });

  test(`${name}: a member longer than the buffers (the reference's single member) goes through node:zlib`, async () => {
    const data = randomBytes(MAX_PENDING + 3 * 1024 * 1024);
    const r = await run(gzipSync(data, { level: 1 }), [1024 * 1024], decoder);
    assert.equal(r.error, null);
    assert.ok(r.out.equals(data));
    assert.equal(r.gz.usedZlib, true);
  });

  test(`${name}: trailing zeros, garbage, truncation, corruption and an empty stream get node:zlib's verdict`, async () => {
    const a = text(300_000);
    const b = randomBytes(200_000);
    const good = members([a, b]);
    const flipped = Uint8Array.from(good);
    flipped[good.length >> 1]! ^= 0x10;
    const cases: [string, Uint8Array][] = [
      ["trailing zeros", Buffer.concat([good, Buffer.alloc(100)])],
      ["zeros then another member (ignored)", Buffer.concat([good, Buffer.alloc(3), gzipSync("more")])],
      ["trailing garbage", Buffer.concat([good, Buffer.from("garbage")])],
      ["truncated", good.subarray(0, good.length - 5)],
      ["cut inside the second member", good.subarray(0, good.length - 100_000)],
      ["corrupt", flipped],
      ["empty", new Uint8Array(0)],
      ["zeros only", new Uint8Array(64)],
    ];
    for (const [what, stream] of cases) {
      const want = zlibVerdict(stream);
      const r = await run(stream, [65_536, 1_048_576], decoder);
      if (want.error) {
        assert.notEqual(r.error, null, `${what}: accepted what zlib refuses`);
        assert.equal((r.error as { code?: string }).code, (want.error as { code?: string }).code, `${what}: a different error`);
      } else {
        assert.equal(r.error, null, `${what}: ${String(r.error)}`);
        assert.ok(r.out.equals(want.out!), `${what}: different output`);
      }
    }
  });

  test(`${name}: a gzip bomb stops at the limit, with no piece bigger than the limit allows`, async () => {
    const limit = 1024 * 1024;
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 }); // ~200 KiB that inflates to 200 MiB
    const r = await run(bomb, [1024 * 1024], decoder, limit);
    assert.match(String(r.error), /over the limit/);
    assert.ok(r.biggestPiece <= Math.max(limit + 1, GUNZIP_CHUNK), `a piece of ${r.biggestPiece} bytes`);
    assert.ok(r.out.length <= limit);
  });

  test(`${name}: a stream of many members each within the limit is still capped as a whole`, async () => {
    const limit = 3 * 1024 * 1024;
    const stream = members(Array.from({ length: 8 }, () => Buffer.alloc(1024 * 1024)));
    const r = await run(stream, [1024 * 1024], decoder, limit);
    assert.match(String(r.error), /over the limit/);
    assert.ok(r.biggestPiece <= Math.min(MAX_MEMBER_OUTPUT, limit + 1));
  });
}
