// `pqchat chat --json --server-silence TIME` against a real relay frozen with
// SIGSTOP: both processes write `disconnected` with the reason that says the
// server stopped responding, keep answering commands, and quit cleanly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { silenceReason } from "../src/client/liveness.js";
import { JsonChat, quitAll } from "./helpers/cli-proc.js";
import { startServer } from "./helpers/server-process.js";

test("a frozen relay: JSON clients report disconnected with the silence reason and stay usable", async () => {
  const server = await startServer(["--keepalive-interval", "500ms"]);
  let frozen = false;
  const procs: JsonChat[] = [];
  try {
    const args = [`127.0.0.1:${server.port}`, "--room", "frozen", "--server-silence", "1750ms", "--no-reconnect"];
    const a = new JsonChat(args);
    procs.push(a);
    await a.next("waiting_for_peer");
    const b = new JsonChat(args);
    procs.push(b);
    await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
    process.kill(server.pid, "SIGSTOP");
    frozen = true;
    const [da, db] = await Promise.all([a.next("disconnected", {}, { timeoutMs: 60_000 }), b.next("disconnected", {}, { timeoutMs: 60_000 })]);
    assert.equal(da.reason, silenceReason(1750));
    assert.equal(db.reason, silenceReason(1750));
    // Still running and answering.
    const st = await a.command("state");
    assert.equal((st.state as { phase: string }).phase, "disconnected");
    process.kill(server.pid, "SIGCONT");
    frozen = false;
    await quitAll(...procs);
    for (const p of procs) assert.deepEqual(await p.exited, { code: 0, signal: null });
    assert.deepEqual(a.badLines, []);
  } finally {
    if (frozen) process.kill(server.pid, "SIGCONT");
    await quitAll(...procs);
    await server.stop();
  }
});
