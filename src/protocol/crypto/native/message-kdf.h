// The ratchet's HMAC and HKDF (RFC 2104, RFC 5869) on OpenSSL's EVP_MAC, and
// the chain step of WIRE-NOTES §6.2, for message.c.
#ifndef PQCHAT_MESSAGE_KDF_H
#define PQCHAT_MESSAGE_KDF_H
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>
#include "message-state.h"

static EVP_MAC_CTX *hmac_ctx(EVP_MAC *mac, const char *digest) {
  EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
  if (!c) return NULL;
  OSSL_PARAM p[2] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0), OSSL_PARAM_construct_end() };
  if (!EVP_MAC_CTX_set_params(c, p)) {
    EVP_MAC_CTX_free(c);
    return NULL;
  }
  return c;
}

// out (64 bytes) = HMAC(key, a || b || c); any part may be empty.
static int hmac3(EVP_MAC_CTX *c, const uint8_t *key, size_t klen, const uint8_t *a, size_t al, const uint8_t *b, size_t bl, const uint8_t *d, size_t dl, uint8_t out[64]) {
  size_t ol = 0;
  return EVP_MAC_init(c, key, klen, NULL) && (al == 0 || EVP_MAC_update(c, a, al)) && (bl == 0 || EVP_MAC_update(c, b, bl)) &&
         (dl == 0 || EVP_MAC_update(c, d, dl)) && EVP_MAC_final(c, out, &ol, 64) && ol == 64;
}

static const uint8_t ONE = 1;

// RFC 5869 HKDF-SHA-512 for one output block (every SCP length fits one, WIRE-NOTES §6.2).
static int hkdf512(state *s, const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il, const char *info, uint8_t out[64]) {
  uint8_t prk[64];
  int ok = hmac3(s->hmac512, salt, sl, ikm, il, NULL, 0, NULL, 0, prk) &&
           hmac3(s->hmac512, prk, 64, (const uint8_t *)info, strlen(info), &ONE, 1, NULL, 0, out);
  OPENSSL_cleanse(prk, sizeof prk);
  return ok;
}

static void le64(uint8_t out[8], uint64_t n) {
  for (int i = 0; i < 8; i++) out[i] = (uint8_t)(n >> (8 * i));
}

// WIRE-NOTES §6.2: the message key of counter n and (if next) the ratchet.
static int chain_step(state *s, const uint8_t *ck, size_t ckl, const uint8_t dh[32], uint64_t n, uint8_t key[32], uint8_t *next) {
  char info[48];
  uint8_t salt[8], mixed[64], t[64];
  le64(salt, n);
  int ok;
  snprintf(info, sizeof info, "dr_mix_%llu", (unsigned long long)n);
  ok = hkdf512(s, ck, ckl, dh, 32, info, mixed);
  snprintf(info, sizeof info, "message_key_%llu", (unsigned long long)n);
  ok = ok && hkdf512(s, salt, 8, mixed, 64, info, t);
  if (ok) memcpy(key, t, 32);
  if (ok && next) {
    snprintf(info, sizeof info, "chain_key_%llu", (unsigned long long)n);
    ok = hkdf512(s, salt, 8, ck, ckl, info, t);
    if (ok) memcpy(next, t, 32);
  }
  OPENSSL_cleanse(mixed, sizeof mixed);
  OPENSSL_cleanse(t, sizeof t);
  return ok;
}

#endif
