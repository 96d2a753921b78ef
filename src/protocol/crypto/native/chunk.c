// The double AEAD open of one big FILE_CHUNK ciphertext (WIRE-NOTES §6.3, §8.5)
// in place: the plaintext lands in the ciphertext's own memory, so a received
// 1 MiB chunk costs no fresh buffer; and the seal of one the same way, the
// ciphertext written over the padded plaintext in the frame being built (node:crypto's cipher output cannot be given
// a destination, and on this project's virtual machines fresh pages cost more
// than the AES). Used by src/protocol/crypto/chunk-native.ts; the caller derives
// the two layers' keys and nonces (aead.ts deriveAeadKeys). Every primitive is
// OpenSSL's, the one the node binary carries and exports (ChaCha20-Poly1305,
// AES-256-ECB); the GCM-SIV keys and tag are gcmsiv-core.h. Without it (no compiler, no
// PCLMULQDQ, PQCHAT_AEAD=wasm|noble) the TypeScript path opens and copies.
//
// Secrets: the per-nonce GCM-SIV keys and the keystream live on this stack and
// are cleansed before return; on any refusal the whole buffer is cleansed, so
// nothing of an unauthenticated plaintext stays behind. Tags compare with
// CRYPTO_memcmp (constant time); the padding check does not branch on the data.
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include "gcmsiv-core.h"
#include "napi-bytes.h"

typedef struct {
  EVP_CIPHER *ecb, *chacha;
  EVP_CIPHER_CTX *ecb_ctx, *chacha_ctx;
} state;

/** Keystream produced per ECB call (on the stack). */
#define KS_BLOCK 4096

// RFC 8452 §4: buf ^= AES-CTR(enc, tag | 0x80...) in place, len a multiple of 16.
CLMUL static int gcmsiv_ctr(state *s, const uint8_t enc[32], const uint8_t tag[16], uint8_t *buf, size_t len) {
  uint8_t ks[KS_BLOCK];
  __m128i b = _mm_loadu_si128((const __m128i *)tag);
  b = _mm_or_si128(b, _mm_set_epi32((int)0x80000000, 0, 0, 0));
  const __m128i one = _mm_set_epi32(0, 0, 0, 1);
  int ok = 1;
  for (size_t off = 0; ok && off < len; off += KS_BLOCK) {
    size_t n = len - off < KS_BLOCK ? len - off : KS_BLOCK;
    for (size_t i = 0; i < n; i += 16) {
      _mm_storeu_si128((__m128i *)(ks + i), b);
      b = _mm_add_epi32(b, one); // the low 32 bits count, wrapping (RFC 8452 §4)
    }
    ok = gcmsiv_ecb(s->ecb_ctx, enc, ks, ks, n);
    for (size_t i = 0; i < n; i += 16) {
      __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(buf + off + i)), _mm_loadu_si128((const __m128i *)(ks + i)));
      _mm_storeu_si128((__m128i *)(buf + off + i), x);
    }
  }
  OPENSSL_cleanse(ks, sizeof ks);
  return ok;
}

// RFC 8439 open in place: buf = ct || tag (len bytes) becomes the plaintext (len - 16 bytes); 0 on a bad tag.
static int chacha_open(state *s, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t al, uint8_t *buf, size_t len) {
  EVP_CIPHER_CTX *c = s->chacha_ctx;
  int ol = 0, fl = 0;
  uint8_t tag[16];
  memcpy(tag, buf + len - 16, 16);
  return EVP_DecryptInit_ex2(c, NULL, key, nonce, NULL) && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0 && EVP_DecryptUpdate(c, NULL, &ol, aad, (int)al) &&
         EVP_DecryptUpdate(c, buf, &ol, buf, (int)(len - 16)) && EVP_DecryptFinal_ex(c, buf + ol, &fl) > 0;
}

