// Node-to-node links of a relay cluster. A node that receives a client whose
// room another node owns opens a TCP connection to that node's cluster port
// and, once authenticated, carries the client's bytes over it unchanged in
// both directions (the client's session is end-to-end encrypted already).
//
// Authentication, so that no outsider can pose as a node and inject clients
// into rooms: the owner sends a fresh 32-byte challenge; the forwarder answers
// HMAC-SHA256(cluster secret, label ‖ challenge ‖ header) and the header (the
// room, whether a JOIN was consumed, the client's address for the owner's
// per-address waiting limits). The link itself is not encrypted: it carries
// only ciphertext and routing facts, and is meant for a private network
// (docs/SCALING.md says why and what to do on an untrusted one).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { connect, type Socket } from "node:net";

const MAGIC = Buffer.from("PQCL\x01", "latin1");
const CHALLENGE_BYTES = 32;
const MAC_BYTES = 32;
const MAX_HEADER = 1024;
const LABEL = Buffer.from("pqchat cluster link v1\0", "latin1");
/** How long either side waits for the other's part of the greeting. */
export const LINK_HANDSHAKE_MS = 5000;

export interface LinkHeader {
  room: string;
  joined: boolean;
  /** The client's source address (for the owner's per-address waiting limit). */
  ip: string;
}

function mac(secret: Buffer, challenge: Buffer, header: Buffer): Buffer {
  return createHmac("sha256", secret).update(LABEL).update(challenge).update(header).digest();
}

/** Reads exactly what `want` asks for from `socket`, then stops reading; rejects on timeout or close. */
function readUntil(socket: Socket, want: (buf: Buffer) => number | null): Promise<{ used: number; buf: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error("cluster link: greeting timed out")), LINK_HANDSHAKE_MS);
    const done = (): void => {
      clearTimeout(timer);
      socket.removeListener("data", onData);
      socket.removeListener("close", onClose);
      socket.pause();
    };
    const fail = (err: Error): void => {
      done();
      reject(err);
    };
    const onClose = (): void => fail(new Error("cluster link: closed during the greeting"));
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let used: number | null;
      try {
        used = want(buf);
      } catch (err) {
        fail(err as Error);
        return;
      }
      if (used === null) return;
      done();
      resolve({ used, buf });
    };
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.resume();
  });
}

/**
 * Owner side: authenticates an incoming link. Resolves with the header and
 * the client's bytes that came with it; rejects (the caller destroys the
 * socket) on a wrong MAC, a malformed greeting or a timeout.
 */
export async function acceptLink(socket: Socket, secret: Buffer): Promise<{ header: LinkHeader; head: Buffer }> {
  const challenge = randomBytes(CHALLENGE_BYTES);
  socket.write(Buffer.concat([MAGIC, challenge]));
  const { used, buf } = await readUntil(socket, (b) => {
    if (b.length < MAC_BYTES + 2) return null;
    const len = b.readUInt16BE(MAC_BYTES);
    if (len > MAX_HEADER) throw new Error("cluster link: header too long");
    return b.length >= MAC_BYTES + 2 + len ? MAC_BYTES + 2 + len : null;
  });
  const headerBytes = buf.subarray(MAC_BYTES + 2, used);
  if (!timingSafeEqual(buf.subarray(0, MAC_BYTES), mac(secret, challenge, headerBytes))) throw new Error("cluster link: authentication failed");
  const h = JSON.parse(headerBytes.toString("utf8")) as Partial<LinkHeader>;
  if (typeof h.room !== "string" || typeof h.joined !== "boolean" || typeof h.ip !== "string") throw new Error("cluster link: bad header");
  return { header: { room: h.room, joined: h.joined, ip: h.ip }, head: Buffer.from(buf.subarray(used)) };
}

/** Forwarder side: connects to the owner and authenticates; resolves with the link, ready to carry the client's bytes. */
export async function openLink(host: string, port: number, secret: Buffer, header: LinkHeader): Promise<Socket> {
  const socket = connect({ host, port, noDelay: true });
  socket.on("error", () => {});
  try {
    const { buf } = await readUntil(socket, (b) => (b.length >= MAGIC.length + CHALLENGE_BYTES ? MAGIC.length + CHALLENGE_BYTES : null));
    if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error("cluster link: the peer is not a pqchat relay node");
    const challenge = buf.subarray(MAGIC.length, MAGIC.length + CHALLENGE_BYTES);
    const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
    const len = Buffer.alloc(2);
    len.writeUInt16BE(headerBytes.length);
    socket.write(Buffer.concat([mac(secret, challenge, headerBytes), len, headerBytes]));
    return socket;
  } catch (err) {
    socket.destroy();
    throw err;
  }
}
