// Disappearing messages in `pqchat chat --json` (SPEC §15, WIRE-NOTES §12.4):
// one client turns on GLOBAL ephemeral mode (what the GUI's switch sends), the
// other honours it — its texts in both directions are marked `ephemeral` and
// expire with `message_expired` — and only the owner can turn it off.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonChat, quitAll, sharedRelay } from "./helpers/cli-proc.js";

const relay = sharedRelay();

test("a peer's GLOBAL mode is honoured: texts both ways expire with message_expired; only the owner turns it off", async () => {
  const args = [`127.0.0.1:${relay.server.port}`, "--room", "vanish"];
  const a = new JsonChat(args);
  relay.procs.push(a);
  await a.next("waiting_for_peer");
  const b = new JsonChat(args);
  relay.procs.push(b);
  await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
  // B only chooses how long messages stay on its side (1 s here, 30 s by default); A turns the mode on.
  await b.ok("ephemeral", { mode: "OFF", seconds: 1 });
  await a.ok("ephemeral", { mode: "GLOBAL", seconds: 1 });
  const seen = await b.next("ephemeral_mode", { mode: "GLOBAL" });
  assert.deepEqual([seen.by_peer, seen.seconds], [true, 1]);
  assert.equal(((await b.command("state")).state as { ephemeral_mode: string }).ephemeral_mode, "GLOBAL");

  const sent = await a.ok("send", { text: "read this quickly" });
  assert.equal(sent.ephemeral, true);
  const got = await b.next("message", { text: "read this quickly" });
  assert.equal(got.ephemeral, true);
  assert.equal(typeof got.message_id, "string");
  assert.deepEqual((await b.next("message_expired", { message_id: got.message_id })).direction, "in");
  assert.deepEqual((await a.next("message_expired", { message_id: sent.message_id })).direction, "out");
  const reply = await b.ok("send", { text: "and this too" });
  assert.equal(reply.ephemeral, true, "the GLOBAL mode applies to what B writes as well");
  assert.equal((await b.next("message_expired", { message_id: reply.message_id })).direction, "out");

  const refused = await b.command("ephemeral", { mode: "OFF" });
  assert.equal(refused.event, "cmd_error");
  assert.match(refused.error as string, /Only the peer who turned on/);
  const badTime = await a.command("ephemeral", { mode: "LOCAL", seconds: 0 });
  assert.equal(badTime.event, "cmd_error");
  const beforeOff = b.mark();
  await a.ok("ephemeral", { mode: "OFF" });
  assert.equal((await b.next("ephemeral_mode", { mode: "OFF" }, { from: beforeOff })).by_peer, true);
  const plain = await a.ok("send", { text: "this one stays" });
  assert.equal(plain.ephemeral, undefined);
  assert.equal((await b.next("message", { text: "this one stays" })).ephemeral, false);
  await quitAll(a, b);
});
