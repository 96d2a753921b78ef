// File transfer on disk: the sending pipeline (read, hash, gzip, chunk), the
// receiving reassembler (write, gunzip, verify) and the temp-file policy.
export * from "./outgoing.js";
export * from "./incoming.js";
export * from "./temp-files.js";
export * from "./destination.js";
