// Random bytes for message.c, drawn from OpenSSL's RAND a kilobyte at a time:
// one RAND_bytes call costs about 2 µs here whatever its length up to that, as
// much as the rest of a message's symmetric work, and each message needs a
// private key (RAND_priv_bytes, the private generator, as OpenSSL's own key
// generation uses) and a nonce (RAND_bytes). Bytes are handed out once each
// and cleansed in the buffer as they are taken; what is left is cleansed when
// the thread's state is freed. Like the ephemeral key pool, the buffer lives in
// this process only (Node never forks without exec).
#ifndef PQCHAT_MESSAGE_RANDOM_H
#define PQCHAT_MESSAGE_RANDOM_H
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>
#include "message-state.h"

static int draw(uint8_t buf[RANDOM_AHEAD], size_t *left, int (*refill)(unsigned char *, int), uint8_t *out, size_t len) {
  if (*left < len) {
    if (refill(buf, RANDOM_AHEAD) <= 0) return 0;
    *left = RANDOM_AHEAD;
  }
  *left -= len;
  memcpy(out, buf + *left, len);
  OPENSSL_cleanse(buf + *left, len);
  return 1;
}

// len bytes for a private key.
static int random_private(state *s, uint8_t *out, size_t len) {
  return draw(s->rand_priv, &s->rand_priv_left, RAND_priv_bytes, out, len);
}

// len public random bytes (a nonce).
static int random_public(state *s, uint8_t *out, size_t len) {
  return draw(s->rand_pub, &s->rand_pub_left, RAND_bytes, out, len);
}

#endif
