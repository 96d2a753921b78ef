// Notices about a peer's misbehaviour are coalesced (src/client/notice-coalescer.ts):
// a flood gives a handful of error events whose counts add up to every drop.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { NoticeCoalescer, type Notice } from "../src/client/notice-coalescer.js";
import { startServer, type ServerHandle } from "./helpers/client-harness.js";
import { hostilePair, nextWindow } from "./helpers/hostile-pair.js";

let server: ServerHandle;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

test("200 texts at full speed: a handful of rate_limited events, counts summing to the drops", async () => {
  const p = await hostilePair(server);
  try {
    const { c, h } = p;
    await nextWindow();
    for (let i = 0; i < 200; i++) await h.sendInner({ type: 13, text: `flood ${i}` }, true);
    await nextWindow();
    await h.sendInner({ type: 13, text: "sentinel" });
    await c.next("message", (m) => m.text === "sentinel");
    const delivered = c.log.filter((e) => e.name === "message" && /^flood /.test((e.payload as { text: string }).text)).length;
    const drops = 200 - delivered;
    assert.ok(drops >= 150, `the limiter dropped most of the flood (${drops})`);
    assert.equal(await c.occurrencesReach("rate_limited", drops), drops);
    const events = c.errors("rate_limited");
    assert.ok(events.length <= 6, `a handful of notices, not one per drop (got ${events.length})`);
    assert.equal(events[0] && (events[0] as unknown as Notice).count, 1, "the first drop is reported at once");
  } finally {
    await p.close();
  }
});

test("coalescer: first at once, then one per kind per interval with the count; other kinds pass; flush reports the rest", async () => {
  const out: Notice[] = [];
  let arrived: () => void = () => undefined;
  const q = new NoticeCoalescer((n) => {
    out.push(n);
    arrived();
  }, 50);
  const next = () => new Promise<void>((r) => (arrived = r));
  q.report("malformed", "m1");
  for (let i = 0; i < 29; i++) q.report("malformed", `m${i + 2}`);
  q.report("replay", "r1");
  q.report("io_error", "disk full");
  q.report("io_error", "disk full");
  assert.deepEqual(out, [
    { kind: "malformed", text: "m1", count: 1 },
    { kind: "replay", text: "r1", count: 1 },
    { kind: "io_error", text: "disk full", count: 1 },
    { kind: "io_error", text: "disk full", count: 1 },
  ]);
  await next();
  assert.deepEqual(out[4], { kind: "malformed", text: "m30", count: 29 });
  q.report("malformed", "late");
  q.flush();
  assert.deepEqual(out[5], { kind: "malformed", text: "late", count: 1 });
  assert.equal(out.length, 6);
});
