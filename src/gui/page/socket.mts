// The page's one WebSocket to the bridge: commands with ids, each answered by
// exactly one reply; the bridge's hello, config and events; call audio as
// binary messages both ways.
import { AUDIO_BACKLOG } from "../../present/limits.js";
import type { Command, ServerMessage } from "./wire.mjs";


const LOST = "Lost contact with pqchat.";

export interface SocketHandlers {
  message(msg: Exclude<ServerMessage, { t: "reply" }>): void;
  binary(buf: ArrayBuffer): void;
  closed(): void;
}

export class BridgeSocket {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly on: SocketHandlers) {}

  open(): void {
    const url = new URL("ws", location.href);
    url.protocol = "ws:";
    url.hash = "";
    url.search = "";
    const sock = new WebSocket(url.href);
    sock.binaryType = "arraybuffer";
    this.ws = sock;
    sock.addEventListener("message", (ev) => {
      if (ev.data instanceof ArrayBuffer) return this.on.binary(ev.data);
      if (typeof ev.data !== "string") return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      if (msg.t === "reply") this.settle(msg.id, msg.ok, msg.ok ? msg.result : (msg.error ?? "The command failed."));
      else this.on.message(msg);
    });
    sock.addEventListener("close", () => {
      this.ws = null;
      for (const p of this.pending.values()) p.reject(new Error(LOST));
      this.pending.clear();
      this.on.closed();
    });
  }

  private settle(id: number, ok: boolean, value: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (ok) p.resolve(value);
    else p.reject(new Error(String(value)));
  }

  /** Sends a command; resolves with its result, rejects with the bridge's plain-words error. */
  cmd(c: Command): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return reject(new Error(LOST));
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ ...c, id }));
    });
  }

  /** Microphone audio; false when it could not go now (closed, or backed up: audio is dropped, never queued). */
  sendBinary(buf: ArrayBuffer): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > AUDIO_BACKLOG) return false;
    ws.send(buf);
    return true;
  }
}
