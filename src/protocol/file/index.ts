// File transfer as data: metadata, transfer ids and hashes, safe names, the
// receive-side chunk ledger and the compression decision.
export * from "./metadata.js";
export * from "./names.js";
export * from "./chunks.js";
export * from "./compression.js";
export * from "./resume.js";
