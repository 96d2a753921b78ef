// What an admitted outer JSON frame means (WIRE-NOTES §4.2–4.5, §12.1): the
// server's control messages, the handshake, the plaintext KEY_VERIFICATION
// and ENCRYPTED_MESSAGE, which goes on to the inner dispatch. Read best as one
// switch over the relay-visible types; each case hands over to the part that
// owns it.
import { MessageType, keepAliveResponse, type JsonObject } from "../protocol/index.js";
import { onEncrypted } from "./inner-dispatch.js";
import type { ClientParts } from "./parts.js";

const stringOr = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback);

export function dispatchOuter(p: ClientParts, type: number, obj: JsonObject): void {
  const { ctx, handshake } = p;
  const secure = ctx.phase === "secure";
  switch (type) {
    case MessageType.SERVER_VERSION_INFO:
      if (secure) return ctx.suspicious("server version info");
      return handshake.onServerVersion(obj);
    case MessageType.INITIATE_KEY_EXCHANGE:
      return handshake.onInitiate();
    case MessageType.KEY_EXCHANGE_INIT:
      return handshake.onInit(obj);
    case MessageType.KEY_EXCHANGE_RESPONSE:
      return handshake.onResponse(obj);
    case MessageType.KEY_EXCHANGE_COMPLETE:
      return handshake.onComplete();
    case MessageType.KEY_EXCHANGE_RESET:
      return p.lifecycle.onReset(stringOr(obj["message"], "Key exchange reset - other client disconnected"));
    case MessageType.SERVER_FULL:
      if (secure) return ctx.suspicious("server full");
      ctx.emit("server_full", {});
      return p.lifecycle.closeFromServer("The server is full.", { kind: "full" });
    case MessageType.SERVER_DISCONNECT: {
      const reason = stringOr(obj["reason"], "Server disconnect");
      ctx.emit("server_disconnect", { reason });
      return p.lifecycle.closeFromServer(`Disconnected by the server: ${reason}`, { kind: "server", reason });
    }
    case MessageType.ERROR:
      return ctx.emit("server_error", { error: stringOr(obj["error"] ?? obj["message"] ?? obj["reason"], "") });
    case MessageType.KEEP_ALIVE:
      ctx.conn?.write(keepAliveResponse());
      return;
    case MessageType.KEY_VERIFICATION:
      return p.verification.onPeer(obj["verified"]);
    case MessageType.ENCRYPTED_MESSAGE:
      return onEncrypted(p, obj);
    default:
      ctx.report("protocol_violation", `Dropped a plaintext message of type ${type}, which is not expected here.`);
  }
}
