// Loads the known-answer vectors copied from ../shared/protocol/vectors
// (the shared copy is the source of truth; test/fixtures keeps the repo self-contained).
import { readFileSync } from "node:fs";

export const fixturesDir = new URL("../../../test/fixtures/", import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadFixture(name: string): any {
  return JSON.parse(readFileSync(new URL(name, fixturesDir), "utf8"));
}
