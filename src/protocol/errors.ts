// One error class per failure domain, each with a machine-readable kind and a
// message in plain words for the local user. Nothing here is sent to the peer.

export type SessionErrorKind =
  | "malformed"
  | "hmac_failed"
  | "replay"
  | "out_of_window"
  | "decrypt_failed"
  | "invalid_utf8"
  | "not_ready";

export class SessionError extends Error {
  constructor(readonly kind: SessionErrorKind, message: string) {
    super(message);
    this.name = "SessionError";
  }
}

export type HandshakeErrorKind = "malformed" | "bad_key" | "state";

export class HandshakeError extends Error {
  constructor(readonly kind: HandshakeErrorKind, message: string) {
    super(message);
    this.name = "HandshakeError";
  }
}

export type RekeyErrorKind = "malformed" | "unexpected" | "bad_key";

export class RekeyError extends Error {
  constructor(readonly kind: RekeyErrorKind, message: string) {
    super(message);
    this.name = "RekeyError";
  }
}
