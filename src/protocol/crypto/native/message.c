// One ENCRYPTED_MESSAGE in one native call (src/protocol/crypto/message-native.ts):
// the sender's whole WIRE-NOTES §6 (fresh X25519 key, DH with the peer's
// session key, the chain step of WIRE-NOTES §6.2, the double AEAD of WIRE-NOTES
// §6.3, the HMAC of WIRE-NOTES §6.5 and the outer JSON of WIRE-NOTES §6.6), and
// on the receiving side the HMAC check,
// the ratchet and the message key with the double AEAD open (WIRE-NOTES §7).
// Every primitive is OpenSSL's, the one the node binary carries and exports
// (EVP HMAC, SHA-512, SHA3-512, AES-256, ChaCha20-Poly1305, X25519, RAND);
// POLYVAL is polyval-core.h. The TypeScript path (session.ts over kdf.ts and
// aead.ts) stays the fallback and the oracle of the differential tests.
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
#include <dlfcn.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "napi-bytes.h"
#include "polyval-core.h"

#define POOL_MAX 64

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
} state;

// ---------------------------------------------------------------- primitives

static EVP_MAC_CTX *hmac_ctx(EVP_MAC *mac, const char *digest) {
  EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
  if (!c) return NULL;
  OSSL_PARAM p[2] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0), OSSL_PARAM_construct_end() };
  if (!EVP_MAC_CTX_set_params(c, p)) {
    EVP_MAC_CTX_free(c);
    return NULL;
  }
  return c;
}

// out (64 bytes) = HMAC(key, a || b || c); any part may be empty.
static int hmac3(EVP_MAC_CTX *c, const uint8_t *key, size_t klen, const uint8_t *a, size_t al, const uint8_t *b, size_t bl, const uint8_t *d, size_t dl, uint8_t out[64]) {
  size_t ol = 0;
  return EVP_MAC_init(c, key, klen, NULL) && (al == 0 || EVP_MAC_update(c, a, al)) && (bl == 0 || EVP_MAC_update(c, b, bl)) &&
         (dl == 0 || EVP_MAC_update(c, d, dl)) && EVP_MAC_final(c, out, &ol, 64) && ol == 64;
}

static const uint8_t ONE = 1;

// RFC 5869 HKDF-SHA-512 for one output block (every SCP length fits one, WIRE-NOTES §6.2).
static int hkdf512(state *s, const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il, const char *info, uint8_t out[64]) {
  uint8_t prk[64];
  int ok = hmac3(s->hmac512, salt, sl, ikm, il, NULL, 0, NULL, 0, prk) &&
           hmac3(s->hmac512, prk, 64, (const uint8_t *)info, strlen(info), &ONE, 1, NULL, 0, out);
  OPENSSL_cleanse(prk, sizeof prk);
  return ok;
}

static void le64(uint8_t out[8], uint64_t n) {
  for (int i = 0; i < 8; i++) out[i] = (uint8_t)(n >> (8 * i));
}

// WIRE-NOTES §6.2: the message key of counter n and (if next) the ratchet.
static int chain_step(state *s, const uint8_t *ck, size_t ckl, const uint8_t dh[32], uint64_t n, uint8_t key[32], uint8_t *next) {
  char info[48];
  uint8_t salt[8], mixed[64], t[64];
  le64(salt, n);
  int ok;
  snprintf(info, sizeof info, "dr_mix_%llu", (unsigned long long)n);
  ok = hkdf512(s, ck, ckl, dh, 32, info, mixed);
  snprintf(info, sizeof info, "message_key_%llu", (unsigned long long)n);
  ok = ok && hkdf512(s, salt, 8, mixed, 64, info, t);
  if (ok) memcpy(key, t, 32);
  if (ok && next) {
    snprintf(info, sizeof info, "chain_key_%llu", (unsigned long long)n);
    ok = hkdf512(s, salt, 8, ck, ckl, info, t);
    if (ok) memcpy(next, t, 32);
  }
  OPENSSL_cleanse(mixed, sizeof mixed);
  OPENSSL_cleanse(t, sizeof t);
  return ok;
}

