// A received file's pages leave the page cache shortly after they are written
// (native/pagecache.c says why: fresh pages are expensive on virtual machines,
// and a received file is not read again soon). In a sliding window behind the
// contiguous written prefix: writeback starts WINDOW bytes behind it, and the
// pages another WINDOW behind are dropped once they are on disk. The data,
// and when the file counts as durable (incoming.ts still fsyncs it), do not
// change: this only decides when the kernel writes and forgets clean pages.
// Without the addon (or off Linux) nothing happens.
import { createRequire } from "node:module";

interface PageCacheAddon {
  flush(fd: number, offset: number, length: number, drop: boolean): Promise<boolean>;
}

function loadAddon(): PageCacheAddon | null {
  try {
    return createRequire(import.meta.url)("../native/pagecache.node") as PageCacheAddon;
  } catch {
    return null;
  }
}

const addon = loadAddon();

/** True when the addon is built here. */
export const pageCacheAddonBuilt = addon !== null;

/** Bytes written back, and then dropped, at a time. */
export const WINDOW = 4 * 1024 * 1024;

export class WrittenPages {
  /** Bytes written from offset 0 without a gap. */
  private prefix = 0;
  /** Ranges written beyond a gap (chunks out of order): offset → length. */
  private readonly ahead = new Map<number, number>();
  private started = 0;
  private dropped = 0;
  /** One flush at a time per file: a waiting flush holds a thread of libuv's pool. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Bytes the kernel confirmed dropped (tests look at it). */
  droppedBytes = 0;

  /** `fd`: open for writing until settled() resolved. */
  constructor(private readonly fd: number) {}

  /** A write of `length` bytes at `offset` completed. */
  written(offset: number, length: number): void {
    if (!addon || length <= 0) return;
    if (offset > this.prefix) {
      this.ahead.set(offset, length);
      return;
    }
    this.prefix = Math.max(this.prefix, offset + length);
    for (let next = this.ahead.get(this.prefix); next !== undefined; next = this.ahead.get(this.prefix)) {
      this.ahead.delete(this.prefix);
      this.prefix += next;
    }
    while (this.prefix - this.started >= 2 * WINDOW) {
      this.flush(this.started, false);
      this.started += WINDOW;
    }
    while (this.started - this.dropped >= 2 * WINDOW) {
      this.flush(this.dropped, true);
      this.dropped += WINDOW;
    }
  }

  /** Resolves once no flush is running (call before closing the file). Never rejects. */
  settled(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  private flush(offset: number, drop: boolean): void {
    const a = addon!;
    this.chain = this.chain.then(() =>
      a.flush(this.fd, offset, WINDOW, drop).then(
        (ok) => {
          if (ok && drop) this.droppedBytes += WINDOW;
        },
        () => undefined,
      ),
    );
  }
}
