// Verified reconnect (docs/PROTOCOL-EXTENSIONS.md §4) with real client cores
// and a real `pqchat server` that is killed and started again on the same
// port: the next session of the same two clients inherits the verified state;
// a stranger paired instead (a hostile relay's choice, or whoever knows the
// room) never does — with a random proof, with none, or with the real peer's
// proof forwarded by a relay in the middle — and the client says plainly that
// it may be someone else. A reference-like peer receives one extra inner
// message whose fields are all on the reference's allow-list.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { CONTINUITY_PROOF_TYPE, continuityInner, join, type JsonObject } from "../src/protocol/index.js";
import { unexpectedInnerField } from "../src/protocol/control.js";
import { NOT_CARRIED_TEXT } from "../src/client/continuity.js";
import { TestClient, expectNone, newClient, pair, startServer, type ServerHandle } from "./helpers/client-harness.js";
import { HostilePeer } from "./helpers/hostile-peer.js";

const servers: ServerHandle[] = [];
const clients: TestClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.stop("SIGKILL")));
});

async function relay(port?: number): Promise<ServerHandle> {
  // Room for the two strangers of the relay-in-the-middle test.
  const s = await startServer(["--max-clients", "4", ...(port === undefined ? [] : ["--port", String(port)])]);
  servers.push(s);
  return s;
}

async function client(label: string): Promise<TestClient> {
  const c = await newClient(label, { continuityTimeoutMs: 3000 });
  clients.push(c);
  return c;
}

/** Two clients that verified each other, then lost their relay (SIGKILL) and got a new one on the same port. */
async function verifiedThenRelayRestarted(): Promise<{ a: TestClient; b: TestClient; server: ServerHandle; room: string }> {
  const first = await relay();
  const room = `c${randomBytes(6).toString("hex")}`;
  const a = await client("A");
  const b = await client("B");
  await pair(first, a, b, { room });
  await Promise.all([a.next("verified", (e) => e.verified && e.carried === undefined), b.next("verified", (e) => e.verified)]);
  const gone = Promise.all([a.next("disconnected"), b.next("disconnected")]);
  await first.stop("SIGKILL");
  await gone;
  return { a, b, server: await relay(first.port), room };
}

const rejoin = (c: TestClient, s: ServerHandle, room: string): Promise<void> => c.core.connect({ host: s.host, port: s.port, room });

test("the same two clients after a relay restart: the new session is verified, carried, on both sides", async () => {
  const { a, b, server, room } = await verifiedThenRelayRestarted();
  a.skipPast();
  b.skipPast();
  await rejoin(a, server, room);
  await a.next("waiting_for_peer");
  await rejoin(b, server, room);
  const [ka, kb] = await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
  assert.equal(ka.fingerprint_sha256, kb.fingerprint_sha256);
  const [va, vb] = await Promise.all([a.next("verified"), b.next("verified")]);
  assert.deepEqual(va, { verified: true, carried: true });
  assert.deepEqual(vb, { verified: true, carried: true });
  await Promise.all([a.next("peer_verified", (e) => e.carried === true), b.next("peer_verified", (e) => e.carried === true)]);
  assert.equal(a.core.state().verified, true);
  assert.equal(a.core.state().continuity, "carried");
  assert.equal(a.count("verification_not_carried"), 0);
  // And again: a carried session is itself a verified one, so it carries into the next.
  const gone = Promise.all([a.next("disconnected"), b.next("disconnected")]);
  await server.stop("SIGKILL");
  await gone;
  const third = await relay(server.port);
  await rejoin(a, third, room);
  await a.next("waiting_for_peer");
  await rejoin(b, third, room);
  await Promise.all([a.next("verified", (e) => e.carried === true), b.next("verified", (e) => e.carried === true)]);
});

/** After the restart, A is back in its room and a stranger (a raw peer with a real key exchange) takes B's place. */
async function strangerInsteadOfB(): Promise<{ a: TestClient; h: HostilePeer }> {
  const { a, server, room } = await verifiedThenRelayRestarted();
  a.skipPast();
  await rejoin(a, server, room);
  await a.next("waiting_for_peer");
  const h = await HostilePeer.connect(server.port, server.host);
  h.writeNow(join(room));
  await a.next("key_exchange_complete");
  await h.ready();
  return { a, h };
}

