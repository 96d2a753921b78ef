// BLAKE2b with a 256-bit digest (RFC 7693), the whole-file hash of WIRE-NOTES
// §8.2, computed by OpenSSL's own BLAKE2b: the functions its BLAKE2B-512
// digest is built on (providers/implementations/digests/blake2b_prov.c),
// called directly where the node binary exports them, as message.c does for
// X25519. Node's OpenSSL (3.0) offers BLAKE2b only with a 512-bit digest
// through EVP, and the digest length is part of BLAKE2b's parameter block, so
// a truncated BLAKE2b-512 is a different hash; these functions take the
// parameter block. They run at about 1.1 GB/s here against about 0.8 for the
// WebAssembly hasher, and hash the caller's memory where it is, without the
// copy into WebAssembly memory. They are looked up at load and checked
// against RFC 7693's test vectors; without them, or if the check fails,
// `available` is false and the WebAssembly hasher is used.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include "napi-bytes.h"

// OpenSSL 3.0's BLAKE2B_PARAM (prov/blake2.h), which is RFC 7693 §2.8's
// 64-byte parameter block byte for byte, and its context, which holds no
// pointers (so it may live in a JavaScript buffer). The context's size is
// OpenSSL's business: CTX_BYTES leaves it far more room than the 240 bytes it
// uses.
typedef struct {
  uint8_t bytes[64];
} blake2b_param;
#define CTX_BYTES 1024

typedef int (*init_fn)(void *ctx, const blake2b_param *p);
typedef int (*update_fn)(void *ctx, const void *data, size_t len);
typedef int (*final_fn)(unsigned char *md, void *ctx);
typedef void (*param_init_fn)(blake2b_param *p);
typedef void (*param_len_fn)(blake2b_param *p, uint8_t len);

static init_fn b2_init;
static update_fn b2_update;
static final_fn b2_final;
static param_init_fn b2_param_init;
static param_len_fn b2_param_len;

static int hash_once(const void *data, size_t len, uint8_t out_len, uint8_t *md) {
  _Alignas(16) uint8_t ctx[CTX_BYTES];
  blake2b_param p;
  b2_param_init(&p);
  b2_param_len(&p, out_len);
  return b2_init(ctx, &p) == 1 && b2_update(ctx, data, len) == 1 && b2_final(md, ctx) == 1;
}

static int hex_is(const uint8_t *md, size_t n, const char *hex) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++)
    if (hex[2 * i] != digits[md[i] >> 4] || hex[2 * i + 1] != digits[md[i] & 15]) return 0;
  return hex[2 * n] == 0;
}

// RFC 7693 Appendix A (BLAKE2b-512 of "abc"), and BLAKE2b-256 of "abc" and of
// the empty string, whose parameter block differs in its first byte.
static int find_functions(void) {
  b2_init = (init_fn)dlsym(RTLD_DEFAULT, "ossl_blake2b_init");
  b2_update = (update_fn)dlsym(RTLD_DEFAULT, "ossl_blake2b_update");
  b2_final = (final_fn)dlsym(RTLD_DEFAULT, "ossl_blake2b_final");
  b2_param_init = (param_init_fn)dlsym(RTLD_DEFAULT, "ossl_blake2b_param_init");
  b2_param_len = (param_len_fn)dlsym(RTLD_DEFAULT, "ossl_blake2b_param_set_digest_length");
  if (!b2_init || !b2_update || !b2_final || !b2_param_init || !b2_param_len) return 0;
  uint8_t md[64];
  return hash_once("abc", 3, 64, md) &&
         hex_is(md, 64,
                "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923") &&
         hash_once("abc", 3, 32, md) && hex_is(md, 32, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319") &&
         hash_once("", 0, 32, md) && hex_is(md, 32, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

// The context argument: a Uint8Array of exactly CTX_BYTES, 8-byte aligned (the context holds uint64_t words).
static void *ctx_arg(napi_env env, napi_value v) {
  uint8_t *p;
  size_t len;
  if (!uint8_arg(env, v, &p, &len, CTX_BYTES)) return NULL;
  if ((uintptr_t)p % 8 != 0) {
    napi_throw_range_error(env, NULL, "the hash context must be 8-byte aligned");
    return NULL;
  }
  return p;
}

// init(ctx): a fresh BLAKE2b-256 state in ctx.
static napi_value js_init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "expected (ctx)");
    return NULL;
  }
  void *ctx = ctx_arg(env, argv[0]);
  if (!ctx) return NULL;
  blake2b_param p;
  b2_param_init(&p);
  b2_param_len(&p, 32);
  if (b2_init(ctx, &p) != 1) napi_throw_error(env, NULL, "BLAKE2b init failed");
  return NULL;
}

// The arguments of update and final: the context, then a Uint8Array of
// `want` bytes (0: any length). NULL with an exception thrown when they are not.
static void *ctx_and_bytes(napi_env env, napi_callback_info info, uint8_t **data, size_t *len, size_t want) {
  napi_value argv[2];
  size_t argc = 2;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "expected (ctx, bytes)");
    return NULL;
  }
  void *ctx = ctx_arg(env, argv[0]);
  return ctx && uint8_arg(env, argv[1], data, len, want) ? ctx : NULL;
}

// update(ctx, data)
static napi_value js_update(napi_env env, napi_callback_info info) {
  uint8_t *data;
  size_t len;
  void *ctx = ctx_and_bytes(env, info, &data, &len, 0);
  if (ctx && b2_update(ctx, data, len) != 1) napi_throw_error(env, NULL, "BLAKE2b update failed");
  return NULL;
}

// final(ctx, out): the 32-byte digest into out; ctx must be init'ed again before reuse.
static napi_value js_final(napi_env env, napi_callback_info info) {
  uint8_t *md;
  size_t len;
  void *ctx = ctx_and_bytes(env, info, &md, &len, 32);
  if (ctx && b2_final(md, ctx) != 1) napi_throw_error(env, NULL, "BLAKE2b final failed");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value v;
  int ok = find_functions();
  napi_get_boolean(env, ok, &v);
  napi_set_named_property(env, exports, "available", v);
  napi_create_uint32(env, CTX_BYTES, &v);
  napi_set_named_property(env, exports, "ctxBytes", v);
  if (!ok) return exports;
  napi_create_function(env, "init", NAPI_AUTO_LENGTH, js_init, NULL, &v);
  napi_set_named_property(env, exports, "init", v);
  napi_create_function(env, "update", NAPI_AUTO_LENGTH, js_update, NULL, &v);
  napi_set_named_property(env, exports, "update", v);
  napi_create_function(env, "final", NAPI_AUTO_LENGTH, js_final, NULL, &v);
  napi_set_named_property(env, exports, "final", v);
  return exports;
}
