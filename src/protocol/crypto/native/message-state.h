// The message addon's per-thread state (message.c): OpenSSL contexts made once,
// the pool of ephemeral X25519 keys prepared ahead, which X25519 is used, and
// random bytes drawn ahead (message-random.h).
#ifndef PQCHAT_MESSAGE_STATE_H
#define PQCHAT_MESSAGE_STATE_H
#include <openssl/evp.h>
#include <stdint.h>

#define POOL_MAX 64
#define RANDOM_AHEAD 1024

// An X25519 key. On the direct path (`direct`), the raw private scalar or
// public value in `raw`; on the EVP path, an EVP_PKEY with, for a private
// key, its derive context made ahead (the provider lookups of
// EVP_PKEY_derive_init are then off the hot path). A session key handle holds
// both, so it works on either path. `pub` is a pool key's public value.
typedef struct {
  EVP_PKEY *k;
  EVP_PKEY_CTX *c;
  uint8_t raw[32], pub[32];
  uint8_t kind; // 0 none (dropped), 1 private, 2 public
  uint8_t direct;
} xkey;

// OpenSSL's X25519 (crypto/ec/curve25519.c): shared = X25519(priv, peer), 0
// for an all-zero result; and the public value of a private key.
typedef int (*x25519_fn)(uint8_t shared[32], const uint8_t priv[32], const uint8_t peer[32]);
typedef void (*x25519_pub_fn)(uint8_t pub[32], const uint8_t priv[32]);

typedef struct {
  EVP_MAC *mac;
  EVP_MAC_CTX *hmac512, *hmac3;
  EVP_MD *sha512;
  EVP_MD_CTX *md;
  EVP_CIPHER *ecb, *chacha;
  EVP_CIPHER_CTX *ecb_ctx, *chacha_ctx;
  xkey pool[POOL_MAX];
  int pooled;
  int direct; // X25519 through x25519 and x25519_pub (else EVP)
  x25519_fn x25519;
  x25519_pub_fn x25519_pub;
  // OpenSSL's RAND drawn in bulk, used from the end down: `priv` for private keys (RAND_priv_bytes), `pub` for nonces (RAND_bytes).
  uint8_t rand_priv[RANDOM_AHEAD], rand_pub[RANDOM_AHEAD];
  size_t rand_priv_left, rand_pub_left;
  // bench/protocol.ts only (timeCalls): CPU µs spent inside sealMessage [0] and openWire [1], and their calls.
  int timing;
  double spent[2], calls[2];
} state;

#endif