static int ecb(state *s, const uint8_t key[32], const uint8_t *in, uint8_t *out, size_t len) {
  int ol = 0;
  return EVP_EncryptInit_ex2(s->ecb_ctx, NULL, key, NULL, NULL) && EVP_EncryptUpdate(s->ecb_ctx, out, &ol, in, (int)len) && (size_t)ol == len;
}

// RFC 8452 §4: per-nonce keys, the tag over aad and pt, and the CTR keystream XOR.
CLMUL static int gcmsiv_keys(state *s, const uint8_t key[32], const uint8_t nonce[12], uint8_t auth[16], uint8_t enc[32]) {
  uint8_t in[96] = { 0 }, out[96];
  for (int i = 0; i < 6; i++) {
    in[16 * i] = (uint8_t)i;
    memcpy(in + 16 * i + 4, nonce, 12);
  }
  int ok = ecb(s, key, in, out, 96);
  for (int i = 0; i < 2; i++) memcpy(auth + 8 * i, out + 16 * i, 8);
  for (int i = 0; i < 4; i++) memcpy(enc + 8 * i, out + 16 * (i + 2), 8);
  OPENSSL_cleanse(out, sizeof out);
  return ok;
}

CLMUL static int gcmsiv_tag(state *s, const uint8_t auth[16], const uint8_t enc[32], const uint8_t nonce[12], const uint8_t *aad, size_t al, const uint8_t *pt, size_t pl, uint8_t tag[16]) {
  uint8_t st[16] = { 0 }, lens[16];
  polyval_update(st, auth, aad, al);
  polyval_update(st, auth, pt, pl);
  le64(lens, (uint64_t)al * 8);
  le64(lens + 8, (uint64_t)pl * 8);
  polyval_update(st, auth, lens, 16);
  for (int i = 0; i < 12; i++) st[i] ^= nonce[i];
  st[15] &= 0x7f;
  int ok = ecb(s, enc, st, tag, 16);
  OPENSSL_cleanse(st, sizeof st);
  return ok;
}

// out = in XOR AES-CTR(enc, tag | 0x80...), len a multiple of 16 here (padded plaintexts).
CLMUL static int gcmsiv_ctr(state *s, const uint8_t enc[32], const uint8_t tag[16], const uint8_t *in, uint8_t *out, size_t len) {
  uint8_t *ks = calloc(len ? len : 16, 1);
  if (!ks) return 0;
  __m128i b = _mm_loadu_si128((const __m128i *)tag);
  b = _mm_or_si128(b, _mm_set_epi32((int)0x80000000, 0, 0, 0));
  const __m128i one = _mm_set_epi32(0, 0, 0, 1);
  for (size_t off = 0; off < len; off += 16) {
    _mm_storeu_si128((__m128i *)(ks + off), b);
    b = _mm_add_epi32(b, one);
  }
  int ok = ecb(s, enc, ks, ks, len);
  for (size_t i = 0; i < len; i++) out[i] = in[i] ^ ks[i];
  OPENSSL_cleanse(ks, len);
  free(ks);
  return ok;
}

// ChaCha20-Poly1305 (RFC 8439): sealed = ct || tag; open returns 0 on a bad tag.
static int chacha_seal(state *s, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t al, const uint8_t *in, size_t len, uint8_t *out) {
  EVP_CIPHER_CTX *c = s->chacha_ctx;
  int ol = 0, fl = 0;
  return EVP_EncryptInit_ex2(c, NULL, key, nonce, NULL) && EVP_EncryptUpdate(c, NULL, &ol, aad, (int)al) && EVP_EncryptUpdate(c, out, &ol, in, (int)len) &&
         EVP_EncryptFinal_ex(c, out + ol, &fl) && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + len) > 0;
}

