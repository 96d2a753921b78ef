// Per-message figures for `npm run bench:protocol`: encrypt+decrypt pairs of a
// 512-byte text per CPU-second (process.cpuUsage, all threads, so other
// processes on a busy machine do not count), beside the Python reference's
// 5,500 pairs/s on this machine and the 8,000 target; and the measured floor
// of each part of a pair, so that what stands between the figure and the
// target can be argued from numbers: X25519 ×3 (the sender's fresh key and
// DH, the receiver's DH; WIRE-NOTES §6.2), the HKDF/HMAC chain (3 HKDFs per
// side and the HMAC of WIRE-NOTES §6.5 on each side), the double AEAD
// (WIRE-NOTES §6.3) sealed and opened, each timed alone inside the message
// addon (crypto/native/message.c); what the addon's two calls cost in all,
// timed from inside; and the rest (JSON, UTF-8, the calls into the addon,
// objects) as what is left of the pair.
import { toBytes } from "../src/protocol/bytes.js";
import { messageAddon, type MessageAddon } from "../src/protocol/crypto/message-native.js";
import { Initiator, respond } from "../src/protocol/handshake.js";
import { messageCrypto, prepareEphemeralKeys } from "../src/protocol/message-crypto.js";
import { parseJsonObject, pyjson } from "../src/protocol/pyjson.js";
import type { Session } from "../src/protocol/session.js";
import { median, type Row } from "./util.js";

export const REFERENCE_PAIRS = 5500;
export const TARGET_PAIRS = 8000;

function handshakeOnce(): { a: Session; b: Session } {
  const i = new Initiator();
  const { response, session: b } = respond(parseJsonObject(i.initMessage)!);
  const a = i.finish(parseJsonObject(response)!);
  return { a, b };
}

const cpuMicros = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** CPU µs per call of fn, one figure per sample of `n` calls; `between` runs untimed before each call. */
function cpuPerCall(fn: () => void, n: number, samples: number, between?: () => void): number[] {
  for (let i = 0; i < 300; i++) fn(); // warm-up
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    let spent = 0;
    for (let i = 0; i < n; i++) {
      between?.();
      const t0 = cpuMicros();
      fn();
      spent += cpuMicros() - t0;
    }
    out.push(spent / n);
  }
  return out;
}

const us = (x: number): string => `${x.toFixed(1)} µs`;
const perSec = (micros: number): string => `${Math.round(1e6 / micros).toLocaleString("en-US")} pairs/s`;

export function messagePairRows(): { pairs: Row[]; floor: Row[] } {
  const { a, b } = handshakeOnce();
  const inner = toBytes(pyjson({ type: 13, text: "x".repeat(512 - 24) }));
  const pair = (): void => {
    const w = a.encrypt(inner).wire;
    const d = b.decrypt(parseJsonObject(w)!);
    // The text the session decoded when it checked the UTF-8 (the client parses that, WIRE-NOTES §7 step 7).
    if (d.text.length !== inner.length) throw new Error("round trip mismatch");
  };
  // Batches of 50 pairs per timing, so the clock's resolution does not matter.
  const batch = (): void => {
    for (let i = 0; i < 50; i++) pair();
  };
  const full = median(cpuPerCall(batch, 40, 5)) / 50;
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) pair();
  const wall = ((performance.now() - t0) * 1000) / 2000;
  const pairs: Row[] = [
    {
      name: "encrypt+decrypt 512-byte text (CPU time)",
      value: perSec(full),
      target: `>= ${TARGET_PAIRS.toLocaleString("en-US")} pairs/s`,
      reference: `Python reference ${REFERENCE_PAIRS.toLocaleString("en-US")} pairs/s on this machine; wall clock ${perSec(wall)}; ${messageCrypto.name} message path`,
    },
  ];
  if (!messageAddon) return { pairs, floor: [] };
  // The client prepares ephemeral keys between ticks (prepareEphemeralKeys): the message itself then waits for 2 X25519, not 3.
  const hot = median(cpuPerCall(batch, 10, 5, () => prepareEphemeralKeys(64))) / 50;
  pairs.push({
    name: "  the same with ephemeral keys prepared ahead",
    value: perSec(hot),
    reference: "key generation outside the timed calls (between ticks in a client): the latency path, not CPU per pair",
  });
  return { pairs, floor: floorRows(messageAddon, full, batch) };
}

