// Session fingerprint (WIRE-NOTES §10, errata 17): eight words from the
// 65,554-word list, indexed by overlapping byte shifts of SHA-256 over the four
// sorted public keys. The overlap is protocol: "improving" it breaks matching.
import { readPackageAsset } from "./assets.js";
import { compareBytes, concatBytes } from "./bytes.js";
import { hash } from "./primitives.js";

let words: string[] | null = null;

/** The word list shipped in the package (assets/wordlist.txt, GPL-3.0 from the reference). */
export function wordlist(): string[] {
  if (!words) {
    const url = new URL("../../../assets/wordlist.txt", import.meta.url);
    words = readPackageAsset(url)
      .toString("utf8")
      .split(/\r?\n/)
      .map((w) => w.trim())
      .filter((w) => w.length > 0);
  }
  return words;
}

export interface Fingerprint {
  sha256: Uint8Array;
  indices: number[];
  words: string[];
  /** Two lines of four words, as the reference displays them. */
  display: string;
}

export function fingerprintFromBytes(input: Uint8Array): Fingerprint {
  const w = wordlist();
  const h = hash("sha256", input);
  let n = 0n;
  for (const b of h) n = (n << 8n) | BigInt(b);
  const len = BigInt(w.length);
  const indices: number[] = [];
  for (let i = 0; i < 8; i++) indices.push(Number((n >> BigInt(8 * i)) % len));
  const chosen = indices.map((i) => w[i]!);
  return {
    sha256: h,
    indices,
    words: chosen,
    display: chosen.slice(0, 4).join(" ") + "\n" + chosen.slice(4).join(" "),
  };
}

export function sessionFingerprint(keys: {
  ownKemPublicKey: Uint8Array;
  peerKemPublicKey: Uint8Array;
  ownSessionPublicKey: Uint8Array;
  peerSessionPublicKey: Uint8Array;
}): Fingerprint {
  const parts = [keys.ownKemPublicKey, keys.peerKemPublicKey, keys.ownSessionPublicKey, keys.peerSessionPublicKey];
  parts.sort(compareBytes);
  return fingerprintFromBytes(concatBytes(...parts));
}
