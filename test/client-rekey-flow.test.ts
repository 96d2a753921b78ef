// The client's rekey wiring (src/client/rekey-flow.ts; WIRE-NOTES §9) between
// two real sessions in process: the four messages travel through a stand-in
// for the send queue that encrypts, calls onSent in the same step (as the
// Sender does) and delivers to the other side. The responder switches right
// after commit_ack is encrypted, the initiator on receiving it and holds
// application traffic in between; afterwards both talk on the new keys. An
// unverified peer's rekey waits for the user's answer; malformed or
// unexpected rekey messages are reported with a kind.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClientEventMap, ClientEventName, ErrorKind } from "../src/client/events.js";
import { RekeyFlow } from "../src/client/rekey-flow.js";
import { MessageType, parseJsonObject, pyjson, toBytes, type JsonObject, type Session } from "../src/protocol/index.js";
import { sessionPair } from "./helpers/session-pair.js";

interface Side {
  name: string;
  session: Session;
  flow: RekeyFlow;
  events: string[];
  errors: { kind: ErrorKind; text: string }[];
  ended: string[];
  switched: number;
  verified: boolean;
}

/** Messages queued by either side, delivered in order by `deliver`. */
type Wire = { from: Side; to: Side; inner: Uint8Array; onSent?: () => void }[];

function side(name: string, session: Session, wire: Wire, peer: () => Side): Side {
  const s: Side = { name, session, events: [], errors: [], ended: [], switched: 0, verified: true } as unknown as Side;
  s.flow = new RekeyFlow({
    emit: <K extends ClientEventName>(n: K, p: ClientEventMap[K]) => s.events.push(`${n}${"role" in (p as object) ? `:${(p as { role: string }).role}` : ""}`),
    error: (kind, text) => s.errors.push({ kind, text }),
    queueRekey: (inner, onSent) => wire.push({ from: s, to: peer(), inner, onSent }),
    switched: () => s.switched++,
    localVerified: () => s.verified,
    endSession: (reason) => s.ended.push(reason),
  });
  s.flow.attach(session);
  return s;
}

function pair() {
  const { initiator, responder } = sessionPair();
  const wire: Wire = [];
  const a: Side = side("A", initiator, wire, () => b);
  const b: Side = side("B", responder, wire, () => a);
  /** Sends one queued message as the Sender would: encrypt, onSent at once, the peer decrypts and handles it. */
  const deliverOne = (): JsonObject => {
    const m = wire.shift()!;
    const { wire: frame } = m.from.session.encrypt(m.inner);
    m.onSent?.();
    const obj = parseJsonObject(frame)!;
    const inner = parseJsonObject(m.to.session.decrypt(obj).plaintext)!;
    m.to.flow.onMessage(inner);
    return inner;
  };
  return { a, b, wire, deliverOne };
}

/** A text from one session to the other: proves both use the same keys. */
function talk(from: Session, to: Session, text: string): string {
  const { wire } = from.encrypt(toBytes(pyjson({ type: MessageType.TEXT_MESSAGE, text })));
  return String(parseJsonObject(to.decrypt(parseJsonObject(wire)!).plaintext)!["text"]);
}

test("a full rekey: init, response, commit, commit_ack; switches in the right steps; both sides then use the new keys", () => {
  const { a, b, wire, deliverOne } = pair();
  a.flow.start();
  assert.deepEqual(a.events, ["rekey_started:initiator"]);
  assert.deepEqual(a.flow.state, { phase: "init_sent", role: "initiator" });
  assert.throws(() => a.flow.start(), /already in progress/);

  assert.equal(deliverOne()["action"], "init");
  assert.deepEqual(b.events, ["rekey_started:responder"]);
  assert.equal(deliverOne()["action"], "response");
  assert.equal(a.flow.holdOutgoing, true, "the initiator holds application traffic once commit is queued");
  assert.equal(deliverOne()["action"], "commit");
  assert.equal(b.switched, 0, "the responder has not switched before commit_ack is sent");
  assert.equal(wire.length, 1);
  assert.equal(deliverOne()["action"], "commit_ack");
  // commit_ack was encrypted on the old keys, then the responder switched; the initiator switched on receiving it.
  assert.deepEqual(b.events, ["rekey_started:responder", "rekey_done:responder"]);
  assert.deepEqual(a.events, ["rekey_started:initiator", "rekey_done:initiator"]);
  assert.equal(a.switched, 1);
  assert.equal(b.switched, 1);
  assert.equal(a.flow.holdOutgoing, false);
  assert.equal(a.flow.inProgress || b.flow.inProgress, false);
  assert.equal(talk(a.session, b.session, "new keys, A to B"), "new keys, A to B");
  assert.equal(talk(b.session, a.session, "new keys, B to A"), "new keys, B to A");
  assert.deepEqual([...a.errors, ...b.errors], []);
  a.flow.detach();
  b.flow.detach();
});

test("an unverified peer's rekey waits for the user's answer without blocking; a second request meanwhile is refused", () => {
  const { a, b, wire, deliverOne } = pair();
  b.verified = false;
  a.flow.start();
  deliverOne();
  assert.deepEqual(b.events, ["rekey_prompt"]);
  assert.equal(b.flow.promptPending, true);
  assert.deepEqual(b.flow.state, { phase: "prompt", role: null });
  assert.equal(wire.length, 0, "nothing answered before the user did");
  // A second init while the first awaits the answer.
  b.flow.onMessage({ type: MessageType.REKEY, action: "init", public_key: "x" });
  assert.deepEqual(b.errors.map((e) => e.kind), ["protocol_violation"]);
  assert.equal(b.flow.answer(true), true);
  assert.equal(b.flow.answer(true), false, "nothing left to answer");
  while (wire.length > 0) deliverOne();
  assert.deepEqual(a.events, ["rekey_started:initiator", "rekey_done:initiator"]);
  assert.deepEqual(b.events, ["rekey_prompt", "rekey_started:responder", "rekey_done:responder"]);
  assert.equal(talk(a.session, b.session, "after the answer"), "after the answer");
  a.flow.detach();
  b.flow.detach();
});

test("a rekey message out of place or malformed is reported with a kind and changes nothing", () => {
  const { a, b } = pair();
  b.flow.onMessage({ type: MessageType.REKEY, action: "commit_ack" });
  b.flow.onMessage({ type: MessageType.REKEY, action: "init", public_key: "not base64 of a key!" });
  assert.equal(b.errors.length, 2);
  for (const e of b.errors) assert.ok(e.kind === "protocol_violation" || e.kind === "malformed", e.kind);
  assert.ok(b.errors.some((e) => e.kind === "malformed"), "a bad key is malformed");
  assert.equal(b.flow.inProgress, false);
  assert.equal(talk(a.session, b.session, "still the old keys"), "still the old keys");
  a.flow.detach();
  b.flow.detach();
});

test("detach abandons a rekey in progress (reset, disconnect)", () => {
  const { a } = pair();
  a.flow.start();
  assert.equal(a.flow.inProgress, true);
  a.flow.detach();
  assert.equal(a.flow.inProgress, false);
  assert.deepEqual(a.flow.state, { phase: "idle", role: null });
});