static int chacha_open(state *s, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t al, const uint8_t *in, size_t len, uint8_t *out) {
  EVP_CIPHER_CTX *c = s->chacha_ctx;
  int ol = 0, fl = 0;
  if (len < 16) return 0;
  return EVP_DecryptInit_ex2(c, NULL, key, nonce, NULL) && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(in + len - 16)) > 0 &&
         EVP_DecryptUpdate(c, NULL, &ol, aad, (int)al) && EVP_DecryptUpdate(c, out, &ol, in, (int)(len - 16)) && EVP_DecryptFinal_ex(c, out + ol, &fl) > 0;
}

static const char AES_OTHERINFO[] = "AES_key_kdf";
static const char CHACHA_INFO[] = "ChaCha_key_hkdf";

// WIRE-NOTES §6.3 (errata 4): the two layers' keys and nonces from the message key.
static int aead_keys(state *s, const uint8_t mk[32], const uint8_t nonce[12], uint8_t kaes[32], uint8_t kcha[32], uint8_t n1[12], uint8_t n2[12]) {
  static const uint8_t counter_one[4] = { 0, 0, 0, 1 };
  uint8_t d[64];
  unsigned int dl = 0;
  int ok = EVP_DigestInit_ex2(s->md, s->sha512, NULL) && EVP_DigestUpdate(s->md, counter_one, 4) && EVP_DigestUpdate(s->md, mk + 16, 16) &&
           EVP_DigestUpdate(s->md, AES_OTHERINFO, sizeof AES_OTHERINFO - 1) && EVP_DigestFinal_ex(s->md, d, &dl);
  memcpy(kaes, d, 32);
  ok = ok && hmac3(s->hmac3, mk, 16, (const uint8_t *)CHACHA_INFO, sizeof CHACHA_INFO - 1, &ONE, 1, NULL, 0, d);
  memcpy(kcha, d, 32);
  for (int i = 0; i < 12; i++) {
    n1[i] = nonce[i] ^ mk[i];
    n2[i] = n1[i] ^ mk[20 + i];
  }
  OPENSSL_cleanse(d, sizeof d);
  return ok;
}

// WIRE-NOTES §6.3 DoubleEncryptor: out gets 64*floor(len/64) + 96 bytes.
CLMUL static int double_seal(state *s, const uint8_t mk[32], const uint8_t nonce[12], const uint8_t *pt, size_t len, const uint8_t *aad, size_t al, uint8_t *out) {
  uint8_t kaes[32], kcha[32], n1[12], n2[12], auth[16], enc[32], tag[16];
  size_t v = 64 - len % 64, pl = len + v;
  uint8_t *padded = malloc(pl + 16);
  if (!padded) return 0;
  memcpy(padded, pt, len);
  memset(padded + len, (int)v, v);
  int ok = aead_keys(s, mk, nonce, kaes, kcha, n1, n2) && gcmsiv_keys(s, kaes, n1, auth, enc) && gcmsiv_tag(s, auth, enc, n1, aad, al, padded, pl, tag) &&
           gcmsiv_ctr(s, enc, tag, padded, padded, pl);
  memcpy(padded + pl, tag, 16);
  ok = ok && chacha_seal(s, kcha, n2, aad, al, padded, pl + 16, out);
  OPENSSL_cleanse(padded, pl + 16);
  free(padded);
  OPENSSL_cleanse(kaes, 32);
  OPENSSL_cleanse(kcha, 32);
  OPENSSL_cleanse(auth, 16);
  OPENSSL_cleanse(enc, 32);
  return ok;
}

