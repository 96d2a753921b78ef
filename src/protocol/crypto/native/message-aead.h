// The double AEAD of WIRE-NOTES §6.3 (DoubleEncryptor) for message.c: the two
// layers' keys, AES-256-GCM-SIV (RFC 8452: OpenSSL's AES with POLYVAL,
// gcmsiv-core.h) under ChaCha20-Poly1305 (RFC 8439, OpenSSL's), and the strict
// PKCS#7 padding over 64-byte blocks.
#ifndef PQCHAT_MESSAGE_AEAD_H
#define PQCHAT_MESSAGE_AEAD_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include "gcmsiv-core.h"
#include "message-kdf.h"
#include "message-state.h"

// out = in XOR AES-CTR(enc, tag | 0x80...), len a multiple of 16 here (padded plaintexts).
CLMUL static int gcmsiv_ctr(state *s, const uint8_t enc[32], const uint8_t tag[16], const uint8_t *in, uint8_t *out, size_t len) {
  uint8_t *ks = calloc(len ? len : 16, 1);
  if (!ks) return 0;
  __m128i b = _mm_loadu_si128((const __m128i *)tag);
  b = _mm_or_si128(b, _mm_set_epi32((int)0x80000000, 0, 0, 0));
  const __m128i one = _mm_set_epi32(0, 0, 0, 1);
  for (size_t off = 0; off < len; off += 16) {
    _mm_storeu_si128((__m128i *)(ks + off), b);
    b = _mm_add_epi32(b, one);
  }
  int ok = gcmsiv_ecb(s->ecb_ctx, enc, ks, ks, len);
  for (size_t i = 0; i < len; i++) out[i] = in[i] ^ ks[i];
  OPENSSL_cleanse(ks, len);
  free(ks);
  return ok;
}

// ChaCha20-Poly1305 (RFC 8439): sealed = ct || tag; open returns 0 on a bad tag.
static int chacha_seal(state *s, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t al, const uint8_t *in, size_t len, uint8_t *out) {
  EVP_CIPHER_CTX *c = s->chacha_ctx;
  int ol = 0, fl = 0;
  return EVP_EncryptInit_ex2(c, NULL, key, nonce, NULL) && EVP_EncryptUpdate(c, NULL, &ol, aad, (int)al) && EVP_EncryptUpdate(c, out, &ol, in, (int)len) &&
         EVP_EncryptFinal_ex(c, out + ol, &fl) && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + len) > 0;
}

static int chacha_open(state *s, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t al, const uint8_t *in, size_t len, uint8_t *out) {
  EVP_CIPHER_CTX *c = s->chacha_ctx;
  int ol = 0, fl = 0;
  if (len < 16) return 0;
  return EVP_DecryptInit_ex2(c, NULL, key, nonce, NULL) && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(in + len - 16)) > 0 &&
         EVP_DecryptUpdate(c, NULL, &ol, aad, (int)al) && EVP_DecryptUpdate(c, out, &ol, in, (int)(len - 16)) && EVP_DecryptFinal_ex(c, out + ol, &fl) > 0;
}

static const char AES_OTHERINFO[] = "AES_key_kdf";
static const char CHACHA_INFO[] = "ChaCha_key_hkdf";

// WIRE-NOTES §6.3 (errata 4): the two layers' keys and nonces from the message key.
static int aead_keys(state *s, const uint8_t mk[32], const uint8_t nonce[12], uint8_t kaes[32], uint8_t kcha[32], uint8_t n1[12], uint8_t n2[12]) {
  static const uint8_t counter_one[4] = { 0, 0, 0, 1 };
  uint8_t d[64];
  unsigned int dl = 0;
  int ok = EVP_DigestInit_ex2(s->md, s->sha512, NULL) && EVP_DigestUpdate(s->md, counter_one, 4) && EVP_DigestUpdate(s->md, mk + 16, 16) &&
           EVP_DigestUpdate(s->md, AES_OTHERINFO, sizeof AES_OTHERINFO - 1) && EVP_DigestFinal_ex(s->md, d, &dl);
  memcpy(kaes, d, 32);
  ok = ok && hmac3(s->hmac3, mk, 16, (const uint8_t *)CHACHA_INFO, sizeof CHACHA_INFO - 1, &ONE, 1, NULL, 0, d);
  memcpy(kcha, d, 32);
  for (int i = 0; i < 12; i++) {
    n1[i] = nonce[i] ^ mk[i];
    n2[i] = n1[i] ^ mk[20 + i];
  }
  OPENSSL_cleanse(d, sizeof d);
  return ok;
}

