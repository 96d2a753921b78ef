// Node-API argument helper shared by the crypto addons (polyval.c, message.c).
#ifndef PQCHAT_NAPI_BYTES_H
#define PQCHAT_NAPI_BYTES_H
#include <node_api.h>
#include <stdint.h>

/**
 * The bytes of a Uint8Array argument. `want` > 0 requires exactly that length.
 * Returns 0 with a pending JavaScript exception when `v` does not qualify.
 */
static inline int uint8_arg(napi_env env, napi_value v, uint8_t **p, size_t *len, size_t want) {
  napi_typedarray_type type;
  napi_value buf;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, (void **)p, &buf, &off) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return 0;
  }
  if (want && *len != want) {
    napi_throw_range_error(env, NULL, "wrong key, nonce or buffer size");
    return 0;
  }
  return 1;
}

#endif
