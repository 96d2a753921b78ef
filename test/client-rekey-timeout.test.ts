// A rekey the peer never completes is timed out (src/client/rekey-flow.ts):
// a real ClientCore against a hostile peer (test/helpers/hostile-peer.ts)
// through a real `pqchat server`. Before the switch can have happened on the
// peer's side the rekey is abandoned and the session goes on; once the peer
// may have switched (we sent commit, no commit_ack came) the session ends.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MessageType, Rekeyer, type JsonObject } from "../src/protocol/index.js";
import { TestClient, connectClient, removeDir, startServer, tempDir, type ServerHandle } from "./helpers/client-harness.js";
import { HostilePeer } from "./helpers/hostile-peer.js";

const TIMEOUT_MS = 1500;
let server: ServerHandle;
const cleanup: (() => Promise<void> | void)[] = [];

before(async () => {
  server = await startServer(["--max-clients", "16"]);
});
after(async () => {
  for (const f of cleanup.reverse()) await f();
  await server.stop();
});

/** A client that verified its peer (no rekey prompt) paired with a hostile peer in `room`. */
async function setup(room: string): Promise<{ c: TestClient; h: HostilePeer }> {
  const dir = await tempDir("pqchat-rekey-timeout-");
  const c = new TestClient("C", dir, { rekeyTimeoutMs: TIMEOUT_MS, dummyTraffic: false });
  await connectClient(c, server, room);
  await c.next("server_version");
  const h = await HostilePeer.connect(server.port, server.host);
  h.writeNow(new TextEncoder().encode(JSON.stringify({ type: 70, room })));
  await c.next("key_exchange_complete");
  await h.ready();
  c.core.verify(true);
  await h.nextPlain((o) => o["type"] === MessageType.KEY_VERIFICATION);
  cleanup.push(async () => {
    h.close();
    await c.close();
    await removeDir(dir);
  });
  return { c, h };
}

const isRekey = (action: string) => (o: JsonObject) => o["type"] === MessageType.REKEY && o["action"] === action;

async function textsFlow(c: TestClient, h: HostilePeer, tag: string): Promise<void> {
  await h.sendInner({ type: MessageType.TEXT_MESSAGE, text: `in ${tag}` });
  await c.next("message", (m) => m.text === `in ${tag}`);
  c.core.sendText(`out ${tag}`);
  await h.nextInner((o) => o["type"] === MessageType.TEXT_MESSAGE && o["text"] === `out ${tag}`);
}

test("our rekey init never answered: abandoned after the timeout, the user is told, the session goes on", async () => {
  const { c, h } = await setup("rk-init");
  c.core.rekey();
  await h.nextInner(isRekey("init"));
  assert.equal(c.core.state().rekey.phase, "init_sent");
  const e = await c.next("error", (x) => x.kind === "rekey_timeout");
  assert.match(e.text, /abandoned/);
  assert.equal(c.core.state().rekey.phase, "idle");
  assert.equal(c.core.state().phase, "secure");
  await textsFlow(c, h, "after abandoned init");
});

test("the peer's rekey stops after our response (no commit): abandoned, the session goes on", async () => {
  const { c, h } = await setup("rk-resp");
  const r = new Rekeyer(h.session!);
  await h.sendInner(r.start());
  await h.nextInner(isRekey("response"));
  await c.next("rekey_started", (x) => x.role === "responder");
  const e = await c.next("error", (x) => x.kind === "rekey_timeout");
  assert.match(e.text, /abandoned/);
  assert.equal(c.core.state().rekey.phase, "idle");
  r.reset();
  await textsFlow(c, h, "after abandoned response");
});

test("commit sent, commit_ack never comes: held traffic is not held forever, the session is ended and the user told", async () => {
  const { c, h } = await setup("rk-ack");
  const r = new Rekeyer(h.session!);
  c.core.rekey();
  const init = await h.nextInner(isRekey("init"));
  const step = r.handle(init);
  await h.sendInner(step.reply!);
  await h.nextInner(isRekey("commit"));
  // Our client now holds application traffic until commit_ack (WIRE-NOTES §9): a text waits.
  assert.equal(c.core.state().rekey.phase, "commit_sent");
  c.core.sendText("held");
  const e = await c.next("error", (x) => x.kind === "rekey_timeout");
  assert.match(e.text, /ended/);
  const d = await c.next("disconnected");
  assert.match(d.reason, /rekey/i);
  assert.equal(c.core.state().phase, "disconnected");
  // The server saw us leave and tells the peer (KEY_EXCHANGE_RESET).
  await h.nextPlain((o) => o["type"] === MessageType.KEY_EXCHANGE_RESET);
});
