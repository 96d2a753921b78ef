// One ENCRYPTED_MESSAGE in one native call (src/protocol/crypto/message-native.ts):
// the sender's whole WIRE-NOTES §6 (fresh X25519 key, DH with the peer's
// session key, the chain step of WIRE-NOTES §6.2, the double AEAD of WIRE-NOTES
// §6.3, the HMAC of WIRE-NOTES §6.5 and the outer JSON of WIRE-NOTES §6.6), and
// on the receiving side the HMAC check,
// the ratchet and the message key with the double AEAD open (WIRE-NOTES §7).
// Every primitive is OpenSSL's, the one the node binary carries and exports
// (EVP HMAC, SHA-512, SHA3-512, AES-256, ChaCha20-Poly1305, X25519, RAND);
// POLYVAL is polyval-core.h. The parts: message-kdf.h (HMAC, HKDF, the chain
// step), message-aead.h (the double AEAD), message-x25519.h (X25519, directly
// or through EVP), base64.h; this file is the Node-API glue. The TypeScript
// path (session.ts over kdf.ts and aead.ts) stays the fallback and the oracle
// of the differential tests.
//
// Secrets: every key, DH output and intermediate lives on this stack or in
// memory this file allocates, and is cleansed (OPENSSL_cleanse) before
// return; caller buffers that held a secret we consumed (the DH output) are
// cleansed too. Ephemeral private keys never leave this file: a small pool of
// pre-generated keys per thread (Node-API instance data), each used once and
// cleansed at once (on the EVP path, EVP_PKEYs with their derive contexts made
// ahead, freed by EVP_PKEY_free, which cleanses them). Tags and MACs compare
// with CRYPTO_memcmp (constant time).
#define _GNU_SOURCE
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "base64.h"
#include "message-aead.h"
#include "message-floors.h"
#include "message-kdf.h"
#include "message-open.h"
#include "message-random.h"
#include "message-seal.h"
#include "message-state.h"
#include "message-x25519.h"
#include "napi-bytes.h"
#include "wire-strings.h"

// ---------------------------------------------------------------- N-API glue

static state *get_state(napi_env env) {
  state *s = NULL;
  napi_get_instance_data(env, (void **)&s);
  return s;
}

static int is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

static int counter(napi_env env, napi_value v, uint64_t *n) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 1 || d > 9007199254740991.0 || d != (double)(uint64_t)d) {
    napi_throw_range_error(env, NULL, "counter must be a positive safe integer");
    return 0;
  }
  *n = (uint64_t)d;
  return 1;
}

static napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

static size_t argv_n(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want) {
    napi_throw_type_error(env, NULL, "wrong number of arguments");
    return 0;
  }
  return argc;
}

// Handles to a session's X25519 keys, held by OpenSSL for the session's life
// (WIRE-NOTES §5.2: the session keys never change): ours (private, with its
// derive context) and the peer's (public). Freed, and so cleansed, by dropKey
// or when the garbage collector finalizes the handle.
static void free_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  xkey_free(data);
  free(data);
}

static napi_value make_handle(napi_env env, napi_callback_info info, int private_key) {
  napi_value a[1], v;
  uint8_t *raw;
  size_t l;
  if (!argv_n(env, info, 1, a) || !uint8_arg(env, a[0], &raw, &l, 32)) return NULL;
  xkey *x = calloc(1, sizeof *x);
  int ok = x && xkey_handle(x, raw, private_key);
  if (!ok || napi_create_external(env, x, free_handle, NULL, &v) != napi_ok) {
    if (x) free_handle(env, x, NULL);
    napi_throw_error(env, NULL, "OpenSSL refused the X25519 key");
    return NULL;
  }
  return v;
}

// privateKey(raw32) / publicKey(raw32) -> a handle; the caller wipes a private raw32.
static napi_value js_private_key(napi_env env, napi_callback_info info) {
  return make_handle(env, info, 1);
}

static napi_value js_public_key(napi_env env, napi_callback_info info) {
  return make_handle(env, info, 0);
}

static xkey *handle_arg(napi_env env, napi_value v, int kind) {
  xkey *x = NULL;
  if (napi_get_value_external(env, v, (void **)&x) != napi_ok || !x) {
    napi_throw_type_error(env, NULL, "expected a key handle");
    return NULL;
  }
  if (x->kind != kind) {
    napi_throw_error(env, NULL, x->kind ? "the key is of the wrong kind (private or public)" : "the key was dropped");
    return NULL;
  }
  return x;
}