// RFC 8439 seal in place: buf (len bytes) becomes the ciphertext and the tag is written at buf + len.
static int chacha_seal(state *s, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t al, uint8_t *buf, size_t len) {
  EVP_CIPHER_CTX *c = s->chacha_ctx;
  int ol = 0, fl = 0;
  return EVP_EncryptInit_ex2(c, NULL, key, nonce, NULL) && EVP_EncryptUpdate(c, NULL, &ol, aad, (int)al) && EVP_EncryptUpdate(c, buf, &ol, buf, (int)len) &&
         EVP_EncryptFinal_ex(c, buf + ol, &fl) && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, buf + len) > 0;
}

// WIRE-NOTES §6.3 DoubleEncryptor in place: buf holds the padded plaintext (pl bytes, a multiple of 64) with room for 32
// more, and becomes ChaCha20-Poly1305(AES-256-GCM-SIV(plaintext) || its tag) || its tag. 1, or 0 with buf cleansed.
CLMUL static int double_seal(state *s, const uint8_t kaes[32], const uint8_t kcha[32], const uint8_t n1[12], const uint8_t n2[12], const uint8_t *aad, size_t al, uint8_t *buf,
                             size_t pl) {
  uint8_t auth[16], enc[32], tag[16];
  int ok = gcmsiv_keys(s->ecb_ctx, kaes, n1, auth, enc) && gcmsiv_tag(s->ecb_ctx, auth, enc, n1, aad, al, buf, pl, tag) && gcmsiv_ctr(s, enc, tag, buf, pl);
  if (ok) {
    memcpy(buf + pl, tag, 16);
    ok = chacha_seal(s, kcha, n2, aad, al, buf, pl + 16);
  }
  if (!ok) OPENSSL_cleanse(buf, pl + 32);
  OPENSSL_cleanse(auth, sizeof auth);
  OPENSSL_cleanse(enc, sizeof enc);
  return ok;
}

// WIRE-NOTES §6.3 DoubleDecryptor in place over buf (len bytes): the unpadded plaintext length, or -1 for any tag or padding failure
// (buf is then cleansed). The outer layer's tag is checked before anything of the inner layer is computed.
CLMUL static long double_open(state *s, const uint8_t kaes[32], const uint8_t kcha[32], const uint8_t n1[12], const uint8_t n2[12], const uint8_t *aad, size_t al, uint8_t *buf,
                              size_t len) {
  if (len < 32 + 64 || (len - 32) % 64 != 0 || len > (size_t)1 << 30) {
    OPENSSL_cleanse(buf, len);
    return -1;
  }
  size_t pl = len - 32;
  uint8_t auth[16], enc[32], tag[16], want[16];
  long r = -1;
  if (chacha_open(s, kcha, n2, aad, al, buf, len) && gcmsiv_keys(s->ecb_ctx, kaes, n1, auth, enc)) {
    memcpy(want, buf + pl, 16);
    if (gcmsiv_ctr(s, enc, want, buf, pl) && gcmsiv_tag(s->ecb_ctx, auth, enc, n1, aad, al, buf, pl, tag) && CRYPTO_memcmp(tag, want, 16) == 0) {
      // Strict PKCS#7 over 64-byte blocks (WIRE-NOTES §6.3), after both tags verified.
      uint8_t v = buf[pl - 1], bad = (uint8_t)(v < 1 || v > 64);
      for (size_t i = 0; i < 64; i++) bad |= (uint8_t)((i < v) & (buf[pl - 1 - i] != v));
      if (!bad) r = (long)(pl - v);
    }
  }
  if (r < 0) OPENSSL_cleanse(buf, len);
  OPENSSL_cleanse(auth, sizeof auth);
  OPENSSL_cleanse(enc, sizeof enc);
  return r;
}

// ---------------------------------------------------------------- N-API glue

// The six arguments of openInPlace and sealInPlace: (aesKey32, chachaKey32, aesNonce12, chachaNonce12, aad, buf).
typedef struct {
  state *s;
  uint8_t *kaes, *kcha, *n1, *n2, *aad, *buf;
  size_t al, bl;
} chunk_args;

