// The sender's whole WIRE-NOTES §6 for one ENCRYPTED_MESSAGE, for message.c:
// a fresh X25519 key (from the pool when one is ready), the DH with the
// peer's session key, the chain step (WIRE-NOTES §6.2), the double AEAD
// (WIRE-NOTES §6.3), the HMAC (WIRE-NOTES §6.5) and the outer JSON
// (WIRE-NOTES §6.6), written where the caller says.
#ifndef PQCHAT_MESSAGE_SEAL_H
#define PQCHAT_MESSAGE_SEAL_H
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base64.h"
#include "message-aead.h"
#include "message-kdf.h"
#include "message-random.h"
#include "message-state.h"
#include "message-x25519.h"

typedef struct {
  const uint8_t *ck; // the send chain key before this message, 32 or 64 bytes
  size_t ckl;
  uint64_t n;
  const xkey *peer; // the peer's session key (WIRE-NOTES §6.2: every message's DH is with it)
  const uint8_t *hk; // the HMAC key of WIRE-NOTES §6.5
  size_t hkl;
  const uint8_t *pt;
  size_t ptl;
  const uint8_t *eph_priv, *nonce; // scripted randomness (known-answer tests only), else NULL
} seal_args;

// WIRE-NOTES §4.5: the outer message is 245 + len(dec(n)) + 4*ceil(C/3) bytes, C = 64*floor(P/64) + 96.
static size_t seal_size(uint64_t n, size_t ptl) {
  char num_s[24];
  int digits = snprintf(num_s, sizeof num_s, "%llu", (unsigned long long)n);
  return 245 + (size_t)digits + 4 * ((ptl / 64 * 64 + 96 + 2) / 3);
}

// The outer message into out (seal_size bytes) and the ratchet output into
// next: the bytes written, or 0 (next cleansed) when X25519 or OpenSSL refused.
static size_t seal_message(state *s, const seal_args *r, uint8_t *out, uint8_t next[32]) {
  size_t ctl = r->ptl / 64 * 64 + 96;
  char num_s[24];
  snprintf(num_s, sizeof num_s, "%llu", (unsigned long long)r->n);
  // Draw order as the reference: ephemeral key, then nonce (WIRE-NOTES §6.2).
  // Each ephemeral key is used for this one message and freed (cleansed) at once (WIRE-NOTES §6.2).
  xkey eph;
  int have = r->eph_priv ? xkey_ephemeral(s, &eph, r->eph_priv)
             : s->pooled > 0 ? (eph = s->pool[--s->pooled], OPENSSL_cleanse(&s->pool[s->pooled], sizeof eph), 1)
                             : xkey_ephemeral(s, &eph, NULL);
  uint8_t nonce[12], ephpub[32], dh[32], mk[32], mac[64];
  if (have) memcpy(ephpub, eph.pub, 32);
  int ok = have && (r->nonce ? (memcpy(nonce, r->nonce, 12), 1) : random_public(s, nonce, 12)) && x25519_derive(s, &eph, r->peer, dh);
  if (have) xkey_free(&eph);
  ok = ok && chain_step(s, r->ck, r->ckl, dh, r->n, mk, next);
  OPENSSL_cleanse(dh, sizeof dh);
  char nb[16], eb[44];
  b64(nonce, 12, nb);
  b64(ephpub, 32, eb);
  // AAD (WIRE-NOTES §6.4) and HMAC input (WIRE-NOTES §6.5), byte-exact pyjson.
  char aad[160], hin[160];
  int al = snprintf(aad, sizeof aad, "{\"type\": 10, \"counter\": %s, \"nonce\": \"%.16s\", \"dh_public_key\": \"%.44s\"}", num_s, nb, eb);
  int hl = snprintf(hin, sizeof hin, "{\"counter\": %s, \"nonce\": \"%.16s\", \"dh_public_key\": \"%.44s\"}", num_s, nb, eb);
  uint8_t *ct = malloc(ctl);
  ok = ok && ct && double_seal(s, mk, nonce, r->pt, r->ptl, (const uint8_t *)aad, (size_t)al, ct);
  OPENSSL_cleanse(mk, sizeof mk);
  ok = ok && hmac3(s->hmac512, r->hk, r->hkl, (const uint8_t *)hin, (size_t)hl, NULL, 0, NULL, 0, mac);
  size_t o = 0;
  if (ok) {
    char *w = (char *)out;
    o += (size_t)sprintf(w, "{\"type\": 10, \"counter\": %s, \"nonce\": \"%.16s\", \"ciphertext\": \"", num_s, nb);
    o += b64(ct, ctl, w + o);
    o += (size_t)sprintf(w + o, "\", \"dh_public_key\": \"%.44s\", \"verification\": \"", eb);
    o += b64(mac, 64, w + o);
    w[o++] = '"';
    w[o++] = '}';
  } else {
    OPENSSL_cleanse(next, 32);
  }
  free(ct);
  return o;
}

#endif
