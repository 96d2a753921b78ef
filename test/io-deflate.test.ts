// The gzip engine (src/io/deflate.ts, native/deflate.c): libdeflate where the
// addon built (always in CI, which sets PQCHAT_REQUIRE_NATIVE), node:zlib
// otherwise or with PQCHAT_GZIP=zlib. Differential tests against node:zlib in
// both directions, refusals of bad input without a crash, and the file suites
// run once more on node:zlib.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { CHEAP_GZIP_LEVELS, DEFAULT_GZIP_LEVEL, FAST_GZIP_LEVEL, GUNZIP_BAD_DATA, GUNZIP_NO_ROOM, GUNZIP_OK, IGZIP_LEVEL, gunzipEngine, gunzipMember, gzipEngine, gzipMember, gzipMemberAsync, gzipMemberAsyncInto, gzipOutputBound, igzipBuilt, levelName, libdeflateBuilt } from "../src/io/deflate.js";

const report = (JSON.parse(readFileSync(new URL("../native-build.json", import.meta.url), "utf8")) as Record<string, { built: boolean; reason?: string; with?: string[] }>)["deflate.c"];

interface Addon {
  gzip(input: Uint8Array, level: number): Uint8Array;
  gzipAsync(input: Uint8Array, level: number): Promise<Uint8Array>;
  gunzip(input: Uint8Array, out: Uint8Array): [number, number, number];
}
const addon = report?.built ? (createRequire(import.meta.url)("../src/io/native/deflate.node") as Addon) : null;

/** Text-like bytes (compressible) or random bytes (not). */
function sample(size: number, compressible: boolean): Uint8Array {
  if (!compressible) return randomBytes(size);
  const words = ["alpha ", "beta ", "gamma, ", "delta.\n", "epsilon ", "zeta; "];
  let s = "";
  while (s.length < size) s += words[(s.length * 7919) % words.length]! + String(s.length % 977);
  return Buffer.from(s.slice(0, size));
}

test("the build report says whether libdeflate was built, and the engine follows it and PQCHAT_GZIP", () => {
  assert.ok(report, "the build report has no entry for deflate.c");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) assert.equal(report.built, true, `deflate.c did not build: ${report.reason}`);
  assert.equal(libdeflateBuilt, report.built);
  assert.equal(gzipEngine, report.built && process.env["PQCHAT_GZIP"] !== "zlib" ? "libdeflate" : "zlib");
});

test("gzipMember gives one gzip member node:zlib decodes to the input, at every level, whichever engine", () => {
  for (const size of [0, 1, 63, 4096, 65_537, 1_048_576 + 13]) {
    for (const compressible of [true, false]) {
      const data = sample(size, compressible);
      for (const level of [0, 1, 6, 9]) assert.deepEqual(new Uint8Array(gunzipSync(gzipMember(data, level))), new Uint8Array(data), `size ${size} level ${level}`);
    }
  }
  assert.throws(() => gzipMember(new Uint8Array(1), 10), RangeError);
  assert.throws(() => gzipMember(new Uint8Array(1), -1), RangeError);
});

test("gzipMemberAsync (libuv's pool) gives the same bytes as gzipMember on this thread, whichever engine; bad levels reject", async () => {
  const jobs: Promise<void>[] = [];
  for (const size of [0, 1, 4096, 1_048_576 + 13, 4 * 1_048_576]) {
    for (const compressible of [true, false]) {
      const data = sample(size, compressible);
      for (const level of [0, ...CHEAP_GZIP_LEVELS, DEFAULT_GZIP_LEVEL, 9]) {
        // Many at once, as the sender runs them: each job keeps its own input and output.
        jobs.push(
          gzipMemberAsync(data, level).then((z) => {
            // node:zlib's async and sync paths may cut stored blocks differently (level 0): same content, not always the same bytes.
            if (gzipEngine === "libdeflate") assert.deepEqual(new Uint8Array(z), new Uint8Array(gzipMember(data, level)), `size ${size} level ${level}`);
            assert.deepEqual(new Uint8Array(gunzipSync(z)), new Uint8Array(data));
          }),
        );
      }
    }
  }
  await Promise.all(jobs);
  await assert.rejects(gzipMemberAsync(new Uint8Array(1), 10), RangeError);
  await assert.rejects(gzipMemberAsync(new Uint8Array(1), 1.5), RangeError);
});