// dropKey(handle): frees (and so cleanses) the key now rather than at garbage collection.
static napi_value js_drop_key(napi_env env, napi_callback_info info) {
  napi_value a[1];
  xkey *x = NULL;
  if (!argv_n(env, info, 1, a) || napi_get_value_external(env, a[0], (void **)&x) != napi_ok || !x) return NULL;
  xkey_free(x);
  return NULL;
}

// sealMessage(chainKey, n, peerKey, hmacKey, inner, out, nextChain, ephPriv|null, nonce|null) -> bytes written to out.
// The whole ENCRYPTED_MESSAGE (WIRE-NOTES §6.6) in out; nextChain gets the ratchet output.
// ephPriv and nonce script the randomness for known-answer tests only.
static napi_value js_seal_message(napi_env env, napi_callback_info info) {
  napi_value a[9];
  if (!argv_n(env, info, 9, a)) return NULL;
  state *s = get_state(env);
  double t0 = s->timing ? cpu_us() : 0;
  seal_args r = { 0 };
  uint8_t *out, *next, *sp = NULL, *sn = NULL;
  size_t outl, nl, l;
  if (!uint8_arg(env, a[0], (uint8_t **)&r.ck, &r.ckl, 0) || !counter(env, a[1], &r.n) || !(r.peer = handle_arg(env, a[2], 2)) ||
      !uint8_arg(env, a[3], (uint8_t **)&r.hk, &r.hkl, 0) || !uint8_arg(env, a[4], (uint8_t **)&r.pt, &r.ptl, 0) || !uint8_arg(env, a[5], &out, &outl, 0) ||
      !uint8_arg(env, a[6], &next, &nl, 32))
    return NULL;
  if (!is_null(env, a[7]) && !uint8_arg(env, a[7], &sp, &l, 32)) return NULL;
  if (!is_null(env, a[8]) && !uint8_arg(env, a[8], &sn, &l, 12)) return NULL;
  r.eph_priv = sp;
  r.nonce = sn;
  if (r.ckl != 32 && r.ckl != 64) {
    napi_throw_range_error(env, NULL, "chain key must be 32 or 64 bytes");
    return NULL;
  }
  if (outl < seal_size(r.n, r.ptl)) {
    napi_throw_range_error(env, NULL, "output buffer too small");
    return NULL;
  }
  size_t o = seal_message(s, &r, out, next);
  if (!o) {
    napi_throw_error(env, NULL, "X25519 or OpenSSL refused the message");
    return NULL;
  }
  if (s->timing) s->spent[0] += cpu_us() - t0, s->calls[0]++;
  return num(env, (double)o);
}

// macOk(hmacKey, input, mac) -> HMAC-SHA-512(hmacKey, input) == mac, in constant time (WIRE-NOTES §6.5, §7 step 2).
static napi_value js_mac_ok(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!argv_n(env, info, 3, a)) return NULL;
  state *s = get_state(env);
  uint8_t *k, *d, *m, mac[64];
  size_t kl, dl, ml;
  if (!uint8_arg(env, a[0], &k, &kl, 0) || !uint8_arg(env, a[1], &d, &dl, 0) || !uint8_arg(env, a[2], &m, &ml, 0)) return NULL;
  int ok = hmac3(s->hmac512, k, kl, d, dl, NULL, 0, NULL, 0, mac) && ml == 64 && CRYPTO_memcmp(mac, m, 64) == 0;
  napi_value v;
  napi_get_boolean(env, ok, &v);
  return v;
}

// ratchet(chainKey, n, out32): the chain step alone (WIRE-NOTES §6.2, errata 24).
static napi_value js_ratchet(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!argv_n(env, info, 3, a)) return NULL;
  state *s = get_state(env);
  uint8_t *ck, *out, salt[8], t[64];
  size_t ckl, ol;
  uint64_t n;
  if (!uint8_arg(env, a[0], &ck, &ckl, 0) || !counter(env, a[1], &n) || !uint8_arg(env, a[2], &out, &ol, 32)) return NULL;
  char inf[48];
  snprintf(inf, sizeof inf, "chain_key_%llu", (unsigned long long)n);
  le64(salt, n);
  int ok = hkdf512(s, salt, 8, ck, ckl, inf, t);
  memcpy(out, t, 32);
  OPENSSL_cleanse(t, sizeof t);
  if (!ok) napi_throw_error(env, NULL, "OpenSSL HKDF failed");
  return NULL;
}