// Opens into out (len - 32 bytes); the plaintext length, or -1 for any tag or padding failure (out is then cleansed).
CLMUL static long double_open(state *s, const uint8_t mk[32], const uint8_t nonce[12], const uint8_t *ct, size_t len, const uint8_t *aad, size_t al, uint8_t *out) {
  if (len < 32 + 64 || (len - 32) % 64 != 0) return -1;
  uint8_t kaes[32], kcha[32], n1[12], n2[12], auth[16], enc[32], tag[16];
  size_t pl = len - 32;
  uint8_t *inner = malloc(pl + 16);
  if (!inner) return -1;
  long r = -1;
  if (aead_keys(s, mk, nonce, kaes, kcha, n1, n2) && chacha_open(s, kcha, n2, aad, al, ct, len, inner) && gcmsiv_keys(s, kaes, n1, auth, enc) &&
      gcmsiv_ctr(s, enc, inner + pl, inner, out, pl) && gcmsiv_tag(s, auth, enc, n1, aad, al, out, pl, tag) && CRYPTO_memcmp(tag, inner + pl, 16) == 0) {
    // Strict PKCS#7 over 64-byte blocks (WIRE-NOTES §6.3), after both tags verified.
    uint8_t v = out[pl - 1], bad = (uint8_t)(v < 1 || v > 64);
    for (size_t i = 0; i < 64; i++) bad |= (uint8_t)((i < v) & (out[pl - 1 - i] != v));
    if (!bad) r = (long)(pl - v);
  }
  if (r < 0) OPENSSL_cleanse(out, pl);
  OPENSSL_cleanse(inner, pl + 16);
  free(inner);
  OPENSSL_cleanse(kaes, 32);
  OPENSSL_cleanse(kcha, 32);
  OPENSSL_cleanse(auth, 16);
  OPENSSL_cleanse(enc, 32);
  return r;
}

static size_t b64(const uint8_t *in, size_t n, char *out) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = A[v >> 18];
    out[o++] = A[(v >> 12) & 63];
    out[o++] = A[(v >> 6) & 63];
    out[o++] = A[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
    out[o++] = A[v >> 18];
    out[o++] = A[(v >> 12) & 63];
    out[o++] = i + 1 < n ? A[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  return o;
}

static int b64_value(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
}

// Strict base64 (RFC 4648 §4, WIRE-NOTES §1), as bytes.ts b64decodeStrict:
// only the string the encoder gives for the decoded bytes — a multiple of 4
// characters of the standard alphabet, 1 or 2 '=' only at the end, unused
// bits zero. The decoded length, or -1. out holds at least 3*n/4 bytes.
static long b64_strict(const uint8_t *in, size_t n, uint8_t *out) {
  if (n % 4) return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int last = i + 4 == n, a = b64_value(in[i]), b = b64_value(in[i + 1]), c = b64_value(in[i + 2]), d = b64_value(in[i + 3]);
    if (a < 0 || b < 0) return -1;
    out[o++] = (uint8_t)(a << 2 | b >> 4);
    if (last && in[i + 2] == '=' && in[i + 3] == '=') return (b & 15) ? -1 : (long)o;
    if (c < 0) return -1;
    out[o++] = (uint8_t)((b & 15) << 4 | c >> 2);
    if (last && in[i + 3] == '=') return (c & 3) ? -1 : (long)o;
    if (d < 0) return -1;
    out[o++] = (uint8_t)((c & 3) << 6 | d);
  }
  return (long)o;
}