test("gzipMemberAsyncInto: the same member as gzipMember, in the caller's buffer where the engine can, several at once into their own buffers", async () => {
  const bound = gzipOutputBound(4 * 1_048_576);
  if (gzipEngine === "libdeflate") assert.ok(bound >= 4 * 1_048_576, "a bound at least the input (random data does not shrink)");
  else assert.equal(bound, 0, "node:zlib makes its own buffers");
  const outs = [0, 1, 2].map(() => new Uint8Array(Math.max(bound, 1)).fill(0x55));
  // Reused one after another, as the sender's stream of members reuses them.
  for (const round of [0, 1]) {
    const datas = [sample(4 * 1_048_576, true), sample(4 * 1_048_576 - 7, false), sample(100 + round, true)];
    const members = await Promise.all(datas.map((d, i) => gzipMemberAsyncInto(d, FAST_GZIP_LEVEL, outs[i]!)));
    members.forEach((z, i) => {
      assert.deepEqual(new Uint8Array(z), new Uint8Array(gzipMember(datas[i]!, FAST_GZIP_LEVEL)), `member ${i}, round ${round}`);
      if (gzipEngine === "libdeflate") assert.equal(z.buffer, outs[i]!.buffer, "written into the caller's buffer");
    });
  }
  // A buffer too small for the bound: the member comes in a new buffer, the small one untouched.
  const small = new Uint8Array(64).fill(7);
  const z = await gzipMemberAsyncInto(sample(4096, true), 6, small);
  assert.notEqual(z.buffer, small.buffer);
  assert.deepEqual(new Uint8Array(gunzipSync(z)), new Uint8Array(sample(4096, true)));
  assert.ok(small.every((b) => b === 7));
  await assert.rejects(gzipMemberAsyncInto(new Uint8Array(1), 10, outs[0]!), RangeError);
});

test("the build report says whether deflate.c came with ISA-L (always in CI); igzip is the cheapest level exactly then", () => {
  const withIgzip = report?.with?.includes("isa-l") ?? false;
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) assert.equal(withIgzip, true, "deflate.c was built without ISA-L (libisal-dev)");
  assert.equal(igzipBuilt, withIgzip);
  const active = withIgzip && gzipEngine === "libdeflate" && process.env["PQCHAT_GZIP"] !== "libdeflate";
  assert.equal(IGZIP_LEVEL !== null, active);
  assert.equal(gunzipEngine, active ? "ISA-L" : gzipEngine);
  assert.deepEqual(CHEAP_GZIP_LEVELS, active ? [IGZIP_LEVEL, 2] : gzipEngine === "libdeflate" ? [1, 2] : [4]);
  assert.equal(levelName(2), "2");
  if (IGZIP_LEVEL !== null) assert.equal(levelName(IGZIP_LEVEL), "igzip");
  // Without igzip its number is no level at all.
  else assert.throws(() => gzipMember(new Uint8Array(1), 103), RangeError);
});

test("igzip members: node:zlib and libdeflate decode them to the input at any size, compressible or not, within gzipOutputBound", async () => {
  const level = IGZIP_LEVEL;
  if (level === null) {
    await assert.rejects(gzipMemberAsync(new Uint8Array(1), 103), RangeError);
    return;
  }
  for (const size of [0, 1, 63, 65_535, 65_536, 65_537, 1_048_576 + 13, 4 * 1_048_576]) {
    for (const compressible of [true, false]) {
      const data = sample(size, compressible);
      const z = gzipMember(data, level);
      assert.deepEqual(new Uint8Array(gunzipSync(z)), new Uint8Array(data), `size ${size}`);
      const out = new Uint8Array(size);
      const r = gunzipMember!(z, out);
      assert.deepEqual([r.status, r.usedIn, r.usedOut], [GUNZIP_OK, z.length, size]);
      assert.deepEqual(out, new Uint8Array(data));
      // Exactly the bound: random data falls back to stored blocks and still fits.
      const into = await gzipMemberAsyncInto(data, level, new Uint8Array(gzipOutputBound(size)));
      assert.deepEqual(new Uint8Array(into), new Uint8Array(z), `size ${size}, into the caller's buffer`);
      if (!compressible) assert.ok(z.length <= gzipOutputBound(size));
    }
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300_000 }), fc.boolean(), (size, compressible) => {
      const data = sample(size, compressible);
      assert.deepEqual(new Uint8Array(gunzipSync(gzipMember(data, level))), new Uint8Array(data));
    }),
    { numRuns: 30 },
  );
});

