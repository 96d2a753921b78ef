// Public surface of the protocol library. Everything here is pure: no sockets,
// no console, no timers.
export * from "./constants.js";
export * from "./bytes.js";
export * from "./frame.js";
export * from "./pyjson.js";
export * from "./errors.js";
export * from "./control.js";
export { sessionFingerprint, fingerprintFromBytes, wordlist, type Fingerprint } from "./fingerprint.js";
export { prepareEphemeralKeys } from "./message-crypto.js";
export { Session, type SessionInit, type SessionOptions, type DecryptedMessage, type DecryptedChunk } from "./session.js";
export { Initiator, respond, peerVersion, type HandshakeRandomness } from "./handshake.js";
export * from "./continuity.js";
export { Rekeyer, type RekeyStep, type RekeyRole, type RekeyPhase } from "./rekey.js";
