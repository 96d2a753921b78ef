// The floors of bench/protocol.ts for message.c: each part of a message timed
// alone in CPU time, with no JavaScript around it.
#ifndef PQCHAT_MESSAGE_FLOORS_H
#define PQCHAT_MESSAGE_FLOORS_H
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <time.h>
#include "message-aead.h"
#include "message-kdf.h"
#include "message-state.h"
#include "message-x25519.h"

static double cpu_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

// us = CPU microseconds per call of [keygen, dh, hkdf, hmac, seal, open], each part on its own
// over n calls (bench/protocol.ts prints the floor of a message pair from these). Random keys,
// a 512-byte plaintext, counter 1.
CLMUL static void message_floors(state *s, int n, double us[6]) {
  uint8_t key[64], peer[32], out[64], pt[512], nonce[12], aad[100], ct[512 + 96], back[512 + 64];
  RAND_bytes(key, sizeof key);
  RAND_bytes(pt, sizeof pt);
  RAND_bytes(nonce, sizeof nonce);
  RAND_bytes(aad, sizeof aad);
  xkey own, other, peer_k, k;
  xkey_handle(&own, key, 1);
  xkey_ephemeral(s, &other, NULL);
  memcpy(peer, other.pub, 32);
  xkey_handle(&peer_k, peer, 0);
  double r[6], t0 = cpu_us();
  // A pool key with its public value (what refill does between ticks; on the EVP path with its derive context).
  for (int i = 0; i < n; i++) {
    xkey_ephemeral(s, &k, NULL);
    xkey_free(&k);
  }
  r[0] = cpu_us();
  // The sender's DH (an ephemeral key with the peer's handle) and the receiver's (its handle with a raw value), alternately.
  for (int i = 0; i < n; i++) i % 2 ? x25519_derive(s, &other, &peer_k, out) : x25519_derive_raw(s, &own, peer, out);
  r[1] = cpu_us();
  for (int i = 0; i < n; i++) hkdf512(s, key, 32, peer, 32, "chain_key_1", out);
  r[2] = cpu_us();
  for (int i = 0; i < n; i++) hmac3(s->hmac512, key, 32, aad, 90, NULL, 0, NULL, 0, out);
  r[3] = cpu_us();
  for (int i = 0; i < n; i++) double_seal(s, key, nonce, pt, sizeof pt, aad, sizeof aad, ct);
  r[4] = cpu_us();
  for (int i = 0; i < n; i++) double_open(s, key, nonce, ct, sizeof ct, aad, sizeof aad, back);
  r[5] = cpu_us();
  xkey_free(&own);
  xkey_free(&other);
  xkey_free(&peer_k);
  OPENSSL_cleanse(key, sizeof key);
  for (int i = 0; i < 6; i++) us[i] = (r[i] - (i ? r[i - 1] : t0)) / n;
}

#endif
