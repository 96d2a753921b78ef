// File transfer as data: metadata, transfer ids and hashes, and safe names.
export * from "./metadata.js";
export * from "./names.js";
