// Where a connection belongs, from its first bytes (src/server/join-gate.ts),
// and which worker owns a room (src/server/room-owner.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { firstFrameVerdict } from "../src/server/join-gate.js";
import { F } from "../src/server/notices.js";
import { LOBBY } from "../src/server/pairing.js";
import { ownerOf } from "../src/server/room-owner.js";
import { wireOf } from "./helpers/wire.js";

test("a JOIN as the first frame names the room, and the bytes after it are kept for the owner", () => {
  const join = wireOf('{"type": 70, "room": "kitchen"}');
  const after = wireOf('{"type": 5, "x": 1}');
  const v = firstFrameVerdict(Buffer.concat([join, after]));
  assert.deepEqual(v, { room: "kitchen", joined: true, head: after });
});

test("an incomplete first frame waits; a frame longer than any JOIN, or another type, means the lobby with every byte kept", () => {
  const join = wireOf('{"type": 70, "room": "kitchen"}');
  for (let cut = 0; cut < join.length; cut++) assert.equal(firstFrameVerdict(join.subarray(0, cut)), null, `cut at ${cut}`);
  const big = Buffer.alloc(8);
  big.writeUInt32BE(5000, 0);
  assert.deepEqual(firstFrameVerdict(big), { room: LOBBY, joined: false, head: big });
  const init = wireOf('{"type": 5, "public_key": "x"}');
  assert.deepEqual(firstFrameVerdict(init), { room: LOBBY, joined: false, head: init });
  const binary = wireOf(Buffer.from([0, 1, 2, 3]));
  assert.deepEqual(firstFrameVerdict(binary), { room: LOBBY, joined: false, head: binary });
});

test("an invalid JOIN is refused with the relay's notice; CLIENT_DISCONNECT just ends", () => {
  assert.deepEqual(firstFrameVerdict(wireOf('{"type": 70, "room": ""}')), { refuse: F.invalidRoom, why: "invalid JOIN" });
  assert.deepEqual(firstFrameVerdict(wireOf('{"type": 70}')), { refuse: F.invalidRoom, why: "invalid JOIN" });
  assert.deepEqual(firstFrameVerdict(wireOf('{"type": 50}')), { refuse: null, why: "client disconnect" });
});

test("room owners: stable, the lobby on worker 0, every worker used", () => {
  assert.equal(ownerOf(LOBBY, 4), 0);
  assert.equal(ownerOf("anything", 1), 0);
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const o = ownerOf(`room-${i}`, 4);
    assert.equal(ownerOf(`room-${i}`, 4), o);
    assert.ok(o >= 0 && o < 4);
    seen.add(o);
  }
  assert.equal(seen.size, 4);
});