// 0 with a pending JavaScript exception when an argument does not qualify.
static int chunk_args_of(napi_env env, napi_callback_info info, const char *usage, chunk_args *a) {
  napi_value argv[6];
  size_t argc = 6, l;
  a->s = NULL;
  napi_get_instance_data(env, (void **)&a->s);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return uint8_arg(env, argv[0], &a->kaes, &l, 32) && uint8_arg(env, argv[1], &a->kcha, &l, 32) && uint8_arg(env, argv[2], &a->n1, &l, 12) &&
         uint8_arg(env, argv[3], &a->n2, &l, 12) && uint8_arg(env, argv[4], &a->aad, &a->al, 0) && uint8_arg(env, argv[5], &a->buf, &a->bl, 0);
}

// openInPlace(aesKey32, chachaKey32, aesNonce12, chachaNonce12, aad, buf) -> plaintext length at buf[0..], or -1 (refused; buf cleansed).
static napi_value js_open_in_place(napi_env env, napi_callback_info info) {
  chunk_args a;
  napi_value result;
  if (!chunk_args_of(env, info, "openInPlace(aesKey, chachaKey, aesNonce, chachaNonce, aad, buf)", &a)) return NULL;
  napi_create_double(env, (double)double_open(a.s, a.kaes, a.kcha, a.n1, a.n2, a.aad, a.al, a.buf, a.bl), &result);
  return result;
}

// sealInPlace(aesKey32, chachaKey32, aesNonce12, chachaNonce12, aad, buf) -> true, or false (OpenSSL refused; buf cleansed).
// buf: the padded plaintext in its first buf.length - 32 bytes (a positive multiple of 64); the sealed chunk fills it whole.
static napi_value js_seal_in_place(napi_env env, napi_callback_info info) {
  chunk_args a;
  napi_value result;
  if (!chunk_args_of(env, info, "sealInPlace(aesKey, chachaKey, aesNonce, chachaNonce, aad, buf)", &a)) return NULL;
  if (a.bl < 32 + 64 || (a.bl - 32) % 64 != 0 || a.bl > (size_t)1 << 30) {
    napi_throw_range_error(env, NULL, "the buffer must hold a padded plaintext (a positive multiple of 64 bytes) and 32 bytes more");
    return NULL;
  }
  napi_get_boolean(env, double_seal(a.s, a.kaes, a.kcha, a.n1, a.n2, a.aad, a.al, a.buf, a.bl - 32), &result);
  return result;
}

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  state *s = data;
  EVP_CIPHER_CTX_free(s->ecb_ctx);
  EVP_CIPHER_CTX_free(s->chacha_ctx);
  EVP_CIPHER_free(s->ecb);
  EVP_CIPHER_free(s->chacha);
  free(s);
}

// One set of OpenSSL contexts per thread that loads the addon (Node-API instance data).
static state *new_state(void) {
  state *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
  s->chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
  s->ecb_ctx = EVP_CIPHER_CTX_new();
  s->chacha_ctx = EVP_CIPHER_CTX_new();
  static const uint8_t zero[32] = { 0 };
  if (!s->ecb || !s->chacha || !s->ecb_ctx || !s->chacha_ctx || !EVP_EncryptInit_ex2(s->ecb_ctx, s->ecb, zero, NULL, NULL) || !EVP_CIPHER_CTX_set_padding(s->ecb_ctx, 0) ||
      !EVP_DecryptInit_ex2(s->chacha_ctx, s->chacha, zero, zero, NULL)) {
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
  napi_create_function(env, "openInPlace", NAPI_AUTO_LENGTH, js_open_in_place, NULL, &v);
  napi_set_named_property(env, exports, "openInPlace", v);
  napi_create_function(env, "sealInPlace", NAPI_AUTO_LENGTH, js_seal_in_place, NULL, &v);
  napi_set_named_property(env, exports, "sealInPlace", v);
  return exports;
}
