// X25519 (RFC 7748; SPEC §8.1, WIRE-NOTES §6.2) for message.c.
//
// X25519 is OpenSSL's own ossl_x25519 and ossl_x25519_public_from_private,
// the functions its EVP_PKEY derive and key import call for X25519
// (providers/implementations/exchange/ecx_exch.c), called directly where the
// node binary exports them (it links OpenSSL statically and exports its
// symbols): the EVP layer around them (key objects, a derive context per key,
// provider dispatch) cost more per message than a fifth of the curve
// arithmetic. They are looked up at load and checked against RFC 7748 §6.1's
// test vectors; without them, or if the check fails, every key goes through
// EVP as before.
#ifndef PQCHAT_MESSAGE_X25519_H
#define PQCHAT_MESSAGE_X25519_H
// RTLD_DEFAULT needs _GNU_SOURCE, which message.c defines before any header.
#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include "message-random.h"
#include "message-state.h"

static void xkey_free(xkey *x) {
  EVP_PKEY_CTX_free(x->c);
  EVP_PKEY_free(x->k); // cleanses a private key
  OPENSSL_cleanse(x, sizeof *x);
}

// A session key handle (WIRE-NOTES §5.2): the raw value for the direct path
// and an EVP_PKEY (with a derive context for a private key) for the EVP path.
static int xkey_handle(xkey *x, const uint8_t raw[32], int private_key) {
  memset(x, 0, sizeof *x);
  memcpy(x->raw, raw, 32);
  x->kind = private_key ? 1 : 2;
  if (!private_key) return (x->k = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, raw, 32)) != NULL;
  x->k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, raw, 32);
  x->c = x->k ? EVP_PKEY_CTX_new(x->k, NULL) : NULL;
  return x->c && EVP_PKEY_derive_init(x->c) > 0;
}

// A per-message key pair with its public value in x->pub (WIRE-NOTES §6.2):
// fresh (raw == NULL) or scripted by a known-answer test. X25519 clamps the
// scalar itself (RFC 7748 §5), so the raw draw is used as it is.
static int xkey_ephemeral(state *s, xkey *x, const uint8_t *raw) {
  memset(x, 0, sizeof *x);
  x->kind = 1;
  if (s->direct) {
    x->direct = 1;
    if (raw) memcpy(x->raw, raw, 32);
    else if (!random_private(s, x->raw, 32)) return 0;
    s->x25519_pub(x->pub, x->raw);
    return 1;
  }
  if (raw) {
    x->k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, raw, 32);
  } else {
    EVP_PKEY_CTX *g = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
    if (g && EVP_PKEY_keygen_init(g) > 0) EVP_PKEY_keygen(g, &x->k);
    EVP_PKEY_CTX_free(g);
  }
  size_t l = 32;
  x->c = x->k ? EVP_PKEY_CTX_new(x->k, NULL) : NULL;
  if (x->c && EVP_PKEY_derive_init(x->c) > 0 && EVP_PKEY_get_raw_public_key(x->k, x->pub, &l) > 0 && l == 32) return 1;
  xkey_free(x);
  return 0;
}

// shared = X25519(priv, peer) with the peer's session key handle; 0 when
// refused (an all-zero result: a small-order peer key, RFC 7748 §6.1).
static int x25519_derive(state *s, xkey *priv, const xkey *peer, uint8_t shared[32]) {
  if (priv->direct) return s->x25519(shared, priv->raw, peer->raw);
  size_t l = 32;
  return EVP_PKEY_derive_set_peer(priv->c, peer->k) > 0 && EVP_PKEY_derive(priv->c, shared, &l) > 0 && l == 32;
}

// shared = X25519(own session key, a received public value); 0 when refused.
static int x25519_derive_raw(state *s, xkey *own, const uint8_t peer_raw[32], uint8_t shared[32]) {
  if (s->direct) return s->x25519(shared, own->raw, peer_raw);
  EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_raw, 32);
  size_t l = 32;
  int ok = peer && EVP_PKEY_derive_set_peer(own->c, peer) > 0 && EVP_PKEY_derive(own->c, shared, &l) > 0 && l == 32;
  EVP_PKEY_free(peer);
  return ok;
}

static int hexbytes(const char *h, uint8_t out[32]) {
  for (int i = 0; i < 32; i++) {
    unsigned v;
    if (sscanf(h + 2 * i, "%2x", &v) != 1) return 0;
    out[i] = (uint8_t)v;
  }
  return 1;
}

// The direct path only where OpenSSL's X25519 functions are exported and
// give RFC 7748 §6.1's answers: both public keys, and the shared secret both ways.
static void find_direct_x25519(state *s) {
  static const char *const V[5] = {
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
  };
  s->x25519 = (x25519_fn)dlsym(RTLD_DEFAULT, "ossl_x25519");
  s->x25519_pub = (x25519_pub_fn)dlsym(RTLD_DEFAULT, "ossl_x25519_public_from_private");
  uint8_t v[5][32], a[32], b[32], k1[32], k2[32];
  int ok = s->x25519 && s->x25519_pub;
  for (int i = 0; ok && i < 5; i++) ok = hexbytes(V[i], v[i]);
  if (ok) {
    s->x25519_pub(a, v[0]);
    s->x25519_pub(b, v[2]);
    ok = memcmp(a, v[1], 32) == 0 && memcmp(b, v[3], 32) == 0 && s->x25519(k1, v[0], v[3]) == 1 && s->x25519(k2, v[2], v[1]) == 1 &&
         memcmp(k1, v[4], 32) == 0 && memcmp(k2, v[4], 32) == 0;
  }
  s->direct = ok;
  if (!ok) {
    s->x25519 = NULL;
    s->x25519_pub = NULL;
  }
}

#endif
