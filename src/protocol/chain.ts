// The steps of the symmetric ratchet both directions share (WIRE-NOTES §6.2):
// the message key of counter n from the chain key and the DH output, and the
// walk of a chain over skipped counters (WIRE-NOTES §7 step 3, §8.5 step 3).
import { wipe } from "./bytes.js";
import { dhMix, messageKey, ratchet } from "./kdf.js";

/** message_key for counter n (WIRE-NOTES §6.2); `dh` and the intermediate mix are wiped. */
export function messageKeyFor(chainKey: Uint8Array, dh: Uint8Array, n: number): Uint8Array {
  const mixed = dhMix(chainKey, dh, n);
  const key = messageKey(mixed, n);
  wipe(dh, mixed);
  return key;
}

/**
 * The chain key for counter `n`, from `chainKey`, the one for counter `first`:
 * one ratchet step per skipped counter first .. n-1. `skipped` receives each
 * skipped counter's chain key and then owns it; without it those keys are
 * wiped as soon as the walk has passed them. `chainKey` itself is never wiped
 * here: it belongs to the caller (and is the result when n = first).
 */
export function walkChain(chainKey: Uint8Array, first: number, n: number, skipped?: (counter: number, chainKey: Uint8Array) => void): Uint8Array {
  let ck = chainKey;
  for (let i = first; i < n; i++) {
    const next = ratchet(ck, i);
    if (skipped) skipped(i, ck);
    else if (ck !== chainKey) wipe(ck);
    ck = next;
  }
  return ck;
}