// ---------------------------------------------------------------- X25519 (SPEC §8.1, WIRE-NOTES §6.2)

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
    else if (RAND_priv_bytes(x->raw, 32) <= 0) return 0;
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
  uint8_t *ck, *hk, *pt, *out, *next, *sp = NULL, *sn = NULL;
  size_t ckl, hkl, ptl, outl, nl, l;
  uint64_t n;
  xkey *peer;
  if (!uint8_arg(env, a[0], &ck, &ckl, 0) || !counter(env, a[1], &n) || !(peer = handle_arg(env, a[2], 2)) || !uint8_arg(env, a[3], &hk, &hkl, 0) ||
      !uint8_arg(env, a[4], &pt, &ptl, 0) || !uint8_arg(env, a[5], &out, &outl, 0) || !uint8_arg(env, a[6], &next, &nl, 32))
    return NULL;
  if (!is_null(env, a[7]) && !uint8_arg(env, a[7], &sp, &l, 32)) return NULL;
  if (!is_null(env, a[8]) && !uint8_arg(env, a[8], &sn, &l, 12)) return NULL;
  if (ckl != 32 && ckl != 64) {
    napi_throw_range_error(env, NULL, "chain key must be 32 or 64 bytes");
    return NULL;
  }
  size_t ctl = ptl / 64 * 64 + 96;
  // WIRE-NOTES §4.5: 245 + len(dec(counter)) + 4*ceil(C/3) bytes.
  char num_s[24];
  int digits = snprintf(num_s, sizeof num_s, "%llu", (unsigned long long)n);
  size_t need = 245 + (size_t)digits + 4 * ((ctl + 2) / 3);
  if (outl < need) {
    napi_throw_range_error(env, NULL, "output buffer too small");
    return NULL;
  }
  // Draw order as the reference: ephemeral key, then nonce (WIRE-NOTES §6.2).
  // Each ephemeral key is used for this one message and freed (cleansed) at once (WIRE-NOTES §6.2).
  xkey eph;
  int have = sp ? xkey_ephemeral(s, &eph, sp) : s->pooled > 0 ? (eph = s->pool[--s->pooled], OPENSSL_cleanse(&s->pool[s->pooled], sizeof eph), 1) : xkey_ephemeral(s, &eph, NULL);
  uint8_t nonce[12], ephpub[32], dh[32], mk[32], mac[64];
  if (have) memcpy(ephpub, eph.pub, 32);
  int ok = have && (sn ? (memcpy(nonce, sn, 12), 1) : RAND_bytes(nonce, 12) > 0) && x25519_derive(s, &eph, peer, dh);
  if (have) xkey_free(&eph);
  ok = ok && chain_step(s, ck, ckl, dh, n, mk, next);
  OPENSSL_cleanse(dh, sizeof dh);
  char nb[16], eb[44];
  b64(nonce, 12, nb);
  b64(ephpub, 32, eb);
  // AAD (WIRE-NOTES §6.4) and HMAC input (WIRE-NOTES §6.5), byte-exact pyjson.
  char aad[160], hin[160];
  int al = snprintf(aad, sizeof aad, "{\"type\": 10, \"counter\": %s, \"nonce\": \"%.16s\", \"dh_public_key\": \"%.44s\"}", num_s, nb, eb);
  int hl = snprintf(hin, sizeof hin, "{\"counter\": %s, \"nonce\": \"%.16s\", \"dh_public_key\": \"%.44s\"}", num_s, nb, eb);
  uint8_t *ct = malloc(ctl);
  ok = ok && ct && double_seal(s, mk, nonce, pt, ptl, (const uint8_t *)aad, (size_t)al, ct);
  OPENSSL_cleanse(mk, sizeof mk);
  ok = ok && hmac3(s->hmac512, hk, hkl, (const uint8_t *)hin, (size_t)hl, NULL, 0, NULL, 0, mac);
  size_t o = 0;
  if (ok) {
    char *w = (char *)out;
    o += (size_t)sprintf(w, "{\"type\": 10, \"counter\": %s, \"nonce\": \"%.16s\", \"ciphertext\": \"", num_s, nb);
    o += b64(ct, ctl, w + o);
    o += (size_t)sprintf(w + o, "\", \"dh_public_key\": \"%.44s\", \"verification\": \"", eb);
    o += b64(mac, 64, w + o);
    w[o++] = '"';
    w[o++] = '}';
  }
  free(ct);
  if (!ok) {
    OPENSSL_cleanse(next, 32);
    napi_throw_error(env, NULL, "X25519 or OpenSSL refused the message");
    return NULL;
  }
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

