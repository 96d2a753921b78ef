// The continuity proof of pqchat's verified reconnect (src/protocol/continuity.ts):
// it verifies only with the same secret, the same fingerprint and the peer's
// own role; any changed bit of any input fails it. Also: two real handshakes
// give both ends the same secret, and different sessions different secrets.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CONTINUITY_PROOF_TYPE,
  Initiator,
  MessageType,
  checkContinuityProof,
  continuityInner,
  continuityProof,
  deriveContinuitySecret,
  otherRole,
  parseContinuityInner,
  respond,
  type ContinuityRole,
} from "../src/protocol/index.js";
import { parseJsonObject, pyjson, toBytes } from "../src/protocol/index.js";
import { unexpectedInnerField } from "../src/protocol/control.js";

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const role = fc.constantFrom<ContinuityRole>("initiator", "responder");

const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const c = Uint8Array.from(b);
  c[(bit >> 3) % c.length]! ^= 1 << (bit & 7);
  return c;
};

test("a proof verifies with the same secret, the same fingerprint and the sender's role", () => {
  fc.assert(
    fc.property(bytes32, bytes32, role, (secret, fp, r) => {
      assert.equal(checkContinuityProof(secret, r, fp, continuityProof(secret, r, fp)), true);
    }),
  );
});

test("a proof never verifies for the other role (no reflection)", () => {
  fc.assert(
    fc.property(bytes32, bytes32, role, (secret, fp, r) => {
      assert.equal(checkContinuityProof(secret, otherRole(r), fp, continuityProof(secret, r, fp)), false);
    }),
  );
});

test("any flipped bit of the secret, the fingerprint or the proof fails", () => {
  fc.assert(
    fc.property(bytes32, bytes32, role, fc.nat(255), fc.constantFrom(0, 1, 2), (secret, fp, r, bit, which) => {
      const proof = continuityProof(secret, r, fp);
      const s2 = which === 0 ? flip(secret, bit) : secret;
      const f2 = which === 1 ? flip(fp, bit) : fp;
      const p2 = which === 2 ? flip(proof, bit) : proof;
      assert.equal(checkContinuityProof(s2, r, f2, p2), false);
    }),
  );
});

test("different secrets or fingerprints give unrelated proofs; truncated or longer proofs fail", () => {
  fc.assert(
    fc.property(bytes32, bytes32, bytes32, role, (a, b, fp, r) => {
      fc.pre(Buffer.compare(a, b) !== 0);
      assert.notDeepEqual(continuityProof(a, r, fp), continuityProof(b, r, fp));
      const p = continuityProof(a, r, fp);
      assert.equal(checkContinuityProof(a, r, fp, p.subarray(0, 31)), false);
      assert.equal(checkContinuityProof(a, r, fp, Uint8Array.from([...p, 0])), false);
    }),
  );
});

test("both ends of a real key exchange hold the same secret; another session holds another", () => {
  const secrets = (): { i: Uint8Array; r: Uint8Array; fp: Uint8Array } => {
    const ini = new Initiator();
    const init = parseJsonObject(ini.initMessage)!;
    const res = respond(init);
    const si = ini.finish(parseJsonObject(res.response)!);
    const out = { i: si.continuitySecret()!, r: res.session.continuitySecret()!, fp: si.fingerprint.sha256 };
    assert.deepEqual(si.fingerprint.sha256, res.session.fingerprint.sha256);
    si.destroy();
    res.session.destroy();
    return out;
  };
  const a = secrets();
  const b = secrets();
  assert.equal(a.i.length, 32);
  assert.deepEqual(a.i, a.r);
  assert.notDeepEqual(a.i, b.i);
  // Session A's secret proves continuity into session B only with B's fingerprint and the right role.
  const proofFromInitiator = continuityProof(a.i, "initiator", b.fp);
  assert.equal(checkContinuityProof(a.r, "initiator", b.fp, proofFromInitiator), true);
  assert.equal(checkContinuityProof(a.r, "initiator", a.fp, proofFromInitiator), false);
});

test("the secret is derived with its own label: it differs from an HKDF of the same input under any session label", () => {
  fc.assert(
    fc.property(bytes32, bytes32, (combined, fp) => {
      const s = deriveContinuitySecret(combined, fp);
      assert.equal(s.length, 32);
      assert.notDeepEqual(s, deriveContinuitySecret(combined, flip(fp, 0)));
      assert.notDeepEqual(s, deriveContinuitySecret(flip(combined, 0), fp));
    }),
  );
});

test("the inner message uses only allow-listed fields and round-trips; malformed ones are refused", () => {
  assert.ok(!Object.values(MessageType).includes(CONTINUITY_PROOF_TYPE as never));
  const proof = new Uint8Array(32).fill(7);
  const obj = parseJsonObject(toBytes(pyjson(continuityInner(proof))))!;
  // WIRE-NOTES §12.3: a reference peer (and pqchat before verification) lets it through to the type dispatch.
  assert.equal(unexpectedInnerField(obj), null);
  assert.deepEqual(parseContinuityInner(obj), proof);
  // Without a secret: 32 random bytes of the same size.
  const blank = continuityInner(null);
  assert.equal(blank.data.length, continuityInner(proof).data.length);
  assert.equal(parseContinuityInner({ data: "AAAA" }), null);
  assert.equal(parseContinuityInner({ data: 5 }), null);
  assert.equal(parseContinuityInner({ data: "!".repeat(44) }), null);
  assert.equal(parseContinuityInner({ data: "A".repeat(100) }), null);
});
