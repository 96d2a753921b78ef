// A scripted stand-in for `pqchat server` and the peer behind it, for tests of
// what a client does with server and peer announcements a real pqchat server
// never sends: a different SERVER_VERSION_INFO, a peer whose key-exchange
// message carries another `version` (or none), a server ERROR. Real TCP on
// loopback (port 0), the real handshake from the protocol library; one script
// for every connection.
import * as net from "node:net";
import { FrameDecoder, Initiator, MessageType, encodeFrame, parseJsonObject, pyjson, respond, toBytes, type JsonObject, type JsonValue } from "../../src/protocol/index.js";

export interface RawScript {
  /** SERVER_VERSION_INFO's protocol_version. */
  serverVersion: string;
  /** The client's role in the key exchange. */
  clientRole: "initiator" | "responder";
  /** `version` in the fake peer's KEY_EXCHANGE_INIT / RESPONSE: a string, or null for no field at all. */
  peerVersion: string | null;
  /** Plaintext frames sent once KEY_EXCHANGE_COMPLETE went out (e.g. an ERROR). */
  afterComplete?: JsonObject[];
}

function withVersion(frame: Uint8Array, v: string | null): Uint8Array {
  const o = parseJsonObject(frame)!;
  const out: Record<string, JsonValue> = {};
  if (v !== null) out["version"] = v;
  for (const [k, val] of Object.entries(o)) if (k !== "version") out[k] = val;
  return toBytes(pyjson(out));
}

export class RawServer {
  private constructor(
    private readonly server: net.Server,
    private readonly sockets: Set<net.Socket>,
    readonly port: number,
  ) {}

  static async start(script: RawScript): Promise<RawServer> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
      const send = (payload: Uint8Array | JsonObject): void => {
        s.write(encodeFrame(payload instanceof Uint8Array ? payload : toBytes(pyjson(payload))));
      };
      const complete = (): void => {
        send({ type: MessageType.KEY_EXCHANGE_COMPLETE });
        for (const f of script.afterComplete ?? []) send(f);
      };
      const decoder = new FrameDecoder();
      let initiator: Initiator | null = null;
      s.on("data", (d: Buffer) => {
        for (const f of decoder.push(d)) {
          const o = parseJsonObject(f);
          if (!o) continue;
          if (o["type"] === MessageType.KEY_EXCHANGE_INIT && script.clientRole === "initiator") {
            send(withVersion(respond(o).response, script.peerVersion));
            complete();
          } else if (o["type"] === MessageType.KEY_EXCHANGE_RESPONSE && initiator) {
            initiator.finish(o);
            complete();
          }
        }
      });
      send({ type: MessageType.SERVER_VERSION_INFO, protocol_version: script.serverVersion });
      if (script.clientRole === "initiator") {
        send({ type: MessageType.INITIATE_KEY_EXCHANGE });
      } else {
        initiator = new Initiator();
        send(withVersion(initiator.initMessage, script.peerVersion));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new RawServer(server, sockets, (server.address() as net.AddressInfo).port);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
