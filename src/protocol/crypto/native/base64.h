// Standard base64 with padding (RFC 4648 §4, WIRE-NOTES §1) for message.c:
// the encoder of the outer message, and the strict decoder of received fields.
#ifndef PQCHAT_BASE64_H
#define PQCHAT_BASE64_H
#include <stddef.h>
#include <stdint.h>

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

// The value of each base64 character, -1 for any other byte (a table: the decoder reads ~1 KB per message).
static const int8_t B64_VALUE[256] = {
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
  52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
  -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
  15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
  -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
  41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static int b64_value(uint8_t c) {
  return B64_VALUE[c];
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

#endif
