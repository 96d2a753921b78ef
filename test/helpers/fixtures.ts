// Loads the known-answer vectors copied from ../shared/protocol/vectors
// (the shared copy is the source of truth; test/fixtures keeps the repo self-contained).
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";

export const fixturesDir = new URL("../../../test/fixtures/", import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadFixture(name: string): any {
  return JSON.parse(readFileSync(new URL(name, fixturesDir), "utf8"));
}

/** The fields of a file.json case that describe its content. */
export interface FileCaseContent {
  name: string;
  file_size: number;
  content_hex?: string;
}

/**
 * A file.json case's content: inline hex for small cases, otherwise regenerated
 * from the formula in the case's description (WIRE-NOTES §16).
 */
export function fileCaseContent(c: FileCaseContent): Buffer {
  if (c.content_hex !== undefined) return Buffer.from(c.content_hex, "hex");
  if (c.name.startsWith("large_random")) {
    return createHash("shake256", { outputLength: c.file_size }).update("SCP-KAT:file/random").digest();
  }
  if (c.name === "large_text_compressed") {
    let s = "";
    for (let i = 0; i < 60000; i++) {
      s += `${String(i).padStart(8, "0")} lorem ipsum dolor sit amet ${String((i * 7919) % 100003).padStart(6, "0")}\n`;
    }
    return Buffer.from(s, "ascii");
  }
  if (c.file_size === 0) return Buffer.alloc(0);
  throw new Error(`no content rule for ${c.name}`);
}
