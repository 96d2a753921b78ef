// Transfers interrupted by the end of a session, kept for a while so that
// they can resume in the next one (docs/PROTOCOL-EXTENSIONS.md §5, SPEC
// §20.2): the receiver's partial file and chunk ledger, the sender's prepared
// file. Memory-only bookkeeping, bounded in number and in time: at most
// MAX_KEPT per direction (the oldest goes first) for `keepMs` each; whatever
// expires or is pushed out is dropped by the owner's `drop` (which deletes the
// partial or prepared file), so disk use stays bounded too.

/** How long an interrupted transfer waits for its resume by default (`--resume-keep`). */
export const RESUME_KEEP_MS = 10 * 60_000;
/** At most this many kept transfers per direction. */
export const MAX_KEPT = 8;

export class KeptTransfers<R> {
  private readonly kept = new Map<string, { rec: R; timer: NodeJS.Timeout }>();

  constructor(
    private readonly keepMs: number,
    private readonly drop: (rec: R, why: "expired" | "evicted" | "discarded") => void | Promise<void>,
  ) {}

  get size(): number {
    return this.kept.size;
  }

  /** Keeps `rec` under `id` for keepMs (0: not at all, it is dropped at once). */
  keep(id: string, rec: R): void {
    this.take(id);
    if (this.keepMs <= 0) return void this.drop(rec, "expired");
    if (this.kept.size >= MAX_KEPT) {
      const oldest = this.kept.keys().next().value as string;
      const r = this.take(oldest);
      if (r !== undefined) void this.drop(r, "evicted");
    }
    const timer = setTimeout(() => {
      const r = this.take(id);
      if (r !== undefined) void this.drop(r, "expired");
    }, this.keepMs);
    timer.unref();
    this.kept.set(id, { rec, timer });
  }

  peek(id: string): R | undefined {
    return this.kept.get(id)?.rec;
  }

  /** Removes and returns the kept transfer (its timer stops); the caller owns it again. */
  take(id: string): R | undefined {
    const k = this.kept.get(id);
    if (!k) return undefined;
    clearTimeout(k.timer);
    this.kept.delete(id);
    return k.rec;
  }

  ids(): string[] {
    return [...this.kept.keys()];
  }

  /** Drops everything (emergency close, the user's own disconnect); resolves once the owner's drops are done. */
  async dropAll(): Promise<void> {
    const jobs: (void | Promise<void>)[] = [];
    for (const id of this.ids()) {
      const r = this.take(id);
      if (r !== undefined) jobs.push(this.drop(r, "discarded"));
    }
    await Promise.allSettled(jobs);
  }
}