// openWire(chainKey, n, ownKey, hmacKey, nonceB64, ciphertextB64, ephB64, macB64, out, next) -> plaintext length,
// or what refused the message, in the order of WIRE-NOTES §7: -4 a field is not strict base64 and -5 the nonce or
// key has the wrong size (step 1), -3 the HMAC (step 2, before any ratchet work), -2 X25519 refused the ephemeral
// key (step 4), -1 the ciphertext or padding (step 6). On success, next gets the chain key after n (step 8).
CLMUL static napi_value js_open_wire(napi_env env, napi_callback_info info) {
  napi_value a[10];
  if (!argv_n(env, info, 10, a)) return NULL;
  state *s = get_state(env);
  xkey *own;
  uint8_t *ck, *hk, *out, *next, mk[32], dh[32], mac[64];
  size_t ckl, hkl, ol, nl;
  uint64_t n;
  wire_strings w;
  if (!uint8_arg(env, a[0], &ck, &ckl, 0) || !counter(env, a[1], &n) || !(own = handle_arg(env, a[2], 1)) || !uint8_arg(env, a[3], &hk, &hkl, 0) ||
      !uint8_arg(env, a[8], &out, &ol, 0) || !uint8_arg(env, a[9], &next, &nl, 32) || !wire_strings_get(env, a + 4, &w))
    return NULL;
  if (ckl != 32 && ckl != 64) {
    wire_strings_free(&w);
    napi_throw_range_error(env, NULL, "chain key must be 32 or 64 bytes");
    return NULL;
  }
  long r;
  char hin[160], aad[160];
  if (w.declen[0] < 0 || w.declen[1] < 0 || w.declen[2] < 0 || w.declen[3] < 0) {
    r = -4;
  } else if (w.declen[0] != 12 || w.declen[2] != 32) {
    r = -5;
  } else if (w.declen[1] >= 32 && ol < (size_t)w.declen[1] - 32) {
    wire_strings_free(&w);
    napi_throw_range_error(env, NULL, "output buffer too small");
    return NULL;
  } else {
    // HMAC input (WIRE-NOTES §6.5) and AAD (WIRE-NOTES §6.4, step 5) from the strings as received: strictly
    // decoded, they are the canonical encodings of the nonce and key (16 and 44 characters).
    int hl = snprintf(hin, sizeof hin, "{\"counter\": %llu, \"nonce\": \"%.16s\", \"dh_public_key\": \"%.44s\"}", (unsigned long long)n, (char *)w.str[0], (char *)w.str[2]);
    int al = snprintf(aad, sizeof aad, "{\"type\": 10, \"counter\": %llu, \"nonce\": \"%.16s\", \"dh_public_key\": \"%.44s\"}", (unsigned long long)n, (char *)w.str[0], (char *)w.str[2]);
    if (!hmac3(s->hmac512, hk, hkl, (const uint8_t *)hin, (size_t)hl, NULL, 0, NULL, 0, mac) || w.declen[3] != 64 || CRYPTO_memcmp(mac, w.dec[3], 64) != 0) {
      r = -3;
    } else if (!x25519_derive_raw(s, own, w.dec[2], dh)) {
      r = -2;
    } else {
      int ok = chain_step(s, ck, ckl, dh, n, mk, next);
      r = ok ? double_open(s, mk, w.dec[0], w.dec[1], (size_t)w.declen[1], (const uint8_t *)aad, (size_t)al, out) : -1;
      OPENSSL_cleanse(mk, sizeof mk);
    }
    OPENSSL_cleanse(dh, sizeof dh);
  }
  if (r < 0) OPENSSL_cleanse(next, 32);
  wire_strings_free(&w);
  return num(env, (double)r);
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

static double cpu_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

// floors(iterations) -> [keygen, dh, hkdf, hmac, seal, open]: CPU microseconds per call of each
// part on its own, with no JavaScript around it (bench/protocol.ts prints the floor of a message
// pair from these). Random keys, a 512-byte plaintext, counter 1.
CLMUL static napi_value js_floors(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!argv_n(env, info, 1, a)) return NULL;
  state *s = get_state(env);
  double d = 0;
  napi_get_value_double(env, a[0], &d);
  int n = d < 1 ? 1 : d > 1e6 ? 1000000 : (int)d;
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
  napi_value arr, v;
  napi_create_array_with_length(env, 6, &arr);
  for (int i = 0; i < 6; i++) {
    napi_create_double(env, (r[i] - (i ? r[i - 1] : t0)) / n, &v);
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
                 { "x25519Path", js_x25519_path } };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &v);
    napi_set_named_property(env, exports, fns[i].name, v);
  }
  return exports;
}
