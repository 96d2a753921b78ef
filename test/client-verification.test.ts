// Verification answers are bound to the fingerprint they answer, end to end:
// real `pqchat chat --json` processes through a real `pqchat server`. An
// answer for words of a session that ended (the peer left; a new peer may be
// about to arrive) is refused and never applied to the next session.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { JsonChat, quitAll, sharedRelay } from "./helpers/cli-proc.js";

const relay = sharedRelay();

function chat(room: string): JsonChat {
  const p = new JsonChat([`127.0.0.1:${relay.server.port}`, "--room", room]);
  relay.procs.push(p);
  return p;
}

describe("verify is bound to the fingerprint it answers", { concurrency: true }, () => {
  test("an answer for the words of a session that ended is refused and not carried into the next session", async () => {
    const a = chat("bound-1");
    await a.next("waiting_for_peer");
    const b = chat("bound-1");
    const [k1] = await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
    const words1 = k1.fingerprint as string;

    // The full SHA-256 is there too (WIRE-NOTES §10: the words are derived from it).
    const hex = k1.fingerprint_sha256 as string;
    assert.match(hex, /^[0-9a-f]{64}$/);
    assert.equal(((await a.ok("state")).state as Record<string, unknown>).fingerprint_sha256, hex);

    // Wrong words while a session is up: refused, nothing sent.
    const wrong = await a.command("verify", { answer: true, fingerprint: "not the words at all" });
    assert.equal(wrong.event, "cmd_error");
    assert.equal(wrong.kind, "stale_verification");
    assert.equal(((await a.ok("state")).state as Record<string, unknown>).verified, null);

    // b leaves: a is between sessions. The user answers the words they were looking at.
    const mark = a.mark();
    await quitAll(b);
    await a.next("reset", {}, { from: mark });
    const late = await a.command("verify", { answer: true, fingerprint: words1 });
    assert.equal(late.event, "cmd_error", "an answer naming the old words must be refused");
    assert.equal(late.kind, "stale_verification");
    assert.match(String(late.error), /no session|ended|changed/);
    // Unnamed, after a fingerprint was shown: refused too (it can only be about the old words).
    const unnamed = await a.command("verify", { answer: true });
    assert.equal(unnamed.event, "cmd_error");
    assert.equal(unnamed.kind, "stale_verification");

    // A new peer arrives: the old answer was not held for it.
    const c = chat("bound-1");
    const [k2] = await Promise.all([a.next("key_exchange_complete", {}, { from: mark }), c.next("key_exchange_complete")]);
    assert.notEqual(k2.fingerprint, words1);
    assert.equal(((await a.ok("state")).state as Record<string, unknown>).verified, null);
    // c never hears a KEY_VERIFICATION from a.
    assert.equal(c.events("peer_verified").length, 0);

    // The old words are refused in the new session as well; the new ones are taken.
    assert.equal((await a.command("verify", { answer: true, fingerprint: words1 })).kind, "stale_verification");
    await a.ok("verify", { answer: true, fingerprint: (k2.words as string[]).join("  ") });
    assert.equal((await c.next("peer_verified")).verified, true);
    assert.equal(((await a.ok("state")).state as Record<string, unknown>).verified, true);
    // The full hex names the fingerprint as well (any case, grouped).
    const hex2 = k2.fingerprint_sha256 as string;
    const grouped = hex2.toUpperCase().match(/.{4}/g)!.join(" ");
    await a.ok("verify", { answer: true, fingerprint: grouped });
    await quitAll(a, c);
  });

  test("an answer given before the first fingerprint of a connection is still held for it", async () => {
    const a = chat("bound-2");
    await a.next("waiting_for_peer");
    await a.ok("verify", { answer: true });
    const b = chat("bound-2");
    await Promise.all([a.next("key_exchange_complete"), b.next("key_exchange_complete")]);
    assert.equal((await b.next("peer_verified")).verified, true);
    await quitAll(a, b);
  });
});
