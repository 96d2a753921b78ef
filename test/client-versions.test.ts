// Version announcements and server errors, end to end (SPEC §4.2.1, §7.2,
// SPEC §14): a scripted server (test/helpers/raw-server.ts) announces another
// SERVER_VERSION_INFO and plays a peer whose key-exchange message carries
// another `version` or none, then sends an ERROR. The real `pqchat chat`
// reports them as SPEC says — breaking: a warning; minor: a notice; patch:
// nothing; a missing version: a notice — and the session goes on. Both the
// JSON API and the terminal client (plain lines on pipes).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { JsonChat, TextChat, quitAll } from "./helpers/cli-proc.js";
import { RawServer, type RawScript } from "./helpers/raw-server.js";

const servers: RawServer[] = [];
const procs: Array<JsonChat | TextChat> = [];
after(async () => {
  await quitAll(...procs);
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(script: RawScript): Promise<number> {
  const s = await RawServer.start(script);
  servers.push(s);
  return s.port;
}

const ERROR_TEXT = "Relay overloaded, try again later";

test("JSON API: server and peer versions by SPEC §4.2.1, a missing peer version, a server ERROR", async () => {
  // Major difference from the server and from the peer: warnings (version_mismatch errors); the session continues.
  {
    const j = new JsonChat([`127.0.0.1:${await serve({ serverVersion: "7.0.0", clientRole: "initiator", peerVersion: "7.1.0" })}`]);
    procs.push(j);
    const sv = await j.next("server_version");
    assert.deepEqual([sv["version"], sv["match"], sv["compatibility"]], ["7.0.0", false, "breaking"]);
    assert.match(String((await j.next("error", { kind: "version_mismatch" }))["text"]), /server speaks protocol 7\.0\.0/);
    const pv = await j.next("peer_version");
    assert.deepEqual([pv["version"], pv["compatibility"]], ["7.1.0", "breaking"]);
    assert.match(String((await j.next("error", { kind: "version_mismatch" }, { from: j.events().indexOf(pv) }))["text"]), /peer speaks protocol 7\.1\.0/);
    await j.next("key_exchange_complete");
  }
  // Minor differences: notices, no error; then the server's ERROR is surfaced (SPEC §14).
  {
    const j = new JsonChat([`127.0.0.1:${await serve({ serverVersion: "6.1.0", clientRole: "responder", peerVersion: "6.2.0", afterComplete: [{ type: 43, error: ERROR_TEXT }] })}`]);
    procs.push(j);
    assert.equal((await j.next("server_version"))["compatibility"], "minor");
    const pv = await j.next("peer_version");
    assert.deepEqual([pv["version"], pv["compatibility"]], ["6.2.0", "minor"]);
    await j.next("key_exchange_complete");
    assert.equal((await j.next("server_error"))["error"], ERROR_TEXT);
    assert.deepEqual(j.events("error"), [], "minor differences are notices, not errors");
  }
  // Patch differences: nothing to report; a missing peer version: a notice; the session is established.
  {
    const j = new JsonChat([`127.0.0.1:${await serve({ serverVersion: "6.0.2", clientRole: "responder", peerVersion: null })}`]);
    procs.push(j);
    assert.equal((await j.next("server_version"))["compatibility"], "patch");
    const pv = await j.next("peer_version");
    assert.deepEqual([pv["version"], pv["compatibility"]], [null, "missing"]);
    await j.next("key_exchange_complete");
    assert.deepEqual(j.events("error"), []);
  }
  {
    const j = new JsonChat([`127.0.0.1:${await serve({ serverVersion: "6.0.1", clientRole: "initiator", peerVersion: "6.0.7" })}`]);
    procs.push(j);
    assert.equal((await j.next("peer_version"))["compatibility"], "patch");
    await j.next("key_exchange_complete");
    assert.deepEqual(j.events("error"), []);
  }
});

test("terminal client: a warning for major, a note for minor and a missing version, nothing for patch; the server's ERROR shown", async () => {
  {
    const t = new TextChat([`127.0.0.1:${await serve({ serverVersion: "7.0.0", clientRole: "initiator", peerVersion: "7.1.0" })}`]);
    procs.push(t);
    await t.line(/^! the server speaks protocol 7\.0\.0, this client 6\.0\.1: a different major version/);
    await t.line(/peer speaks protocol 7\.1\.0, a different major version/);
    await t.line(/secure session established/);
  }
  {
    const t = new TextChat([`127.0.0.1:${await serve({ serverVersion: "6.1.0", clientRole: "initiator", peerVersion: "6.2.0", afterComplete: [{ type: 43, error: ERROR_TEXT }] })}`]);
    procs.push(t);
    await t.line(/^\* note: the server speaks protocol 6\.1\.0, this client 6\.0\.1$/);
    await t.line(/^\* note: your peer speaks protocol 6\.2\.0, this client 6\.0\.1$/);
    await t.line(/secure session established/);
    await t.line(new RegExp(`^! server error: ${ERROR_TEXT}$`));
  }
  {
    const t = new TextChat([`127.0.0.1:${await serve({ serverVersion: "6.0.2", clientRole: "responder", peerVersion: null })}`]);
    procs.push(t);
    await t.line(/^\* note: your peer did not say which protocol version it speaks/);
    await t.line(/secure session established/);
    assert.deepEqual(
      t.items.filter((l) => /6\.0\.2|version/.test(l) && !/did not say/.test(l)),
      [],
      "a patch difference is not reported",
    );
  }
});
