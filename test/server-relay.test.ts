// Relay behaviour against the reference server's transcripts
// (test/fixtures/server.json, WIRE-NOTES §11), byte-exact relaying, and the
// hardening of WIRE-NOTES §15.1–15.3 (rejected connections closed, forged control
// messages and hostile JSON never relayed).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { RawClient } from "./helpers/raw-client.js";
import { completedPair, fakeInit, joinClient, pairedClients, S } from "./helpers/scenarios.js";
import { startServer, type ServerHandle } from "./helpers/server-process.js";

interface Step {
  step: string;
  [who: string]: string | string[] | undefined;
}
const fixture = JSON.parse(readFileSync(new URL("../../test/fixtures/server.json", import.meta.url), "utf8")) as {
  session_transcript: Step[];
  templates: Record<string, string>;
};
const T = fixture.templates;
function step(prefix: string): Step {
  const s = fixture.session_transcript.find((x) => x.step.startsWith(prefix));
  assert.ok(s, `fixture step "${prefix}"`);
  return s;
}
const frames = (s: Step, who: string): string[] => (s[who] as string[]).filter((f) => !f.startsWith("<EOF"));
const bytesOf = (f: string): Buffer => (f.startsWith("hex:") ? Buffer.from(f.slice(4), "hex") : Buffer.from(f, "utf8"));

test("templates used by the tests match the fixture", () => {
  assert.equal(S.version, T.SERVER_VERSION_INFO);
  assert.equal(S.initiate, T.INITIATE_KEY_EXCHANGE);
  assert.equal(S.complete, T.KEY_EXCHANGE_COMPLETE);
  assert.equal(S.reset, T.KEY_EXCHANGE_RESET);
  assert.equal(S.full, T.SERVER_FULL);
  assert.equal(S.keepaliveTimeout, T.SERVER_DISCONNECT_keepalive);
  assert.equal(S.shutdown, T.SERVER_DISCONNECT_shutdown);
  assert.equal(S.noPeer, T.ERROR_example);
});

describe("reference session transcript (default capacity 2, lobby)", () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
  });

  test("replays server.json session_transcript, with the WIRE-NOTES §15 fixes", async () => {
    // A connects.
    const A = await server.connect("A");
    assert.deepEqual([await A.nextText()], frames(step("A connects"), "A_receives"));

    // B connects: A gets INITIATE, B gets SERVER_VERSION_INFO.
    const B = await server.connect("B");
    const s2 = step("B connects");
    assert.deepEqual([await A.nextText()], frames(s2, "A_receives"));
    assert.deepEqual([await B.nextText()], frames(s2, "B_receives"));

    // C connects: SERVER_FULL, and (fix of WIRE-NOTES §15.1) the connection is closed.
    // C immediately tries the injection of third_connection_injection.
    const C = await server.connect("C");
    C.send('{"type": 4, "note": "injected by the rejected third connection"}');
    assert.deepEqual([await C.nextText()], frames(step("C connects"), "C_receives"));
    await C.expectClosed();

    // A sends KEY_EXCHANGE_INIT: relayed verbatim to B, nothing to A.
    const s4 = step("A sends KEY_EXCHANGE_INIT");
    const init = frames(s4, "B_receives")[0]!;
    A.send(init);
    assert.equal(await B.nextText(), init);

    // B sends an ENCRYPTED_MESSAGE before completion: dropped (unexpected).
    const encrypted = frames(step("A sends ENCRYPTED_MESSAGE"), "B_receives")[0]!;
    B.send(encrypted);

    // B sends KEY_EXCHANGE_RESPONSE: A gets it then COMPLETE; B gets COMPLETE.
    const s6 = step("B sends KEY_EXCHANGE_RESPONSE");
    const [response] = frames(s6, "A_receives");
    B.send(response!);
    assert.deepEqual(await A.nextTexts(2), frames(s6, "A_receives"));
    assert.deepEqual(await B.nextTexts(1), frames(s6, "B_receives"));
    await A.expectNoFrame(100); // the injection of C and B's early message never arrived

    // KEY_VERIFICATION, ENCRYPTED_MESSAGE, binary: verbatim.
    const verification = frames(step("A sends KEY_VERIFICATION"), "B_receives")[0]!;
    A.send(verification);
    assert.equal(await B.nextText(), verification);
    A.send(encrypted);
    assert.equal(await B.nextText(), encrypted);
    const binary = bytesOf(frames(step("B sends a binary"), "A_receives")[0]!);
    B.send(binary);
    assert.deepEqual(await A.nextFrame(), binary);

    // KEEP_ALIVE_RESPONSE without a KEEP_ALIVE: nothing forwarded.
    A.send(T.KEEP_ALIVE_RESPONSE!);
    // Forged SERVER_DISCONNECT: the reference relays it (WIRE-NOTES §15.2); we drop it.
    A.send('{"type": 42, "reason": "forged by peer"}');
    A.send(encrypted); // the next thing B sees is this, proving both were dropped
    assert.equal(await B.nextText(), encrypted);
    await A.expectNoFrame(50);

    // B sends CLIENT_DISCONNECT: A gets RESET, B is closed without a frame.
    const s12 = step("B sends CLIENT_DISCONNECT");
    B.send(T.CLIENT_DISCONNECT!);
    assert.deepEqual([await A.nextText()], frames(s12, "A_receives"));
    await B.expectClosed();

    // D connects while A is still there: A is the initiator again.
    const D = await server.connect("D");
    const s13 = step("D connects");
    assert.deepEqual([await A.nextText()], frames(s13, "A_receives"));
    assert.deepEqual([await D.nextText()], frames(s13, "D_receives"));

    // D sends 9 unexpected frames: nothing happens; the 10th disconnects it.
    for (let i = 0; i < 9; i++) D.send(encrypted);
    await D.expectNoFrame(100);
    await A.expectNoFrame(0);
    D.send(encrypted);
    const s15 = step("D sends the 10th");
    assert.deepEqual([await D.nextText()], frames(s15, "D_receives"));
    await D.expectClosed();
    assert.deepEqual([await A.nextText()], frames(s15, "A_receives"));
    A.close();
  });
});

