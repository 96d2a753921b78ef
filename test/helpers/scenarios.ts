// Ready-made relay scenarios on top of RawClient, for server and client tests.
//
//   const [a, b] = await completedPair(server, { room: "r1" });
//   a.send("anything");                     // relayed verbatim to b
//
// The key-exchange frames are synthetic but shaped like the reference ones
// (the relay never looks inside them); tests that need real key material use
// the protocol library or the vectors instead.
import { randomBytes } from "node:crypto";
import { pyjson } from "../../src/protocol/pyjson.js";
import { RawClient } from "./raw-client.js";

/** Exact server frames (WIRE-NOTES §4.2). */
export const S = {
  version: '{"type": 41, "protocol_version": "6.0.1"}',
  initiate: '{"type": 1, "message": "Starting key exchange..."}',
  complete: '{"type": 2, "message": "Key exchange completed successfully"}',
  reset: '{"type": 3, "message": "Key exchange reset - other client disconnected"}',
  full: '{"type": 40}',
  shutdown: '{"type": 42, "reason": "Server shutting down"}',
  keepaliveTimeout: '{"type": 42, "reason": "Keepalive timeout: no response after 3 attempts"}',
  noPeer: '{"type": 43, "error": "Key exchange failed - no other client"}',
  disconnect: (reason: string): string => pyjson({ type: 42, reason }),
} as const;

/** A KEY_EXCHANGE_INIT-shaped frame (2206 bytes, like the reference's). */
export function fakeInit(): string {
  return pyjson({
    version: "6.0.1",
    type: 5,
    public_key: randomBytes(1568).toString("base64"),
    dh_public_key: randomBytes(32).toString("base64"),
  });
}

/** A KEY_EXCHANGE_RESPONSE-shaped frame (4316 bytes, like the reference's). */
export function fakeResponse(): string {
  return pyjson({
    version: "6.0.1",
    type: 4,
    ciphertext: randomBytes(1568).toString("base64"),
    public_key: randomBytes(1568).toString("base64"),
    dh_public_key: randomBytes(32).toString("base64"),
  });
}

/** JOIN (pqchat extension, docs/PROTOCOL-EXTENSIONS.md). */
export const joinFrame = (room: string): string => pyjson({ type: 70, room });

export interface ServerLike {
  connect(label?: string): Promise<RawClient>;
}

/**
 * Connects a client, sends JOIN first when `room` is given, and waits for its
 * SERVER_VERSION_INFO (so it is registered when this resolves). Without a room
 * it lands in the lobby after the server's join wait.
 */
export async function joinClient(server: ServerLike, label: string, room?: string): Promise<RawClient> {
  const c = await server.connect(label);
  if (room !== undefined) c.send(joinFrame(room));
  const greeting = await c.nextText();
  if (greeting !== S.version) throw new Error(`${label}: expected SERVER_VERSION_INFO, got ${greeting}`);
  return c;
}

/**
 * Two clients paired in `room` (or the lobby): the first gets
 * INITIATE_KEY_EXCHANGE when the second registers. Returns [initiator, responder].
 */
export async function pairedClients(
  server: ServerLike,
  opts: { room?: string; labels?: [string, string] } = {},
): Promise<[RawClient, RawClient]> {
  const [la, lb] = opts.labels ?? ["A", "B"];
  const a = await joinClient(server, la, opts.room);
  const b = await joinClient(server, lb, opts.room);
  const initiate = await a.nextText();
  if (initiate !== S.initiate) throw new Error(`${la}: expected INITIATE_KEY_EXCHANGE, got ${initiate}`);
  return [a, b];
}

/** Runs the (synthetic) key exchange of a fresh pair; afterwards everything is relayed. */
export async function completeExchange(a: RawClient, b: RawClient): Promise<void> {
  const init = fakeInit();
  a.send(init);
  const got = await b.nextText();
  if (got !== init) throw new Error(`KEY_EXCHANGE_INIT not relayed verbatim: got ${got.length} characters, ${JSON.stringify(got.slice(0, 60))}`);
  const resp = fakeResponse();
  b.send(resp);
  if ((await a.nextText()) !== resp) throw new Error("KEY_EXCHANGE_RESPONSE not relayed verbatim");
  if ((await a.nextText()) !== S.complete) throw new Error("initiator: expected KEY_EXCHANGE_COMPLETE");
  if ((await b.nextText()) !== S.complete) throw new Error("responder: expected KEY_EXCHANGE_COMPLETE");
}

/** pairedClients() + completeExchange(). Returns [initiator, responder]. */
export async function completedPair(
  server: ServerLike,
  opts: { room?: string; labels?: [string, string] } = {},
): Promise<[RawClient, RawClient]> {
  const [a, b] = await pairedClients(server, opts);
  await completeExchange(a, b);
  return [a, b];
}