test("the cheaper level is libdeflate's 2 or zlib's 4, and level 6 stays the default", () => {
  assert.equal(DEFAULT_GZIP_LEVEL, 6);
  assert.equal(FAST_GZIP_LEVEL, gzipEngine === "libdeflate" ? 2 : 4);
});

/** What node:zlib makes of a gzip stream: its output, or null when it refuses it. */
function zlibVerdict(bytes: Uint8Array): Uint8Array | null {
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch {
    return null;
  }
}

if (addon) {
  const a = addon;
  test("the addon's gzipAsync equals its gzip; the input may be a view into a bigger buffer; bad arguments throw", async () => {
    const big = sample(3 * 1_048_576, true);
    const view = big.subarray(12345, 12345 + 1_048_576);
    assert.deepEqual(new Uint8Array(await a.gzipAsync(view, 2)), new Uint8Array(a.gzip(view, 2)));
    assert.throws(() => a.gzipAsync(new Uint8Array(1), 13), RangeError);
    assert.throws(() => a.gzipAsync("x" as unknown as Uint8Array, 1), TypeError);
  });

  test("libdeflate and node:zlib agree both ways on random sizes and content (differential)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300_000 }), fc.boolean(), fc.integer({ min: 1, max: 9 }), (size, compressible, level) => {
        const data = sample(size, compressible);
        // ours → zlib
        assert.deepEqual(new Uint8Array(gunzipSync(a.gzip(data, level))), new Uint8Array(data));
        // zlib → ours, with exactly enough room
        const z = gzipSync(data, { level });
        const out = new Uint8Array(size);
        const [status, usedIn, usedOut] = a.gunzip(z, out);
        assert.equal(status, GUNZIP_OK);
        assert.equal(usedIn, z.length);
        assert.equal(usedOut, size);
        assert.deepEqual(out, new Uint8Array(data));
      }),
      { numRuns: 40 },
    );
  });

  test("libdeflate gunzip stops after one member and says how much input it used", () => {
    const m1 = gzipSync(Buffer.from("first member "));
    const m2 = a.gzip(Buffer.from("second member"), 6);
    const both = Buffer.concat([m1, m2]);
    const out = new Uint8Array(100);
    const [status, usedIn, usedOut] = a.gunzip(both, out);
    assert.equal(status, GUNZIP_OK);
    assert.equal(usedIn, m1.length);
    assert.equal(Buffer.from(out.subarray(0, usedOut)).toString(), "first member ");
    assert.equal(gunzipSync(both).toString(), "first member second member");
  });

  test("libdeflate gunzip refuses corrupt, truncated and oversized input with a status, never a crash or a write past the buffer", () => {
    const data = sample(200_000, true);
    const z = a.gzip(data, 6);
    // Any flipped bit: either refused, or (a bit the format does not check, like mtime) the same output.
    fc.assert(
      fc.property(fc.nat({ max: z.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(z);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const out = new Uint8Array(data.length + 64);
        const [status, , usedOut] = a.gunzip(bad, out.subarray(0, data.length));
        assert.ok(status === GUNZIP_BAD_DATA || status === GUNZIP_NO_ROOM || (status === GUNZIP_OK && Buffer.compare(out.subarray(0, usedOut), data) === 0), `bit ${bit}: status ${status}`);
        assert.ok(out.subarray(data.length).every((b) => b === 0), "wrote past the output buffer");
      }),
      { numRuns: 200 },
    );
    for (const cut of [0, 1, 10, z.length >> 1, z.length - 1]) {
      // Refused either way: libdeflate may run out of input or (reading past the end as zeros) out of room first.
      const status = a.gunzip(z.subarray(0, cut), new Uint8Array(data.length))[0];
      assert.ok(status === GUNZIP_BAD_DATA || status === GUNZIP_NO_ROOM, `truncated at ${cut}: status ${status}`);
    }
    const guard = new Uint8Array(1000 + 16);
    assert.equal(a.gunzip(z, guard.subarray(0, 1000))[0], GUNZIP_NO_ROOM);
    assert.ok(guard.subarray(1000).every((b) => b === 0));
    assert.throws(() => a.gunzip("x" as unknown as Uint8Array, new Uint8Array(1)), TypeError);
    assert.throws(() => a.gunzip(new Uint16Array(2) as unknown as Uint8Array, new Uint8Array(1)), TypeError);
    assert.throws(() => a.gzip(new Uint8Array(1), 13), RangeError);
  });

  test("gunzip agrees with node:zlib on members with any flipped bit or cut, plain headers (igzip where built) or not (libdeflate)", () => {
    const data = sample(20_000, true);
    const plain = gzipSync(data);
    // The same member with a file name (FNAME), as `gzip` writes it: libdeflate decodes it, never igzip.
    const named = Buffer.concat([plain.subarray(0, 3), Buffer.from([0x08]), plain.subarray(4, 10), Buffer.from("notes.txt\0"), plain.subarray(10)]);
    for (const z of [plain, named]) {
      fc.assert(
        fc.property(fc.nat({ max: z.length * 8 - 1 }), fc.nat({ max: z.length }), fc.boolean(), (bit, cut, flip) => {
          const bad = flip ? Uint8Array.from(z) : Uint8Array.from(z.subarray(0, cut));
          if (flip) bad[bit >> 3]! ^= 1 << (bit & 7);
          const out = new Uint8Array(data.length + 64);
          const [status, usedIn, usedOut] = a.gunzip(bad, out);
          const zlib = zlibVerdict(bad);
          if (zlib === null) assert.notEqual(status, GUNZIP_OK, `bit ${bit} cut ${cut}: zlib refused, gunzip took it`);
          else {
            assert.equal(status, GUNZIP_OK, `bit ${bit} cut ${cut}: zlib took it, gunzip said ${status}`);
            assert.equal(usedIn, bad.length);
            assert.deepEqual(out.subarray(0, usedOut), zlib);
          }
        }),
        { numRuns: 300 },
      );
    }
    // Reserved header flags: refused, as node:zlib refuses them.
    const reserved = Uint8Array.from(plain);
    reserved[3] = 0x20;
    assert.equal(a.gunzip(reserved, new Uint8Array(data.length))[0], GUNZIP_BAD_DATA);
    assert.equal(zlibVerdict(reserved), null);
  });
}

test("the file suites also pass with PQCHAT_GZIP=zlib, and with PQCHAT_GZIP=libdeflate (no ISA-L) where ISA-L is built in", () => {
  const dir = new URL(".", import.meta.url);
  const files = readdirSync(dir)
    .filter((f) => /^io-file-(pipeline|transfer|member-gunzip|compress-sample)\.test\.js$/.test(f))
    .map((f) => new URL(f, dir).pathname);
  // Every suite that goes through the gzip engine; a renamed file must not drop out unnoticed.
  assert.equal(files.length, 4);
  for (const engine of ["zlib", ...(igzipBuilt ? ["libdeflate"] : [])]) {
    const env: NodeJS.ProcessEnv = { ...process.env, PQCHAT_GZIP: engine };
    delete env["NODE_TEST_CONTEXT"]; // a nested runner must not inherit the parent's reporting channel
    const r = spawnSync(process.execPath, ["--test", "--test-reporter=tap", ...files], { env, encoding: "utf8" });
    assert.equal(r.status, 0, `${engine}: ${r.stdout.slice(-3000)}`);
    assert.match(r.stdout, /# fail 0/);
  }
});
