// Process-wide allocator tuning for bulk crypto (see native/allocator.c for
// why). Called by the client core and the CLI before large transfers start;
// harmless to call again, and a no-op without the addon or off glibc.
import { createRequire } from "node:module";

/** Buffers up to this size come from the heap, not from a fresh mmap each time. */
const MMAP_THRESHOLD = 32 * 1024 * 1024;
/** Freed heap memory above this is returned to the kernel. */
const TRIM_THRESHOLD = 64 * 1024 * 1024;

let state: boolean | null = null;

/** True when the tuning is in effect. */
export function tuneAllocatorForBulkCrypto(): boolean {
  if (state !== null) return state;
  try {
    const addon = createRequire(import.meta.url)("./native/allocator.node") as { tune(mmap: number, trim: number): boolean };
    state = addon.tune(MMAP_THRESHOLD, TRIM_THRESHOLD);
  } catch {
    state = false;
  }
  return state;
}
