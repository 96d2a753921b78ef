// Verified reconnect through real processes: two `pqchat chat --json` clients
// verify each other through `pqchat server`; the relay is killed (SIGKILL) and
// started again on the same port; both connect again and the new session is
// verified on both sides with `carried: true`, although `auto_verify` is "ask"
// and nobody sent `verify`. A third client that takes the place of one of them
// (same room, no secret) is never verified, and the JSON line says plainly
// that it may be someone else.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { JsonChat, quitAll } from "./helpers/cli-proc.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";

const servers: ServerHandle[] = [];
const chats: JsonChat[] = [];
after(async () => {
  await quitAll(...chats);
  await Promise.all(servers.map((s) => s.stop("SIGKILL")));
});

async function relay(port?: number): Promise<ServerHandle> {
  const s = await startServer(port === undefined ? [] : ["--port", String(port)]);
  servers.push(s);
  return s;
}

function chat(port: number, room: string): JsonChat {
  const c = new JsonChat([`127.0.0.1:${port}`, "--room", room]);
  chats.push(c);
  return c;
}

test("relay killed and restarted: the next session is verified with carried: true on both sides, no command needed", async () => {
  const first = await relay();
  const room = `j${randomBytes(6).toString("hex")}`;
  const a = chat(first.port, room);
  await a.next("waiting_for_peer");
  const b = chat(first.port, room);
  await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
  await Promise.all([a.ok("verify", { answer: true }), b.ok("verify", { answer: true })]);
  await Promise.all([a.next("peer_verified", { verified: true }), b.next("peer_verified", { verified: true })]);
  await Promise.all([a.next("verified", { verified: true }), b.next("verified", { verified: true })]);

  const [ma, mb] = [a.mark(), b.mark()];
  await first.stop("SIGKILL");
  await Promise.all([a.next("disconnected", {}, { from: ma }), b.next("disconnected", {}, { from: mb })]);
  const second = await relay(first.port);
  await a.ok("connect", { host: "127.0.0.1", port: second.port });
  await a.next("waiting_for_peer", {}, { from: ma });
  await b.ok("connect", { host: "127.0.0.1", port: second.port });
  const [ka, kb] = await Promise.all([a.next("key_exchange_complete", {}, { from: ma }), b.next("key_exchange_complete", {}, { from: mb })]);
  assert.equal(ka["fingerprint_sha256"], kb["fingerprint_sha256"]);
  const [va, vb] = await Promise.all([a.next("verified", {}, { from: ma }), b.next("verified", {}, { from: mb })]);
  assert.equal(va["verified"], true);
  assert.equal(va["carried"], true);
  assert.equal(vb["carried"], true);
  await Promise.all([a.next("peer_verified", { verified: true, carried: true }, { from: ma }), b.next("peer_verified", { verified: true, carried: true }, { from: mb })]);
  const st = await a.ok("state");
  const state = st["state"] as Record<string, unknown>;
  assert.equal(state["verified"], true);
  assert.equal(state["continuity"], "carried");

  // B leaves on purpose (quit), a stranger with the same room code arrives: A is told, never verified.
  const mc = a.mark();
  b.send({ cmd: "quit" });
  await b.waitExit();
  await a.next("reset", {}, { from: mc });
  const c = chat(second.port, room);
  await Promise.all([a.next("key_exchange_complete", {}, { from: mc }), c.next("key_exchange_complete")]);
  const warn = await a.next("verification_not_carried", {}, { from: mc, timeoutMs: 40_000 });
  assert.equal(warn["reason"], "invalid_proof");
  assert.match(String(warn["text"]), /may be someone else/);
  assert.equal(a.items.slice(mc).filter((e) => e.event === "verified").length, 0);
  const after2 = (await a.ok("state"))["state"] as Record<string, unknown>;
  assert.equal(after2["verified"], null);
  assert.equal(after2["continuity"], "failed");
});