describe("relaying (rooms, so no join wait)", () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer(["--max-clients", "20"]);
  });
  after(async () => {
    await server.stop();
  });

  test("a key-exchange frame without a partner gets ERROR; verification before completion is not relayed", async () => {
    const a = await joinClient(server, "A", "lonely");
    a.send(fakeInit());
    assert.equal(await a.nextText(), S.noPeer);
    const b = await joinClient(server, "B", "lonely");
    assert.equal(await a.nextText(), S.initiate);
    a.send('{"type": 62, "verified": true}'); // before completion: unexpected
    b.send('{"type": 62, "verified": true}');
    await b.expectNoFrame(100);
    await a.expectNoFrame(0);
    a.close();
    assert.equal(await b.nextText(), S.reset);
    b.close();
  });

  test("post-exchange frames are relayed byte for byte in both directions", async () => {
    const [a, b] = await completedPair(server, { room: "bytes" });
    const payloads: Buffer[] = [
      Buffer.from('{"type": 10, "counter": 1, "nonce": "AAAAAAAAAAAAAAAA", "ciphertext": "", "dh_public_key": "", "verification": ""}'),
      Buffer.from('{"type":10,"counter":2}'), // not pyjson: full parse path
      Buffer.from('{"type": 62, "verified": false}'),
      Buffer.from('{"type": 13, "text": "h\\u00e9llo \\ud83c\\udf89"}'),
      Buffer.from('{"type": 99, "raw": "d\u00e9j\u00e0 vu"}', "utf8"), // raw UTF-8, unknown type
      Buffer.from('{"type": 5, "version": "6.0.1"}'), // key-exchange types are relayed after completion too
      Buffer.alloc(0), // empty frame
      Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.alloc(44, 0xab), Buffer.from("tail")]), // FILE_CHUNK-like
      Buffer.from([0xff, 0xfe, 0x00, 0x80]), // not UTF-8
      Buffer.from("hello, not JSON"),
    ];
    for (const p of payloads) a.send(p);
    for (const p of payloads) assert.deepEqual(await b.nextFrame(), p);
    for (const p of payloads.slice().reverse()) b.send(p);
    for (const p of payloads.slice().reverse()) assert.deepEqual(await a.nextFrame(), p);

    // A 1 MiB chunk frame plus header overhead, sent in odd-sized pieces.
    const big = Buffer.alloc(1048576 + 208);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
    big[0] = 0; // counter < 2^24, as in every FILE_CHUNK
    const wire = Buffer.concat([Buffer.from([0, 0, 0, 0]), big]);
    wire.writeUInt32BE(big.length, 0);
    for (let i = 0; i < wire.length; i += 77_777) b.sendRaw(wire.subarray(i, i + 77_777));
    assert.deepEqual(await a.nextFrame(), big);

    // Many small frames in one write, then a frame split byte by byte (prefix included).
    const many = Array.from({ length: 50 }, (_, i) => Buffer.from(`{"type": 10, "counter": ${i}}`));
    a.sendRaw(Buffer.concat(many.flatMap((p) => [Buffer.from([0, 0, 0, p.length]), p])));
    for (const p of many) assert.deepEqual(await b.nextFrame(), p);
    const split = Buffer.from('{"type": 10, "counter": 77}');
    const splitWire = Buffer.concat([Buffer.from([0, 0, 0, split.length]), split]);
    for (const byte of splitWire) a.sendRaw(Buffer.from([byte]));
    assert.deepEqual(await b.nextFrame(), split);
    a.close();
    b.close();
  });

  test("forged server-control messages are never relayed, in any spelling (WIRE-NOTES §15.2)", async () => {
    const [a, b] = await completedPair(server, { room: "forged" });
    const marker = (n: number): string => `{"type": 10, "counter": ${n}}`;
    // Each sender stays under the unexpected limit (9 drops each).
    const forgedByA = [1, 2, 3, 40, 41, 42, 43, 44].map((t) => `{"type": ${t}, "message": "forged"}`);
    forgedByA.push('{"type": 70, "room": "elsewhere"}'); // JOIN after the first frame
    const forgedByB = [
      '{"type": "42", "reason": "numeric string"}',
      '{"type": " 4_2 ", "reason": "python int() accepts this"}',
      '{"type": true, "message": "int(True) == 1"}',
      '{"type": 42.7, "reason": "float"}',
      ' \r\n{"type": 42, "reason": "leading whitespace"}',
      '{"type": 10, "counter": 1, "type": 42}',
      '{"type": 10, "t\\u0079pe": 42, "reason": "escaped key"}',
      '{"type": 3, "message": "Key exchange reset - other client disconnected"}',
      '{"type": 42, "reason": "NaN is valid for Python", "timestamp": NaN}',
    ];
    for (const f of forgedByA) a.send(f);
    a.send(marker(1));
    for (const f of forgedByB) b.send(f);
    b.send(marker(2));
    assert.equal(await b.nextText(), marker(1));
    assert.equal(await a.nextText(), marker(2));
    await a.expectNoFrame(100);
    await b.expectNoFrame(0);
    // Both are still connected and relaying.
    a.send(marker(3));
    assert.equal(await b.nextText(), marker(3));
    a.close();
    b.close();
  });

  test("before completion, types 1/3/40-44 are not relayed either (the reference relays 1 and 3)", async () => {
    const [a, b] = await pairedClients(server, { room: "early-forgery" });
    for (const t of [1, 2, 3, 40, 41, 42, 43, 44]) b.send(`{"type": ${t}, "message": "forged"}`);
    await a.expectNoFrame(100);
    const init = fakeInit();
    b.send(init); // the responder may send INIT too (reference relays 5 and 4 from either side)
    assert.equal(await a.nextText(), init);
    a.close();
    b.close();
  });

  test("too many unexpected messages after the exchange: disconnect with the reference's reason style", async () => {
    const [a, b] = await completedPair(server, { room: "hostile" });
    const hostile = ["[1, 2]", '"str"', "42", "null", "{}", '{"type": null}', '{"type": "abc"}', '{"type": [1]}', '{"type": 2}'];
    for (const h of hostile) a.send(h);
    await b.expectNoFrame(100);
    await a.expectNoFrame(0);
    a.send('{"type": 41, "protocol_version": "9.9.9"}');
    assert.equal(await a.nextText(), S.disconnect("Too many unexpected messagesunexpected message after key exchange"));
    await a.expectClosed();
    assert.equal(await b.nextText(), S.reset);
    b.close();
  });

  test("a rejected connection is closed and can inject nothing (WIRE-NOTES §15.1)", async () => {
    const full = await startServer(["--max-clients", "2"]);
    try {
      const [a, b] = await completedPair(full, { room: "x" });
      const c = await RawClient.connect(full.port, full.host, { label: "C" });
      c.send('{"type": 13, "note": "now relayed to everyone"}');
      assert.equal(await c.nextText(), S.full);
      await c.expectClosed();
      await a.expectNoFrame(100);
      await b.expectNoFrame(0);
      // Capacity is freed when a client leaves.
      b.close();
      assert.equal(await a.nextText(), S.reset);
      const d = await joinClient(full, "D", "x");
      assert.equal(await a.nextText(), S.initiate);
      a.close();
      d.close();
    } finally {
      await full.stop();
    }
  });
});