// openMessage(chainKey, n, ownKey, ephPub, nonce, ciphertext, aad, out) -> plaintext length; -1 when the
// ciphertext or padding is refused, -2 when X25519 refuses the ephemeral key (WIRE-NOTES §7 steps 4–6).
static napi_value js_open_message(napi_env env, napi_callback_info info) {
  napi_value a[8];
  if (!argv_n(env, info, 8, a)) return NULL;
  state *s = get_state(env);
  xkey *own;
  uint8_t *ck, *eph, *nonce, *ct, *aad, *out, mk[32], dh[32];
  size_t ckl, l, ctl, al, ol;
  uint64_t n;
  if (!uint8_arg(env, a[0], &ck, &ckl, 0) || !counter(env, a[1], &n) || !(own = handle_arg(env, a[2], 1)) || !uint8_arg(env, a[3], &eph, &l, 32) ||
      !uint8_arg(env, a[4], &nonce, &l, 12) || !uint8_arg(env, a[5], &ct, &ctl, 0) || !uint8_arg(env, a[6], &aad, &al, 0) || !uint8_arg(env, a[7], &out, &ol, 0))
    return NULL;
  if (ctl >= 32 && ol < ctl - 32) {
    napi_throw_range_error(env, NULL, "output buffer too small");
    return NULL;
  }
  if (!x25519_derive_raw(s, own, eph, dh)) return num(env, -2);
  int ok = chain_step(s, ck, ckl, dh, n, mk, NULL);
  OPENSSL_cleanse(dh, sizeof dh);
  long r = ok ? double_open(s, mk, nonce, ct, ctl, aad, al, out) : -1;
  OPENSSL_cleanse(mk, sizeof mk);
  return num(env, (double)r);
}

// openWire(chainKey, n, ownKey, hmacKey, nonceB64, ciphertextB64, ephB64, macB64, out, next) -> plaintext length,
// or what refused the message (open_wire in message-open.h).
static napi_value js_open_wire(napi_env env, napi_callback_info info) {
  napi_value a[10];
  if (!argv_n(env, info, 10, a)) return NULL;
  state *s = get_state(env);
  double t0 = s->timing ? cpu_us() : 0;
  xkey *own;
  uint8_t *ck, *hk, *out, *next;
  size_t ckl, hkl, ol, nl;
  uint64_t n;
  wire_strings w;
  if (!uint8_arg(env, a[0], &ck, &ckl, 0) || !counter(env, a[1], &n) || !(own = handle_arg(env, a[2], 1)) || !uint8_arg(env, a[3], &hk, &hkl, 0) ||
      !uint8_arg(env, a[8], &out, &ol, 0) || !uint8_arg(env, a[9], &next, &nl, 32))
    return NULL;
  if (ckl != 32 && ckl != 64) {
    napi_throw_range_error(env, NULL, "chain key must be 32 or 64 bytes");
    return NULL;
  }
  if (!wire_strings_get(env, a + 4, &w)) return NULL;
  if (w.declen[1] >= 32 && ol < (size_t)w.declen[1] - 32) {
    wire_strings_free(&w);
    napi_throw_range_error(env, NULL, "output buffer too small");
    return NULL;
  }
  long r = open_wire(s, ck, ckl, n, own, hk, hkl, &w, out, next);
  wire_strings_free(&w);
  if (s->timing) s->spent[1] += cpu_us() - t0, s->calls[1]++;
  return num(env, (double)r);
}

// timeCalls(on) -> [seal, open, clock]: mean CPU µs inside sealMessage and openWire since the last call (then
// reset), and what one reading of the clock costs; timing stays on while `on` (bench/protocol.ts only: a reading
// costs ~1 µs here, and each timed call takes two).
static napi_value js_time_calls(napi_env env, napi_callback_info info) {
  napi_value a[1], arr, v;
  if (!argv_n(env, info, 1, a)) return NULL;
  state *s = get_state(env);
  bool on = false;
  napi_get_value_bool(env, a[0], &on);
  double t0 = cpu_us(), t = t0;
  for (int i = 0; i < 200; i++) t = cpu_us();
  double r[3] = { s->calls[0] ? s->spent[0] / s->calls[0] : 0, s->calls[1] ? s->spent[1] / s->calls[1] : 0, (t - t0) / 200 };
  napi_create_array_with_length(env, 3, &arr);
  for (int i = 0; i < 3; i++) {
    napi_create_double(env, r[i], &v);
    napi_set_element(env, arr, (uint32_t)i, v);
  }
  s->spent[0] = s->spent[1] = s->calls[0] = s->calls[1] = 0;
  s->timing = on;
  return arr;
}

// refill(target): generates ephemeral key pairs until the pool holds `target` (at most POOL_MAX).
static napi_value js_refill(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!argv_n(env, info, 1, a)) return NULL;
  state *s = get_state(env);
  double d = 0;
  napi_get_value_double(env, a[0], &d);
  int target = d > POOL_MAX ? POOL_MAX : d < 0 ? 0 : (int)d;
  while (s->pooled < target && xkey_ephemeral(s, &s->pool[s->pooled], NULL)) s->pooled++;
  return num(env, s->pooled);
}

