// The saved-chain cache (SPEC §8.2, WIRE-NOTES §7 step 3): chain keys of
// counters a later message skipped, so those messages can still be opened when
// they arrive late. An LRU map with a fixed capacity; a lookup or a
// "present?" check marks an entry as most recently used, as the reference's
// does. Evicted and removed keys are wiped.
import { wipe } from "./bytes.js";

export class SavedChains {
  /** Map iteration order is insertion order: re-inserting on use keeps it LRU. */
  private readonly map = new Map<number, Uint8Array>();

  constructor(readonly capacity: number) {}

  /** The chain key saved for counter n (now the most recently used), if any. */
  touch(n: number): Uint8Array | undefined {
    const ck = this.map.get(n);
    if (ck) {
      this.map.delete(n);
      this.map.set(n, ck);
    }
    return ck;
  }

  /** Saves ck for n "only if not already present" (WIRE-NOTES §7 step 3); evicts the least recently used beyond capacity. */
  save(n: number, ck: Uint8Array): void {
    if (this.touch(n)) return;
    this.map.set(n, ck);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as number;
      wipe(this.map.get(oldest));
      this.map.delete(oldest);
    }
  }

  /** Forgets n without wiping: the caller holds and wipes the key it used (WIRE-NOTES §7 step 8). */
  forget(n: number): void {
    this.map.delete(n);
  }

  /** Wipes and drops every entry. */
  clear(): void {
    for (const v of this.map.values()) wipe(v);
    this.map.clear();
  }

  /** The saved counters in ascending order, for state displays and tests. */
  counters(): number[] {
    return [...this.map.keys()].sort((a, b) => a - b);
  }
}