/** CPU µs per call of [keygen, DH, HKDF, HMAC, seal, open] inside the addon, medians of 5 runs of 400. */
function floors(addon: MessageAddon): number[] {
  return [0, 1, 2, 3, 4, 5].map((i) => median([0, 1, 2, 3, 4].map(() => addon.floors(400)[i]!)));
}

/** The floor of each part of one pair, what the addon spends beyond them, and what JavaScript spends around it. */
function floorRows(addon: MessageAddon, full: number, batch: () => void): Row[] {
  const [keygen, dh, hkdf, hmac, seal, open] = floors(addon) as [number, number, number, number, number, number];
  const x25519 = keygen + 2 * dh;
  const path = addon.x25519Path(null);
  const evpRows: Row[] = [];
  if (path === "direct") {
    // The same keys through OpenSSL's EVP interface, for comparison (what the addon does where the functions are not exported).
    addon.x25519Path("evp");
    const [ek, ed] = floors(addon) as [number, number];
    addon.x25519Path(path);
    evpRows.push({ name: "  the same through OpenSSL EVP", value: us(ek + 2 * ed), reference: `keygen ${us(ek)}, DH ${us(ed)}` });
  }
  const chain = 6 * hkdf + 2 * hmac;
  const aead = seal + open;
  const native = x25519 + chain + aead;
  // The two calls of a pair timed from inside the addon while the pairs are timed as above, in the same run: each
  // timed call reads the clock twice, about one reading's cost falling inside the call's window and one outside.
  addon.timeCalls(true);
  const timed = median(cpuPerCall(batch, 10, 5)) / 50;
  const [inSeal, inOpen, clock] = addon.timeCalls(false);
  const inside = inSeal + inOpen - 2 * clock;
  const insideRows: Row[] =
    messageCrypto.name !== "native" ? [] : [
      { name: "inside the addon, per pair", value: us(inside), reference: `seal ${us(inSeal - clock)}, open ${us(inOpen - clock)}: the floors plus ${us(inside - native)} (base64 and JSON in C, copies, colder caches)` },
      { name: "JavaScript and calls around it", value: us(Math.max(0, timed - inside - 4 * clock)), reference: "the same pairs minus inside the addon: outer JSON parse, UTF-8, objects, Node-API" },
    ];
  return [
    { name: "X25519 ×3 (keygen + 2 DH)", value: us(x25519), reference: `keygen ${us(keygen)}, DH ${us(dh)} (OpenSSL, ${path === "direct" ? "its X25519 functions called directly" : "EVP"})` },
    ...evpRows,
    { name: "HKDF/HMAC chain (6 HKDF + 2 HMAC)", value: us(chain), reference: `HKDF-SHA-512 ${us(hkdf)}, HMAC-SHA-512 ${us(hmac)}` },
    { name: "double AEAD, seal + open", value: us(aead), reference: `seal ${us(seal)}, open ${us(open)} (keys, PKCS#7, AES-GCM-SIV, ChaCha20-Poly1305)` },
    { name: "sum of the native floors", value: us(native), reference: `at most ${perSec(native)} if nothing else cost anything` },
    ...insideRows,
    { name: "everything beyond the floors", value: us(Math.max(0, full - native)), reference: "pair minus the floors above" },
    { name: "one pair", value: us(full), target: `<= ${us(1e6 / TARGET_PAIRS)}`, reference: perSec(full) },
  ];
}
