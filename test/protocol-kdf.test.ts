// The key schedule (src/protocol/kdf.ts) against the reference's known answers
// (test/fixtures/kdf.json; WIRE-NOTES §5.2, §6.2, §9): hybrid combine, session
// keys, DH mix, message keys, ratchet, chain walk and rekey keys. kdf.json
// holds known answers only (no must-fail cases).
import assert from "node:assert/strict";
import { test } from "node:test";
import { combineSecrets, deriveRekeyKeys, deriveSessionKeys, dhMix, messageKey, ratchet } from "../src/protocol/kdf.js";
import { loadFixture } from "./helpers/fixtures.js";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const kdf: any = loadFixture("kdf.json");

test("kdf.json: hybrid combine, session keys, DH mix, message keys, ratchet, chain walk, rekey keys", () => {
  for (const c of kdf.hybrid_combine) {
    assert.equal(toHex(combineSecrets(hex(c.kem_shared_secret), hex(c.dh_shared_secret))), c.combined_shared_secret);
  }
  for (const c of kdf.derive_keys) {
    const k = deriveSessionKeys(hex(c.combined_shared_secret), hex(c.own_kem_public_key), hex(c.peer_kem_public_key));
    assert.equal(toHex(k.encryptionSalt), c.encryption_salt);
    assert.equal(toHex(k.encryptionKey), c.encryption_key);
    assert.equal(toHex(k.chainSalt), c.chain_salt);
    assert.equal(toHex(k.rootChainKey), c.root_chain_key);
    // Both sides derive the same keys (the salts sort the two public keys).
    const other = deriveSessionKeys(hex(c.combined_shared_secret), hex(c.peer_kem_public_key), hex(c.own_kem_public_key));
    assert.equal(toHex(other.encryptionKey), c.encryption_key);
  }
  for (const c of kdf.dh_mix) assert.equal(toHex(dhMix(hex(c.chain_key), hex(c.dh_shared), c.counter)), c.mixed_chain_key);
  for (const c of kdf.message_key) assert.equal(toHex(messageKey(hex(c.chain_key), c.counter)), c.message_key);
  for (const c of kdf.ratchet) assert.equal(toHex(ratchet(hex(c.chain_key), c.counter)), c.next_chain_key);
  const walk = kdf.chain_walk.chain_keys as string[];
  for (let i = 1; i < walk.length; i++) assert.equal(toHex(ratchet(hex(walk[i - 1]!), i)), walk[i], `chain key ${i}`);
  for (const c of kdf.rekey_derive) {
    const k = deriveRekeyKeys(hex(c.kem_shared_secret));
    assert.equal(toHex(k.encSalt), c.enc_salt);
    assert.equal(toHex(k.chainSalt), c.chain_salt);
    assert.equal(toHex(k.encryptionKey), c.encryption_key);
    assert.equal(toHex(k.rootChainKey), c.root_chain_key);
  }
});
