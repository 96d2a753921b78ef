// Whether the peer is pqchat, told by a marker only a pqchat client reads
// (docs/PROTOCOL-EXTENSIONS.md §3, "The pqchat-peer marker"): the first dummy of
// each session we send is `{"type": 71, "data": b64(512 random bytes)}`
// instead of a DUMMY_MESSAGE — the same 708-byte inner plaintext, so the frame
// looks like every dummy; a reference peer drops the unknown inner type after
// decrypting it (WIRE-NOTES §12.4), exactly as it ignores a dummy, and `data`
// is on its pre-verification allow-list (WIRE-NOTES §12.3). The marker only
// lets us skip waits a pqchat receiver does not need (pacing.ts); it is inside
// the AEAD, so the relay can neither forge nor strip it, and a peer that lies
// with it only risks its own limiter dropping our frames.
import { DUMMY_DATA_BYTES, PQCHAT_PEER_MARKER_TYPE, b64encode, pyjson, toBytes } from "../protocol/index.js";
import { randomBytes } from "node:crypto";
import { dummyInner } from "./sender.js";

/** The marker's inner plaintext: a dummy's shape and size under pqchat's own type. */
export function markerInner(): Uint8Array {
  return toBytes(pyjson({ type: PQCHAT_PEER_MARKER_TYPE, data: b64encode(randomBytes(DUMMY_DATA_BYTES)) }));
}

export class PeerFeatures {
  /** The peer's marker arrived in this session. */
  peerIsPqchat = false;
  private sentMarker = false;

  /** The next dummy: our marker the first time in a session, then ordinary dummies. */
  nextDummy(): Uint8Array {
    if (this.sentMarker) return dummyInner();
    this.sentMarker = true;
    return markerInner();
  }

  onPeerMarker(): void {
    this.peerIsPqchat = true;
  }

  /** The session ended: the next peer tells us anew. */
  clear(): void {
    this.peerIsPqchat = false;
    this.sentMarker = false;
  }
}
