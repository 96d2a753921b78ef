// POLYVAL (RFC 8452 §3) with the CPU's carry-less multiply (PCLMULQDQ), and
// the two bulk helpers AES-256-GCM-SIV needs around OpenSSL's AES: counter
// blocks and XOR. Used by src/protocol/gcmsiv-clmul.ts; built at `npm run
// build` by scripts/build-native.mjs. Without a C compiler, or on a CPU
// without PCLMULQDQ, pqchat uses the WebAssembly POLYVAL instead (crypto/select.ts).
//
// The POLYVAL core (constant time, PCLMULQDQ) is polyval-core.h.
#include <node_api.h>
#include "napi-bytes.h"
#include "polyval-core.h"

// ---------------------------------------------------------------- N-API glue

static int args(napi_env env, napi_callback_info info, size_t n, uint8_t **p, size_t *len) {
  napi_value argv[3];
  size_t argc = 3;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != n) {
    napi_throw_type_error(env, NULL, "wrong number of arguments");
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if (!uint8_arg(env, argv[i], &p[i], &len[i], 0)) return 0;
  return 1;
}

// polyval(h: 16 bytes, s: 16 bytes, updated in place, data)
static napi_value js_polyval(napi_env env, napi_callback_info info) {
  uint8_t *p[3];
  size_t len[3];
  if (!args(env, info, 3, p, len)) return NULL;
  if (len[0] != 16 || len[1] != 16) {
    napi_throw_range_error(env, NULL, "POLYVAL key and state are 16 bytes");
    return NULL;
  }
  polyval_update(p[1], p[0], p[2], len[2]);
  return NULL;
}

// ctrBlocks(iv: 16 bytes, out: a multiple of 16 bytes). The first 32 bits count
// up little-endian, wrapping modulo 2^32; the other 96 bits stay (RFC 8452 §4):
// exactly a 32-bit add on lane 0 of a little-endian SSE2 register.
CLMUL static void ctr_blocks(const uint8_t iv[16], uint8_t *out, size_t len) {
  const __m128i one = _mm_set_epi32(0, 0, 0, 1);
  __m128i b = _mm_loadu_si128((const __m128i *)iv);
  for (size_t off = 0; off < len; off += 16) {
    _mm_storeu_si128((__m128i *)(out + off), b);
    b = _mm_add_epi32(b, one);
  }
}

static napi_value js_ctr_blocks(napi_env env, napi_callback_info info) {
  uint8_t *p[2];
  size_t len[2];
  if (!args(env, info, 2, p, len)) return NULL;
  if (len[0] != 16 || len[1] % 16 != 0) {
    napi_throw_range_error(env, NULL, "counter block is 16 bytes, output whole blocks");
    return NULL;
  }
  ctr_blocks(p[0], p[1], len[1]);
  return NULL;
}

// xorWipe(dst, a, ks): dst = a ^ ks over dst's length, then ks is zeroed in
// the same pass (it is keystream: with the ciphertext it gives the plaintext).
static napi_value js_xor_wipe(napi_env env, napi_callback_info info) {
  uint8_t *p[3];
  size_t len[3];
  if (!args(env, info, 3, p, len)) return NULL;
  size_t n = len[0];
  if (len[1] < n || len[2] < n) {
    napi_throw_range_error(env, NULL, "xor inputs are shorter than the output");
    return NULL;
  }
  uint8_t *d = p[0], *k = p[2];
  const uint8_t *a = p[1];
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    memcpy(&x, a + i, 8);
    memcpy(&y, k + i, 8);
    x ^= y;
    memcpy(d + i, &x, 8);
    memset(k + i, 0, 8);
  }
  for (; i < n; i++) {
    d[i] = a[i] ^ k[i];
    k[i] = 0;
  }
  wipe(k + n, len[2] - n);
  return NULL;
}

NAPI_MODULE_INIT() {
  __builtin_cpu_init();
  int ok = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  napi_value v;
  napi_get_boolean(env, ok, &v);
  napi_set_named_property(env, exports, "available", v);
  if (!ok) return exports;
  napi_create_function(env, "polyval", NAPI_AUTO_LENGTH, js_polyval, NULL, &v);
  napi_set_named_property(env, exports, "polyval", v);
  napi_create_function(env, "ctrBlocks", NAPI_AUTO_LENGTH, js_ctr_blocks, NULL, &v);
  napi_set_named_property(env, exports, "ctrBlocks", v);
  napi_create_function(env, "xorWipe", NAPI_AUTO_LENGTH, js_xor_wipe, NULL, &v);
  napi_set_named_property(env, exports, "xorWipe", v);
  return exports;
}
