// The protocol's only file access: data shipped inside the package (the word
// list, the WebAssembly POLYVAL), read once at first use. Nothing here touches
// user files, so the rest of src/protocol stays free of I/O (docs/ARCHITECTURE.md).
import { readFileSync } from "node:fs";

/** The bytes of a file shipped with pqchat, addressed relative to the caller's module URL. */
export function readPackageAsset(url: URL): Buffer {
  return readFileSync(url);
}
