// File transfer (WIRE-NOTES §8): metadata and FILE_* messages, safe names,
// the sending pipeline and the receiving reassembler.
export * from "./metadata.js";
export * from "./names.js";
export * from "./outgoing.js";
export * from "./incoming.js";
export * from "./temp-files.js";
