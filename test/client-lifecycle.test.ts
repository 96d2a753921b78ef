// Connection lifecycle against real `pqchat server` processes: peer disconnect
// -> reset -> a third client pairs with the survivor, SERVER_FULL, rooms, and
// the server shutting down mid-session.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CommandError } from "../src/client/api.js";
import { connectClient, newClient, pair, startServer } from "./helpers/client-harness.js";

test("peer disconnect -> reset -> a third client pairs with the survivor; SERVER_FULL for an extra client", async () => {
  const server = await startServer();
  try {
    const a = await newClient("A", { autoVerify: true });
    const b = await newClient("B", { autoVerify: true });
    const c = await newClient("C", { autoVerify: true });
    const d = await newClient("D");
    await pair(server, a, b, { verify: false });
    await Promise.all([a.next("peer_verified"), b.next("peer_verified")]);
    const fp1 = a.core.state().fingerprint;

    // Default capacity is two: a third client gets SERVER_FULL and is closed.
    await connectClient(d, server);
    await d.next("server_full");
    assert.match((await d.next("disconnected")).reason, /full/i);

    await b.core.disconnect();
    await b.next("disconnected");
    const r = await a.next("reset");
    assert.ok(r.reason.length > 0);
    assert.equal(a.core.state().phase, "waiting_for_peer");
    assert.equal(a.core.state().fingerprint, null);
    assert.equal(a.core.state().verified, null);
    // The peer left: a text is held for the next session (src/client/outbox.ts), not refused.
    const held = a.core.sendText("written while alone");
    assert.equal(held.pending, true);
    assert.equal(a.core.state().pending_messages, 1);

    await connectClient(c, server);
    // The survivor becomes the initiator of the new exchange.
    assert.equal((await a.next("key_exchange_started", (e) => e.role === "initiator")).role, "initiator");
    await Promise.all([a.next("key_exchange_complete"), c.next("key_exchange_complete")]);
    assert.notEqual(a.core.state().fingerprint, fp1);
    assert.equal(a.core.state().fingerprint, c.core.state().fingerprint);
    await Promise.all([a.next("peer_verified"), c.next("peer_verified")]);
    // A had verified B (auto_verify) and now verified C the same way: the held text goes out.
    assert.equal((await c.next("message")).text, "written while alone");
    assert.equal((await a.next("sent", (e) => e.message_id === held.message_id)).message_id, held.message_id);
    c.core.sendText("hello survivor");
    assert.equal((await a.next("message")).text, "hello survivor");
    assert.deepEqual(a.errors(), []);
    await Promise.all([a.close(), c.close(), d.close()]);
  } finally {
    await server.stop();
  }
});

test("rooms: two pairs in different rooms on one server", async () => {
  const server = await startServer(["--max-clients", "4"]);
  try {
    const a1 = await newClient("A1", { autoVerify: true });
    const a2 = await newClient("A2", { autoVerify: true });
    const b1 = await newClient("B1", { autoVerify: true });
    const b2 = await newClient("B2", { autoVerify: true });
    // Interleaved connects: rooms decide who pairs with whom, not the order.
    await connectClient(a1, server, "room-a");
    await connectClient(b1, server, "room-b");
    await connectClient(a2, server, "room-a");
    await connectClient(b2, server, "room-b");
    await Promise.all([a1, a2, b1, b2].map((c) => c.next("key_exchange_complete")));
    assert.equal(a1.core.state().fingerprint, a2.core.state().fingerprint);
    assert.equal(b1.core.state().fingerprint, b2.core.state().fingerprint);
    assert.notEqual(a1.core.state().fingerprint, b1.core.state().fingerprint);
    assert.equal(a1.core.state().room, "room-a");
    await Promise.all([a1, a2, b1, b2].map((c) => c.next("peer_verified")));
    a1.core.sendText("to a2");
    b2.core.sendText("to b1");
    assert.equal((await a2.next("message")).text, "to a2");
    assert.equal((await b1.next("message")).text, "to b1");
    await Promise.all([a1, a2, b1, b2].map((c) => c.close()));
  } finally {
    await server.stop();
  }
});

test("server shutdown mid-session, reconnecting off: server_disconnect then disconnected", async () => {
  const server = await startServer();
  const a = await newClient("A", { autoVerify: true, reconnect: false });
  const b = await newClient("B", { autoVerify: true, reconnect: false });
  await pair(server, a, b, { verify: false });
  await server.stop("SIGTERM");
  for (const c of [a, b]) {
    assert.equal((await c.next("server_disconnect")).reason, "Server shutting down");
    assert.equal((await c.next("disconnected")).reconnect, undefined);
    assert.equal(c.core.state().phase, "disconnected");
    assert.equal(c.core.state().fingerprint, null);
  }
  // Connecting to a dead server fails cleanly.
  await assert.rejects(a.core.connect({ host: server.host, port: server.port }), CommandError);
});

test("server keepalives are answered at once and never rate-limited", async () => {
  const server = await startServer(["--keepalive-interval", "200ms"]);
  try {
    const a = await newClient("A", { autoVerify: true });
    const b = await newClient("B", { autoVerify: true });
    await pair(server, a, b, { verify: false });
    await Promise.all([a.next("peer_verified"), b.next("peer_verified")]);
    // Several probes per second on top of the peer's 4 frames per second: the
    // server would disconnect after three unanswered ones.
    await new Promise((r) => setTimeout(r, 1500));
    a.core.sendText("still here");
    assert.equal((await b.next("message")).text, "still here");
    assert.equal(a.count("disconnected") + b.count("disconnected"), 0);
    assert.deepEqual(a.errors(), []);
    assert.deepEqual(b.errors(), []);
    await Promise.all([a.close(), b.close()]);
  } finally {
    await server.stop();
  }
});
