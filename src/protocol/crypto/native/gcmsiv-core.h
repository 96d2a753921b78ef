// The AES-256-GCM-SIV pieces (RFC 8452 §4) shared by message-aead.h (small
// messages) and chunk.c (file chunks in place): AES-256-ECB through OpenSSL on
// a context the caller owns, the per-nonce keys, and the tag over POLYVAL
// (polyval-core.h). The CTR keystream stays with each caller: one writes to a
// separate output, the other in place in bounded steps.
#ifndef PQCHAT_GCMSIV_CORE_H
#define PQCHAT_GCMSIV_CORE_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include "polyval-core.h"

static int gcmsiv_ecb(EVP_CIPHER_CTX *c, const uint8_t key[32], const uint8_t *in, uint8_t *out, size_t len) {
  int ol = 0;
  return EVP_EncryptInit_ex2(c, NULL, key, NULL, NULL) && EVP_EncryptUpdate(c, out, &ol, in, (int)len) && (size_t)ol == len;
}

static void gcmsiv_le64(uint8_t out[8], uint64_t n) {
  for (int i = 0; i < 8; i++) out[i] = (uint8_t)(n >> (8 * i));
}

// RFC 8452 §4: the per-nonce authentication and encryption keys.
static int gcmsiv_keys(EVP_CIPHER_CTX *c, const uint8_t key[32], const uint8_t nonce[12], uint8_t auth[16], uint8_t enc[32]) {
  uint8_t in[96] = { 0 }, out[96];
  for (int i = 0; i < 6; i++) {
    in[16 * i] = (uint8_t)i;
    memcpy(in + 16 * i + 4, nonce, 12);
  }
  int ok = gcmsiv_ecb(c, key, in, out, 96);
  for (int i = 0; i < 2; i++) memcpy(auth + 8 * i, out + 16 * i, 8);
  for (int i = 0; i < 4; i++) memcpy(enc + 8 * i, out + 16 * (i + 2), 8);
  OPENSSL_cleanse(out, sizeof out);
  return ok;
}

// RFC 8452 §4: the tag over aad and the plaintext.
CLMUL static int gcmsiv_tag(EVP_CIPHER_CTX *c, const uint8_t auth[16], const uint8_t enc[32], const uint8_t nonce[12], const uint8_t *aad, size_t al, const uint8_t *pt,
                            size_t pl, uint8_t tag[16]) {
  uint8_t st[16] = { 0 }, lens[16];
  polyval_update(st, auth, aad, al);
  polyval_update(st, auth, pt, pl);
  gcmsiv_le64(lens, (uint64_t)al * 8);
  gcmsiv_le64(lens + 8, (uint64_t)pl * 8);
  polyval_update(st, auth, lens, 16);
  for (int i = 0; i < 12; i++) st[i] ^= nonce[i];
  st[15] &= 0x7f;
  int ok = gcmsiv_ecb(c, enc, st, tag, 16);
  OPENSSL_cleanse(st, sizeof st);
  return ok;
}

#endif
