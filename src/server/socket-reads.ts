// Reads from an accepted socket into buffers the relay chooses, instead of a
// fresh 64 KiB buffer per read.
//
// Node offers this for sockets it connects (`net.connect({ onread })`, which
// the client uses) but not for sockets a server accepts. The mechanism is the
// same one either way: the socket keeps the callback, the current buffer and
// a buffer generator under three symbol-keyed properties, and its handle's
// `useUserBuffer()` switches the handle to reading into that buffer; after
// each read the generator's result becomes the next read's buffer. This module
// fills those in for an accepted socket, and reports false when this Node does
// not have them (or PQCHAT_RELAY_READS=stream asks for the plain path), in
// which case the relay reads through ordinary 'data' events.
//
// A buffer handed out must stay valid until the read into it has happened or
// the socket is gone; the socket itself keeps the current buffer referenced,
// so it cannot be collected early.
import type { Socket } from "node:net";

/** Called for each read: `n` bytes were read into the start of `buf`. */
export type ReadCallback = (n: number, buf: Buffer) => void;

interface UserBufferHandle {
  useUserBuffer(buf: Uint8Array): void;
}

const forcedStream = process.env["PQCHAT_RELAY_READS"] === "stream";

/**
 * Makes `socket` read into `first`, then into whatever `next()` returns after
 * each read. Must be called synchronously in the server's 'connection'
 * handler (before any read happened). False: not available, nothing changed.
 */
export function readIntoBuffers(socket: Socket, first: Buffer, onRead: ReadCallback, next: () => Buffer): boolean {
  if (forcedStream) return false;
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  if (handle == null || typeof handle.useUserBuffer !== "function") return false;
  const own = Object.getOwnPropertySymbols(socket);
  const sym = (name: string): symbol | undefined => own.find((s) => s.description === name);
  const kBuffer = sym("kBuffer");
  const kBufferCb = sym("kBufferCb");
  const kBufferGen = sym("kBufferGen");
  if (kBuffer === undefined || kBufferCb === undefined || kBufferGen === undefined) return false;
  const slots = socket as unknown as Record<symbol, unknown>;
  // Each of these must still be unset: a socket that already reads into a
  // user buffer is not one this module understands.
  if (slots[kBuffer] != null || slots[kBufferCb] != null || slots[kBufferGen] != null) return false;
  slots[kBuffer] = first;
  slots[kBufferCb] = (n: number, buf: Buffer): boolean => {
    onRead(n, buf);
    return true;
  };
  slots[kBufferGen] = next;
  handle.useUserBuffer(first);
  return true;
}
