// POLYVAL (RFC 8452 §3) with PCLMULQDQ, shared by the two addons that need it
// (polyval.c, message.c). Constant time: PCLMULQDQ has data-independent
// timing, and nothing here branches on or indexes memory by key or data bytes.
//
// The multiply and its Montgomery reduction by x^128 modulo
// x^128 + x^127 + x^126 + x^121 + 1 follow Gueron and Lindell's AES-GCM-SIV
// reference code (POLYVAL is the little-endian sibling of GHASH, so no byte
// or bit reflection is needed). Eight blocks are multiplied by H^8..H^1 and
// reduced once, as in their aggregated implementation.
#ifndef PQCHAT_POLYVAL_CORE_H
#define PQCHAT_POLYVAL_CORE_H
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define CLMUL __attribute__((target("pclmul,sse2,ssse3,sse4.1")))
#define AGG 8

typedef struct { __m128i lo, mid, hi; } wide;

CLMUL static inline void mul_acc(wide *acc, __m128i a, __m128i b) {
  acc->lo = _mm_xor_si128(acc->lo, _mm_clmulepi64_si128(a, b, 0x00));
  acc->hi = _mm_xor_si128(acc->hi, _mm_clmulepi64_si128(a, b, 0x11));
  acc->mid = _mm_xor_si128(acc->mid, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01),
                                                   _mm_clmulepi64_si128(a, b, 0x10)));
}

CLMUL static inline __m128i reduce(wide w) {
  const __m128i poly = _mm_set_epi32((int)0xc2000000, 0, 0, 1);
  __m128i lo = _mm_xor_si128(w.lo, _mm_slli_si128(w.mid, 8));
  __m128i hi = _mm_xor_si128(w.hi, _mm_srli_si128(w.mid, 8));
  __m128i t = _mm_clmulepi64_si128(lo, poly, 0x10);
  lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 78), t);
  t = _mm_clmulepi64_si128(lo, poly, 0x10);
  lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 78), t);
  return _mm_xor_si128(lo, hi);
}

CLMUL static inline __m128i dot(__m128i a, __m128i b) {
  wide w = { _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128() };
  mul_acc(&w, a, b);
  return reduce(w);
}

static void wipe(void *p, size_t n) {
  volatile uint8_t *v = (volatile uint8_t *)p;
  while (n--) *v++ = 0;
}

// s = POLYVAL update over data (zero-padded to whole blocks) under h.
CLMUL static void polyval_update(uint8_t s[16], const uint8_t h[16], const uint8_t *data, size_t len) {
  __m128i pow[AGG]; // pow[i] = H^(i+1)
  __m128i acc = _mm_loadu_si128((const __m128i *)s);
  pow[0] = _mm_loadu_si128((const __m128i *)h);
  size_t full = len / 16;
  if (full >= AGG) {
    for (int i = 1; i < AGG; i++) pow[i] = dot(pow[i - 1], pow[0]);
    while (full >= AGG) {
      wide w = { _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128() };
      mul_acc(&w, _mm_xor_si128(acc, _mm_loadu_si128((const __m128i *)data)), pow[AGG - 1]);
      for (int i = 1; i < AGG; i++) mul_acc(&w, _mm_loadu_si128((const __m128i *)(data + 16 * i)), pow[AGG - 1 - i]);
      acc = reduce(w);
      data += 16 * AGG;
      full -= AGG;
    }
  }
  for (; full > 0; full--, data += 16) acc = dot(_mm_xor_si128(acc, _mm_loadu_si128((const __m128i *)data)), pow[0]);
  size_t tail = len % 16;
  if (tail) {
    uint8_t last[16] = { 0 };
    memcpy(last, data, tail);
    acc = dot(_mm_xor_si128(acc, _mm_loadu_si128((const __m128i *)last)), pow[0]);
    wipe(last, sizeof last);
  }
  _mm_storeu_si128((__m128i *)s, acc);
  wipe(pow, sizeof pow);
}

#endif
