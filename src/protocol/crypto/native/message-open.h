// The receiver's WIRE-NOTES §7 steps 1–6 and the ratchet of step 8 for the
// next message in order, from its base64 strings as received (wire-strings.h),
// for message.c.
#ifndef PQCHAT_MESSAGE_OPEN_H
#define PQCHAT_MESSAGE_OPEN_H
#include <openssl/crypto.h>
#include <stdio.h>
#include "message-aead.h"
#include "message-kdf.h"
#include "message-state.h"
#include "message-x25519.h"
#include "wire-strings.h"

// The plaintext length in out (at least the decoded ciphertext's length - 32
// bytes), or what refused the message, in the order of WIRE-NOTES §7: -4 a
// field is not strict base64 and -5 the nonce or key has the wrong size
// (step 1), -3 the HMAC (step 2, before any ratchet work), -2 X25519 refused
// the ephemeral key (step 4), -1 the ciphertext or padding (step 6). next
// gets the chain key after n (step 8), or zeros when refused.
CLMUL static long open_wire(state *s, const uint8_t *ck, size_t ckl, uint64_t n, xkey *own, const uint8_t *hk, size_t hkl, const wire_strings *w, uint8_t *out,
                            uint8_t next[32]) {
  long r;
  uint8_t mk[32], dh[32], mac[64];
  char hin[160], aad[160];
  if (w->declen[0] < 0 || w->declen[1] < 0 || w->declen[2] < 0 || w->declen[3] < 0) {
    r = -4;
  } else if (w->declen[0] != 12 || w->declen[2] != 32) {
    r = -5;
  } else {
    // HMAC input (WIRE-NOTES §6.5) and AAD (WIRE-NOTES §6.4, step 5) from the strings as received: strictly
    // decoded, they are the canonical encodings of the nonce and key (16 and 44 characters).
    const char *nb = (const char *)w->str[0], *eb = (const char *)w->str[2];
    int hl = snprintf(hin, sizeof hin, "{\"counter\": %llu, \"nonce\": \"%.16s\", \"dh_public_key\": \"%.44s\"}", (unsigned long long)n, nb, eb);
    int al = snprintf(aad, sizeof aad, "{\"type\": 10, \"counter\": %llu, \"nonce\": \"%.16s\", \"dh_public_key\": \"%.44s\"}", (unsigned long long)n, nb, eb);
    if (!hmac3(s->hmac512, hk, hkl, (const uint8_t *)hin, (size_t)hl, NULL, 0, NULL, 0, mac) || w->declen[3] != 64 || CRYPTO_memcmp(mac, w->dec[3], 64) != 0) {
      r = -3;
    } else if (!x25519_derive_raw(s, own, w->dec[2], dh)) {
      r = -2;
    } else {
      int ok = chain_step(s, ck, ckl, dh, n, mk, next);
      r = ok ? double_open(s, mk, w->dec[0], w->dec[1], (size_t)w->declen[1], (const uint8_t *)aad, (size_t)al, out) : -1;
      OPENSSL_cleanse(mk, sizeof mk);
    }
    OPENSSL_cleanse(dh, sizeof dh);
  }
  if (r < 0) OPENSSL_cleanse(next, 32);
  return r;
}

#endif
