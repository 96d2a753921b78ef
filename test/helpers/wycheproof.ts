// Loading and bookkeeping for the Wycheproof vectors in test/fixtures/wycheproof/
// (see SOURCE.md there). Each file states its schema in its header; the interfaces
// below describe only the fields our tests read.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { deepEqual, equal, match } from "node:assert/strict";
import { AuthenticationError } from "../../src/protocol/crypto/backend.js";

// dist/test/helpers/wycheproof.js -> repo root is three levels up; the JSON is not copied by tsc.
const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/wycheproof/", import.meta.url));

export type WycheproofResult = "valid" | "invalid" | "acceptable";

export interface WycheproofCase {
  tcId: number;
  comment?: string;
  flags?: string[];
  result: WycheproofResult;
}

export interface WycheproofGroup<C extends WycheproofCase> {
  type: string;
  tests: C[];
}

export interface WycheproofFile<G> {
  algorithm: string;
  schema?: string;
  numberOfTests: number;
  testGroups: G[];
}

export interface AeadCase extends WycheproofCase {
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
}
export interface AeadGroup extends WycheproofGroup<AeadCase> {
  ivSize: number;
  keySize: number;
  tagSize: number;
}

export interface MacCase extends WycheproofCase {
  key: string;
  msg: string;
  tag: string;
}
export interface MacGroup extends WycheproofGroup<MacCase> {
  keySize: number;
  tagSize: number;
}

export interface HkdfCase extends WycheproofCase {
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
}
export type HkdfGroup = WycheproofGroup<HkdfCase>;

export interface XdhCase extends WycheproofCase {
  public: string;
  private: string;
  shared: string;
}
export interface XdhGroup extends WycheproofGroup<XdhCase> {
  curve: string;
}

export interface MlkemKeygenCase extends WycheproofCase {
  seed: string;
  ek: string;
  dk: string;
}
export interface MlkemEncapsCase extends WycheproofCase {
  m: string;
  ek: string;
  c: string;
  K: string;
}
/** Decaps vectors: keygen from `seed`, check `ek` when present, decapsulate `c`, expect `K`. */
export interface MlkemDecapsCase extends WycheproofCase {
  seed: string;
  ek?: string;
  c: string;
  K: string;
}
export interface MlkemGroup<C extends WycheproofCase> extends WycheproofGroup<C> {
  parameterSet: string;
}

export function loadWycheproof<G>(file: string): WycheproofFile<G> {
  return JSON.parse(readFileSync(FIXTURES + file, "utf8")) as WycheproofFile<G>;
}

export function unhex(s: string): Uint8Array {
  match(s, /^(?:[0-9a-f]{2})*$/, "fixture hex");
  return new Uint8Array(Buffer.from(s, "hex"));
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** Runs fn; returns the thrown error, or undefined if it returned. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e ?? new Error("threw a nullish value");
  }
  return undefined;
}

/**
 * Per-file tally. Every case must end in exactly one outcome (pass or fail);
 * the caller then asserts no failures, the per-category counts, and that the
 * number of cases seen equals the file's numberOfTests, so no case can be
 * skipped silently.
 */
export class Tally {
  private readonly passed = new Map<string, number>();
  private readonly failures: string[] = [];
  private seen = 0;

  /** Record one case. `category` is e.g. "valid", "invalid", "acceptable:rejected". */
  record(tc: WycheproofCase, category: string, problem: string | undefined): void {
    this.seen++;
    if (problem === undefined) this.passed.set(category, (this.passed.get(category) ?? 0) + 1);
    else this.failures.push(`tcId ${tc.tcId} [${tc.result}; ${(tc.flags ?? []).join(",")}] ${tc.comment ?? ""}: ${problem}`);
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.passed.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  summary(): string {
    return Object.entries(this.counts())
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
  }

  /** Assert: no failures, every case seen, and the exact passing count per category. */
  check(numberOfTests: number, expected: Record<string, number>): void {
    deepEqual(this.failures, [], `${this.failures.length} Wycheproof case(s) failed`);
    equal(this.seen, numberOfTests, "cases seen vs numberOfTests");
    deepEqual(this.counts(), expected);
  }
}

// ------------------------------------------------------------------ AEAD checks
// Shared by the Wycheproof suite and the per-backend AEAD tests.
export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** undefined if fn threw an AuthenticationError, else what went wrong. */
export function expectAuthFailure(what: string, fn: () => unknown): string | undefined {
  const e = thrown(fn);
  if (e === undefined) return `${what} accepted a forged input`;
  if (!(e instanceof AuthenticationError)) return `${what} threw ${describeError(e)}, not AuthenticationError`;
  return undefined;
}

/** undefined if fn threw (anything), else what went wrong. */
export function expectThrow(what: string, fn: () => unknown): string | undefined {
  return thrown(fn) === undefined ? `${what} did not throw` : undefined;
}

export function firstProblem(...checks: (() => string | undefined)[]): string | undefined {
  for (const c of checks) {
    try {
      const p = c();
      if (p !== undefined) return p;
    } catch (e) {
      return `unexpected throw: ${describeError(e)}`;
    }
  }
  return undefined;
}

export type Seal = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => Uint8Array;
export type Open = (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array) => Uint8Array;

/** A case within SCP's parameters: 32-byte key, 12-byte nonce, 16-byte tag. */
export function checkAeadInProfile(seal: Seal, open: Open, t: AeadCase): string | undefined {
  const key = unhex(t.key);
  const iv = unhex(t.iv);
  const aad = unhex(t.aad);
  const msg = unhex(t.msg);
  const sealed = unhex(t.ct + t.tag);
  if (t.result === "valid") {
    return firstProblem(
      () => (hex(seal(key, iv, msg, aad)) === t.ct + t.tag ? undefined : "seal output differs from ct||tag"),
      () => (hex(open(key, iv, sealed, aad)) === t.msg ? undefined : "open output differs from msg"),
    );
  }
  // "invalid" (ModifiedTag): the wrapper must refuse with AuthenticationError.
  return expectAuthFailure("open", () => open(key, iv, sealed, aad));
}

/** A case outside SCP's parameters: both wrappers must throw, whatever Wycheproof's verdict. */
export function checkAeadOutOfProfile(seal: Seal, open: Open, t: AeadCase): string | undefined {
  const key = unhex(t.key);
  const iv = unhex(t.iv);
  const aad = unhex(t.aad);
  // Some of these vectors carry an empty ct||tag; also open a full-length input so
  // the refusal cannot come from the length check alone.
  const sealed = unhex(t.ct + t.tag);
  const padded = sealed.length >= 16 ? sealed : new Uint8Array(16);
  return firstProblem(
    () => expectThrow("seal", () => seal(key, iv, unhex(t.msg), aad)),
    () => expectThrow("open(vector)", () => open(key, iv, sealed, aad)),
    () => expectThrow("open(16-byte input)", () => open(key, iv, padded, aad)),
  );
}

export function inProfile(g: AeadGroup): boolean {
  return g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128;
}