// WIRE-NOTES §6.3 DoubleEncryptor: out gets 64*floor(len/64) + 96 bytes.
CLMUL static int double_seal(state *s, const uint8_t mk[32], const uint8_t nonce[12], const uint8_t *pt, size_t len, const uint8_t *aad, size_t al, uint8_t *out) {
  uint8_t kaes[32], kcha[32], n1[12], n2[12], auth[16], enc[32], tag[16];
  size_t v = 64 - len % 64, pl = len + v;
  uint8_t *padded = malloc(pl + 16);
  if (!padded) return 0;
  memcpy(padded, pt, len);
  memset(padded + len, (int)v, v);
  int ok = aead_keys(s, mk, nonce, kaes, kcha, n1, n2) && gcmsiv_keys(s->ecb_ctx, kaes, n1, auth, enc) && gcmsiv_tag(s->ecb_ctx, auth, enc, n1, aad, al, padded, pl, tag) &&
           gcmsiv_ctr(s, enc, tag, padded, padded, pl);
  memcpy(padded + pl, tag, 16);
  ok = ok && chacha_seal(s, kcha, n2, aad, al, padded, pl + 16, out);
  OPENSSL_cleanse(padded, pl + 16);
  free(padded);
  OPENSSL_cleanse(kaes, 32);
  OPENSSL_cleanse(kcha, 32);
  OPENSSL_cleanse(auth, 16);
  OPENSSL_cleanse(enc, 32);
  return ok;
}

// Opens into out (len - 32 bytes); the plaintext length, or -1 for any tag or padding failure (out is then cleansed).
CLMUL static long double_open(state *s, const uint8_t mk[32], const uint8_t nonce[12], const uint8_t *ct, size_t len, const uint8_t *aad, size_t al, uint8_t *out) {
  if (len < 32 + 64 || (len - 32) % 64 != 0) return -1;
  uint8_t kaes[32], kcha[32], n1[12], n2[12], auth[16], enc[32], tag[16];
  size_t pl = len - 32;
  uint8_t *inner = malloc(pl + 16);
  if (!inner) return -1;
  long r = -1;
  if (aead_keys(s, mk, nonce, kaes, kcha, n1, n2) && chacha_open(s, kcha, n2, aad, al, ct, len, inner) && gcmsiv_keys(s->ecb_ctx, kaes, n1, auth, enc) &&
      gcmsiv_ctr(s, enc, inner + pl, inner, out, pl) && gcmsiv_tag(s->ecb_ctx, auth, enc, n1, aad, al, out, pl, tag) && CRYPTO_memcmp(tag, inner + pl, 16) == 0) {
    // Strict PKCS#7 over 64-byte blocks (WIRE-NOTES §6.3), after both tags verified.
    uint8_t v = out[pl - 1], bad = (uint8_t)(v < 1 || v > 64);
    for (size_t i = 0; i < 64; i++) bad |= (uint8_t)((i < v) & (out[pl - 1 - i] != v));
    if (!bad) r = (long)(pl - v);
  }
  if (r < 0) OPENSSL_cleanse(out, pl);
  OPENSSL_cleanse(inner, pl + 16);
  free(inner);
  OPENSSL_cleanse(kaes, 32);
  OPENSSL_cleanse(kcha, 32);
  OPENSSL_cleanse(auth, 16);
  OPENSSL_cleanse(enc, 32);
  return r;
}

#endif
