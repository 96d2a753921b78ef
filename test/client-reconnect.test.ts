// Automatic reconnect of the client core against real `pqchat server`
// processes: a relay killed with SIGKILL and started again on the same port,
// SERVER_FULL retried until there is room, the attempts running out, and the
// endings that must not reconnect (leaving, emergency close, reconnecting off).
// Whether a reconnect follows is decided synchronously when the connection
// closes (`disconnected` carries `reconnect: true` and `reconnecting` follows in
// the same step), so the absence of a reconnect is checked right after
// `disconnected`, without waiting.
import assert from "node:assert/strict";
import { test } from "node:test";
import { connectClient, newClient, pair, startServer, type TestClient } from "./helpers/client-harness.js";
import { startServerOnPort } from "./helpers/server-process.js";

const LONG = 60_000;

async function bothReconnectingAfterKill(server: Awaited<ReturnType<typeof startServer>>, ...clients: TestClient[]): Promise<void> {
  await server.stop("SIGKILL");
  for (const c of clients) {
    const d = await c.next("disconnected", undefined, LONG);
    assert.equal(d.reconnect, true);
    const r = await c.next("reconnecting", undefined, LONG);
    assert.equal(r.attempt, 1);
    assert.ok(r.delay_ms <= 1000, `first retry within a second: ${r.delay_ms} ms`);
    assert.ok(r.reason.length > 0);
  }
}

test("relay killed and restarted on the same port: both clients reconnect to the room and agree on new keys by themselves", async () => {
  let server = await startServer();
  const port = server.port;
  const a = await newClient("A", { autoVerify: true });
  const b = await newClient("B", { autoVerify: true });
  try {
    await pair(server, a, b, { room: "again", verify: false });
    const fp1 = a.core.state().fingerprint;
    a.skipPast();
    b.skipPast();
    await bothReconnectingAfterKill(server, a, b);
    assert.equal(a.core.state().phase, "reconnecting");
    assert.equal(a.core.state().reconnect?.attempt, 1);
    server = await startServerOnPort(port);
    for (const c of [a, b]) {
      const conn = await c.next("connected", undefined, LONG);
      assert.deepEqual(conn, { host: "127.0.0.1", port, room: "again" });
    }
    const [ka, kb] = await Promise.all([a.next("key_exchange_complete", undefined, LONG), b.next("key_exchange_complete", undefined, LONG)]);
    assert.equal(ka.fingerprint, kb.fingerprint);
    assert.notEqual(ka.fingerprint, fp1, "a new session has new keys");
    assert.equal(a.core.state().reconnect, null, "the episode ended with the new session");
    assert.equal(a.core.state().room, "again");
    await Promise.all([a.next("peer_verified"), b.next("peer_verified")]);
    a.core.sendText("after the restart");
    assert.equal((await b.next("message")).text, "after the restart");
    assert.equal(a.count("reconnect_failed") + b.count("reconnect_failed"), 0);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await server.stop();
  }
});

test("a text written while reconnecting is held, marked pending, and sent only once the new session is verified (the old one was)", async () => {
  let server = await startServer();
  const port = server.port;
  const a = await newClient("A");
  const b = await newClient("B");
  try {
    await pair(server, a, b, { room: "held" });
    a.skipPast();
    b.skipPast();
    await bothReconnectingAfterKill(server, a, b);
    const held = a.core.sendText("written while the relay was down");
    assert.equal(held.pending, true);
    assert.equal(a.core.state().pending_messages, 1);
    server = await startServerOnPort(port);
    await Promise.all([a.next("key_exchange_complete", undefined, LONG), b.next("key_exchange_complete", undefined, LONG)]);
    // A verified the interrupted session, so the text waits for this one to be verified too.
    assert.deepEqual(await a.next("messages_held"), { count: 1, until: "verification" });
    assert.equal(a.core.state().pending_messages, 1, "still held: not sent to a peer nobody verified");
    assert.equal(b.count("message"), 0);
    b.core.verify(true);
    a.core.verify(true);
    assert.equal((await b.next("message")).text, "written while the relay was down");
    assert.equal((await a.next("sent")).message_id, held.message_id);
    assert.equal(a.core.state().pending_messages, 0);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await server.stop();
  }
});

