// `pqchat selftest`: runs both sides of a session in memory — handshake,
// messages both ways, a rekey — and prints what a user would compare.
import { parseArgs } from "node:util";
import { fromUtf8, toBytes } from "../protocol/bytes.js";
import { Initiator, respond } from "../protocol/handshake.js";
import { parseJsonObject, pyjson, type JsonObject } from "../protocol/pyjson.js";
import { Rekeyer } from "../protocol/rekey.js";
import type { Session } from "../protocol/session.js";
import { gcmSivBackend } from "../protocol/primitives.js";
import { usageFromParseArgs } from "./args.js";

const HELP = `Usage: pqchat selftest

Runs a complete SCP session in memory (ML-KEM-1024 + X25519 handshake, messages
both ways, a rekey) and reports each step. Exit code 0 when every step passed.`;

/** Which step of the self-test failed (the process then exits 1 with this message). */
export type SelftestErrorKind = "fingerprint_mismatch" | "message_round_trip" | "message_after_rekey";

export class SelftestError extends Error {
  constructor(
    readonly kind: SelftestErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "SelftestError";
  }
}

function parseSelftestArgs(argv: string[]): { help: boolean } {
  try {
    const { values } = parseArgs({ args: argv, strict: true, options: { help: { type: "boolean", short: "h" } } });
    return { help: values.help === true };
  } catch (err) {
    throw usageFromParseArgs(err, "selftest");
  }
}

export async function runSelftest(argv: string[]): Promise<number> {
  const values = parseSelftestArgs(argv);
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  const say = (s: string) => process.stdout.write(s + "\n");
  const t0 = performance.now();
  const initiator = new Initiator();
  const { response, session: bob } = respond(parseJsonObject(initiator.initMessage)!);
  const alice = initiator.finish(parseJsonObject(response)!);
  say(`handshake: ok (${(performance.now() - t0).toFixed(1)} ms)`);
  if (alice.fingerprint.display !== bob.fingerprint.display) throw new SelftestError("fingerprint_mismatch", "fingerprints differ");
  say(`fingerprint (both sides):\n  ${alice.fingerprint.display.replace("\n", "\n  ")}`);

  const relay = (from: Session, to: Session, inner: JsonObject): JsonObject => {
    const { wire } = from.encrypt(toBytes(pyjson(inner)));
    return parseJsonObject(fromUtf8(to.decrypt(parseJsonObject(wire)!).plaintext))!;
  };
  const text = "hello from pqchat 🎉";
  if (relay(alice, bob, { type: 13, text })["text"] !== text) throw new SelftestError("message_round_trip", "message round trip failed");
  if (relay(bob, alice, { type: 13, text })["text"] !== text) throw new SelftestError("message_round_trip", "message round trip failed");
  say("messages both ways: ok");

  const ra = new Rekeyer(alice);
  const rb = new Rekeyer(bob);
  const r1 = rb.handle(relay(alice, bob, ra.start()));
  const r2 = ra.handle(relay(bob, alice, r1.reply!));
  const r3 = rb.handle(relay(alice, bob, r2.reply!));
  const ack = bob.encrypt(toBytes(pyjson(r3.reply!))).wire;
  rb.switchAfterCommitAck();
  ra.handle(parseJsonObject(fromUtf8(alice.decrypt(parseJsonObject(ack)!).plaintext))!);
  if (relay(alice, bob, { type: 13, text })["text"] !== text) throw new SelftestError("message_after_rekey", "message after rekey failed");
  say("rekey and messages under the new keys: ok");
  alice.destroy();
  bob.destroy();
  const names = { clmul: "OpenSSL AES + POLYVAL with PCLMULQDQ", wasm: "OpenSSL AES + POLYVAL in WebAssembly", noble: "@noble/ciphers" };
  say(`AES-256-GCM-SIV: ${names[gcmSivBackend]}`);
  say("selftest passed");
  return 0;
}
