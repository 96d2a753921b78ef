// Free space for incoming files is promised across transfers, not per offer:
// each accepted, unfinished transfer holds what it still has to write, and a
// new one is accepted only if its own need plus everything already promised
// fits in the free space of the download folder's file system (fs.statfs).
// Two 60 GiB offers on a disk with 79 GB free are then one accepted, one
// refused — instead of both accepted and both failing half-way.
import { statfs } from "node:fs/promises";
import { formatBytes } from "../present/format-bytes.js";

export class InsufficientSpaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InsufficientSpaceError";
  }
}

interface Hold {
  needed: number;
  /** Bytes this transfer has written so far (already out of the free space). */
  written: () => number;
}

export class DiskReservations {
  private readonly holds = new Map<string, Hold>();
  /** Reservations are checked one at a time, so two at once cannot both count the same free bytes. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly freeBytes: (dir: string) => Promise<number | null> = async (d) => {
      const s = await statfs(d).catch(() => null);
      return s ? s.bavail * s.bsize : null;
    },
  ) {}

  /** What transfers already accepted still have to write. */
  get committed(): number {
    let n = 0;
    for (const h of this.holds.values()) n += Math.max(0, h.needed - h.written());
    return n;
  }

  /**
   * Holds `needed` bytes for `id`, or rejects with InsufficientSpaceError
   * saying why. When the free space cannot be read, the transfer goes ahead
   * (its writes fail cleanly with io_error if the disk fills).
   */
  reserve(id: string, needed: number, written: () => number): Promise<void> {
    const run = this.chain.then(async () => {
      const free = await this.freeBytes(this.dir);
      const others = this.committed;
      const n = this.holds.size;
      if (free !== null && needed + others > free) {
        const also = n === 0 ? "" : `, ${n === 1 ? "a transfer" : `${n} transfers`} in progress still need${n === 1 ? "s" : ""} ${formatBytes(others)}`;
        throw new InsufficientSpaceError(`Not enough free space in ${this.dir}: this file needs ${formatBytes(needed)}${also}, and ${formatBytes(free)} is free.`);
      }
      this.holds.set(id, { needed, written });
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  release(id: string): void {
    this.holds.delete(id);
  }

  releaseAll(): void {
    this.holds.clear();
  }
}