// x25519Path(want|null) -> "direct" or "evp": which X25519 this thread uses;
// "evp" or "direct" asks for one (direct only where it was found), so the
// tests can run both. The pool is emptied on a change: its keys are of one path.
static napi_value js_x25519_path(napi_env env, napi_callback_info info) {
  napi_value a[1], v;
  if (!argv_n(env, info, 1, a)) return NULL;
  state *s = get_state(env);
  char want[8] = "";
  size_t l = 0;
  if (!is_null(env, a[0]) && napi_get_value_string_utf8(env, a[0], want, sizeof want, &l) != napi_ok) return NULL;
  int direct = strcmp(want, "direct") == 0 ? s->x25519 != NULL : strcmp(want, "evp") == 0 ? 0 : s->direct;
  if (direct != s->direct)
    while (s->pooled > 0) xkey_free(&s->pool[--s->pooled]);
  s->direct = direct;
  napi_create_string_utf8(env, direct ? "direct" : "evp", NAPI_AUTO_LENGTH, &v);
  return v;
}

// floors(iterations) -> [keygen, dh, hkdf, hmac, seal, open]: CPU microseconds per call (message-floors.h).
static napi_value js_floors(napi_env env, napi_callback_info info) {
  napi_value a[1], arr, v;
  if (!argv_n(env, info, 1, a)) return NULL;
  double d = 0, us[6];
  napi_get_value_double(env, a[0], &d);
  message_floors(get_state(env), d < 1 ? 1 : d > 1e6 ? 1000000 : (int)d, us);
  napi_create_array_with_length(env, 6, &arr);
  for (int i = 0; i < 6; i++) {
    napi_create_double(env, us[i], &v);
    napi_set_element(env, arr, (uint32_t)i, v);
  }
  return arr;
}

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  state *s = data;
  while (s->pooled > 0) xkey_free(&s->pool[--s->pooled]);
  EVP_MAC_CTX_free(s->hmac512);
  EVP_MAC_CTX_free(s->hmac3);
  EVP_MAC_free(s->mac);
  EVP_MD_CTX_free(s->md);
  EVP_MD_free(s->sha512);
  EVP_CIPHER_CTX_free(s->ecb_ctx);
  EVP_CIPHER_CTX_free(s->chacha_ctx);
  EVP_CIPHER_free(s->ecb);
  EVP_CIPHER_free(s->chacha);
  OPENSSL_cleanse(s->rand_priv, sizeof s->rand_priv);
  free(s);
}

static state *new_state(void) {
  state *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  s->hmac512 = s->mac ? hmac_ctx(s->mac, "SHA512") : NULL;
  s->hmac3 = s->mac ? hmac_ctx(s->mac, "SHA3-512") : NULL;
  s->sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
  s->md = EVP_MD_CTX_new();
  s->ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
  s->chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
  s->ecb_ctx = EVP_CIPHER_CTX_new();
  s->chacha_ctx = EVP_CIPHER_CTX_new();
  find_direct_x25519(s);
  static const uint8_t zero[32] = { 0 };
  if (!s->hmac512 || !s->hmac3 || !s->sha512 || !s->md || !s->ecb || !s->chacha || !s->ecb_ctx || !s->chacha_ctx ||
      !EVP_EncryptInit_ex2(s->ecb_ctx, s->ecb, zero, NULL, NULL) || !EVP_CIPHER_CTX_set_padding(s->ecb_ctx, 0) ||
      !EVP_EncryptInit_ex2(s->chacha_ctx, s->chacha, zero, zero, NULL)) {
    free_state(NULL, s, NULL);
    return NULL;
  }
  return s;
}

NAPI_MODULE_INIT() {
  __builtin_cpu_init();
  state *s = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1") ? new_state() : NULL;
  napi_value v;
  napi_get_boolean(env, s != NULL, &v);
  napi_set_named_property(env, exports, "available", v);
  if (!s) return exports;
  napi_set_instance_data(env, s, free_state, NULL);
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = { { "sealMessage", js_seal_message }, { "macOk", js_mac_ok }, { "ratchet", js_ratchet }, { "openMessage", js_open_message }, { "openWire", js_open_wire }, { "refill", js_refill },
                 { "privateKey", js_private_key }, { "publicKey", js_public_key }, { "dropKey", js_drop_key }, { "floors", js_floors },
                 { "x25519Path", js_x25519_path }, { "timeCalls", js_time_calls } };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &v);
    napi_set_named_property(env, exports, fns[i].name, v);
  }
  return exports;
}