test("the attempts run out: reconnecting, then reconnect_failed, and held texts are reported as not sent", async () => {
  const server = await startServer();
  const a = await newClient("A", { autoVerify: true, reconnect: { attempts: 2 } });
  const b = await newClient("B", { autoVerify: true, reconnect: false });
  try {
    await pair(server, a, b, { verify: false });
    a.skipPast();
    await server.stop("SIGKILL");
    assert.equal((await a.next("disconnected", undefined, LONG)).reconnect, true);
    assert.equal((await a.next("reconnecting", undefined, LONG)).attempt, 1);
    const held = a.core.sendText("nobody will get this");
    assert.equal(held.pending, true);
    const second = await a.next("reconnecting", undefined, LONG);
    assert.equal(second.attempt, 2);
    assert.equal(second.max_attempts, 2);
    assert.match(second.reason, /Cannot connect to 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    const failed = await a.next("reconnect_failed", undefined, LONG);
    assert.equal(failed.attempts, 2);
    assert.equal(failed.canceled, false);
    assert.match(failed.reason, /ECONNREFUSED/);
    assert.deepEqual(await a.next("message_not_sent"), { message_id: held.message_id, reason: "The connection could not be restored." });
    assert.equal(a.core.state().phase, "disconnected");
    assert.equal(a.core.state().reconnect, null);
    assert.throws(() => a.core.sendText("now refused"), /Not connected/);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test("cancelReconnect stops the waiting and drops held texts; connect() by hand still works", async () => {
  let server = await startServer();
  const port = server.port;
  const a = await newClient("A", { autoVerify: true });
  const b = await newClient("B", { autoVerify: true, reconnect: false });
  try {
    await pair(server, a, b, { verify: false });
    a.skipPast();
    await server.stop("SIGKILL");
    await a.next("reconnecting", undefined, LONG);
    const held = a.core.sendText("cancel me");
    assert.equal(a.core.cancelReconnect(), true);
    assert.deepEqual(await a.next("reconnect_failed"), { attempts: 0, reason: "Canceled.", canceled: true });
    assert.equal((await a.next("message_not_sent")).message_id, held.message_id);
    assert.equal(a.core.state().phase, "disconnected");
    assert.equal(a.core.cancelReconnect(), false, "nothing left to cancel");
    server = await startServerOnPort(port);
    await connectClient(a, server);
    assert.equal((await a.next("connected")).port, port);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await server.stop();
  }
});

test("no reconnect after leaving, after an emergency close (either side), or with reconnecting off", async () => {
  const server = await startServer(["--max-clients", "6"]);
  try {
    const a = await newClient("A", { autoVerify: true });
    const b = await newClient("B", { autoVerify: true });
    await pair(server, a, b, { room: "panic", verify: false });
    a.core.emergencyClose();
    for (const c of [a, b]) {
      const d = await c.next("disconnected", undefined, LONG);
      assert.equal(d.emergency, true);
      assert.equal(d.reconnect, undefined);
      assert.equal(c.count("reconnecting"), 0);
      assert.equal(c.core.state().phase, "disconnected");
    }

    const c = await newClient("C", { autoVerify: true });
    const d = await newClient("D", { autoVerify: true, reconnect: false });
    await pair(server, c, d, { room: "leave", verify: false });
    await c.core.disconnect();
    const dc = await c.next("disconnected");
    assert.equal(dc.reconnect, undefined);
    assert.equal(c.count("reconnecting"), 0);
    assert.equal(c.core.state().phase, "disconnected");
    // The peer stays connected and waits for someone new (the relay said the peer left).
    await d.next("reset");
    assert.equal(d.core.state().phase, "waiting_for_peer");

    // Reconnecting off: the server shutting down ends it for good.
    await server.stop("SIGTERM");
    const dd = await d.next("disconnected", undefined, LONG);
    assert.equal(dd.reconnect, undefined);
    assert.equal(d.count("reconnecting"), 0);
    assert.equal(d.core.state().phase, "disconnected");
    await Promise.all([a.close(), b.close(), c.close(), d.close()]);
  } finally {
    await server.stop();
  }
});

test("SERVER_FULL is retried with backoff: the third client gets in once a place is free", async () => {
  const server = await startServer();
  const a = await newClient("A", { autoVerify: true });
  const b = await newClient("B", { autoVerify: true });
  const c = await newClient("C", { autoVerify: true });
  try {
    await pair(server, a, b, { verify: false });
    await connectClient(c, server);
    await c.next("server_full");
    assert.equal((await c.next("disconnected")).reconnect, true);
    assert.equal((await c.next("reconnecting")).attempt, 1);
    await b.core.disconnect();
    await a.next("reset");
    // One of C's next attempts finds the free place and pairs with A.
    const [ka, kc] = await Promise.all([a.next("key_exchange_complete", undefined, LONG), c.next("key_exchange_complete", undefined, LONG)]);
    assert.equal(ka.fingerprint, kc.fingerprint);
    assert.equal(c.core.state().reconnect, null);
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
    await server.stop();
  }
});
