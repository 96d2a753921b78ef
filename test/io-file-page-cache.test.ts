// Received files leave the page cache behind the writes (src/io/file/page-cache.ts,
// native/pagecache.c): the data stays exactly what was written, ranges written
// out of order count once the gap is filled, and the kernel confirms the drops
// where the addon is built (always in CI, which sets PQCHAT_REQUIRE_NATIVE).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { WINDOW, WrittenPages, pageCacheAddonBuilt } from "../src/io/file/page-cache.js";

const report = (JSON.parse(readFileSync(new URL("../native-build.json", import.meta.url), "utf8")) as Record<string, { built: boolean; reason?: string }>)["pagecache.c"];
const MiB = 1024 * 1024;

test("the build report says whether the page-cache addon was built, and the module agrees", () => {
  assert.ok(report, "the build report has no entry for pagecache.c");
  if (process.env["PQCHAT_REQUIRE_NATIVE"]) assert.equal(report.built, true, `pagecache.c did not build: ${report.reason}`);
  assert.equal(pageCacheAddonBuilt, report.built);
});

test("writes through WrittenPages, in order and out of order, keep every byte; the window behind them is dropped", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pqchat-pages-"));
  try {
    const file = path.join(dir, "f.part");
    const data = randomBytes(40 * MiB);
    const fh = await open(file, "wx", 0o600);
    const pages = new WrittenPages(fh.fd);
    // Chunks 1..9 first (a gap at 0: nothing may be flushed yet), then 0, then the rest concurrently.
    const order = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
    for (const i of order) {
      await fh.write(data, i * MiB, MiB, i * MiB);
      pages.written(i * MiB, MiB);
    }
    await Promise.all(
      Array.from({ length: 30 }, async (_, k) => {
        const i = 10 + k;
        await fh.write(data, i * MiB, MiB, i * MiB);
        pages.written(i * MiB, MiB);
      }),
    );
    await pages.settled();
    await fh.close();
    assert.ok((await readFile(file)).equals(data));
    // Writeback starts 2 windows behind the written prefix and drops follow 2 windows behind that: 32 of the 40 MiB here.
    assert.equal(pages.droppedBytes, pageCacheAddonBuilt && process.platform === "linux" ? 40 * MiB - 2 * WINDOW : 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
