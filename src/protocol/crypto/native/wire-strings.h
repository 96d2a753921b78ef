// The base64 strings of a received ENCRYPTED_MESSAGE (WIRE-NOTES §4.5), taken
// from JavaScript strings and strictly decoded (base64.h), for message.c.
#ifndef PQCHAT_WIRE_STRINGS_H
#define PQCHAT_WIRE_STRINGS_H
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include "base64.h"

// The four base64 strings of a received message, as received (the HMAC covers them: WIRE-NOTES §7 step 2).
typedef struct {
  uint8_t *text;                   // the four strings, one after another (one allocation)
  uint8_t *bytes;                  // their strict decodings (one allocation)
  size_t len[4];                   // nonce, ciphertext, dh_public_key, verification
  uint8_t *str[4], *dec[4];
  long declen[4];
} wire_strings;

static void wire_strings_free(wire_strings *w) {
  free(w->text);
  free(w->bytes);
}

// 0 with a pending JavaScript exception, else 1 (declen[i] < 0: not strict base64).
static int wire_strings_get(napi_env env, napi_value *v, wire_strings *w) {
  size_t total = 0;
  memset(w, 0, sizeof *w);
  for (int i = 0; i < 4; i++) {
    if (napi_get_value_string_utf8(env, v[i], NULL, 0, &w->len[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "expected a string");
      return 0;
    }
    total += w->len[i] + 1;
  }
  w->text = malloc(total);
  w->bytes = malloc(total);
  if (!w->text || !w->bytes) {
    wire_strings_free(w);
    napi_throw_error(env, NULL, "out of memory");
    return 0;
  }
  size_t off = 0, l;
  for (int i = 0; i < 4; i++) {
    w->str[i] = w->text + off;
    w->dec[i] = w->bytes + off;
    napi_get_value_string_utf8(env, v[i], (char *)w->str[i], w->len[i] + 1, &l);
    w->declen[i] = l == w->len[i] ? b64_strict(w->str[i], l, w->dec[i]) : -1;
    off += w->len[i] + 1;
  }
  return 1;
}

#endif