test("a stranger that sends a proof of its own (as a pqchat without the secret would) is never verified", async () => {
  const { a, h } = await strangerInsteadOfB();
  try {
    await h.sendInner(continuityInner(null));
    const e = await a.next("verification_not_carried");
    assert.deepEqual(e, { reason: "invalid_proof", text: NOT_CARRIED_TEXT.invalid_proof });
    assert.match(e.text, /may be someone else/);
    assert.equal(a.core.state().verified, null);
    assert.equal(a.core.state().continuity, "failed");
    await expectNone(a, "verified", 1500);
  } finally {
    h.close();
  }
});

test("a reference-like stranger (no proof at all) is never verified; the warning comes after the time limit", async () => {
  const { a, h } = await strangerInsteadOfB();
  try {
    // What a reference peer receives from us: one message, only allow-listed fields (WIRE-NOTES §12.3).
    const proof = await h.nextInner((o) => o["type"] === CONTINUITY_PROOF_TYPE);
    assert.equal(unexpectedInnerField(proof), null);
    assert.deepEqual(Object.keys(proof).sort(), ["data", "type"]);
    const e = await a.next("verification_not_carried", () => true, 10_000);
    assert.equal(e.reason, "no_proof");
    assert.equal(a.core.state().verified, null);
    // A later answer of the user still works as always.
    a.core.verify(true);
    assert.deepEqual(await a.next("verified"), { verified: true });
  } finally {
    h.close();
  }
});

test("a relay in the middle forwarding the real peer's proof gets nowhere: the proof is bound to the other fingerprint", async () => {
  const { a, b, server, room } = await verifiedThenRelayRestarted();
  a.skipPast();
  b.skipPast();
  // The relay pairs each real client with a stranger of its own (two rooms here) and relays between them.
  // Both real clients are responders this time, so a forwarded proof carries the role the receiver
  // expects of its peer: only the fingerprint it is bound to differs.
  const roomB = `${room}x`;
  const toA = await HostilePeer.connect(server.port, server.host);
  toA.writeNow(join(room));
  await toA.nextPlain((o) => o["type"] === 41);
  await rejoin(a, server, room);
  const toB = await HostilePeer.connect(server.port, server.host);
  toB.writeNow(join(roomB));
  await toB.nextPlain((o) => o["type"] === 41);
  await rejoin(b, server, roomB);
  await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete"), toA.ready(), toB.ready()]);
  try {
    const fromB: JsonObject = await toB.nextInner((o) => o["type"] === CONTINUITY_PROOF_TYPE);
    const fromA: JsonObject = await toA.nextInner((o) => o["type"] === CONTINUITY_PROOF_TYPE);
    await toA.sendInner(fromB);
    await toB.sendInner(fromA);
    const [ea, eb] = await Promise.all([a.next("verification_not_carried"), b.next("verification_not_carried")]);
    assert.equal(ea.reason, "invalid_proof");
    assert.equal(eb.reason, "invalid_proof");
    assert.equal(a.core.state().verified, null);
    assert.equal(b.core.state().verified, null);
    assert.equal(a.core.state().role, "responder");
    assert.equal(b.core.state().role, "responder");
  } finally {
    toA.close();
    toB.close();
  }
});

test("an emergency close wipes the secret: the next session starts unverified without a warning", async () => {
  const { a, b, server, room } = await verifiedThenRelayRestarted();
  await rejoin(a, server, room);
  await a.next("waiting_for_peer");
  await rejoin(b, server, room);
  await Promise.all([a.next("verified", (e) => e.carried === true), b.next("verified", (e) => e.carried === true)]);
  a.skipPast();
  b.skipPast();
  a.core.emergencyClose();
  await Promise.all([a.next("disconnected"), b.next("disconnected")]);
  await rejoin(a, server, room);
  await a.next("waiting_for_peer");
  await rejoin(b, server, room);
  await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
  assert.equal(a.core.state().continuity, "none");
  assert.equal(b.core.state().continuity, "none");
  await expectNone(a, "verified", 2000);
  assert.equal(a.count("verification_not_carried") + b.count("verification_not_carried"), 0);
});
