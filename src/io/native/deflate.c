// gzip members with libdeflate, which compresses about twice and inflates
// about two to three times as fast as zlib at the same level and ratio. Used by
// deflate.ts: the sender's gzip members (gzip-members.ts, on worker threads)
// and the receiver's member-at-a-time gunzip (member-gunzip.ts), which hands
// anything libdeflate cannot take whole to node:zlib. libdeflate works on whole
// buffers, never streams, and never allocates beyond its (de)compressor
// objects. Built by scripts/build-native.mjs where libdeflate's header and
// library are present (Debian: libdeflate-dev); without it pqchat uses
// node:zlib.
#include <libdeflate.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVEL 12

// One per Node environment (the main thread and each worker thread load the
// addon separately), so nothing here is shared between threads.
typedef struct {
  struct libdeflate_compressor* compressors[MAX_LEVEL + 1];
  struct libdeflate_decompressor* decompressor;
  // Compressed output before it is copied out at its exact size.
  unsigned char* scratch;
  size_t scratch_len;
} State;

static void free_state(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  State* s = data;
  for (int i = 0; i <= MAX_LEVEL; i++)
    if (s->compressors[i]) libdeflate_free_compressor(s->compressors[i]);
  if (s->decompressor) libdeflate_free_decompressor(s->decompressor);
  free(s->scratch);
  free(s);
}

static State* state(napi_env env) {
  void* data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

// The bytes of a TypedArray argument, or NULL with a TypeError thrown.
static unsigned char* bytes_of(napi_env env, napi_value v, size_t* len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return NULL;
  }
  napi_typedarray_type type;
  void* data = NULL;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &type, len, &data, &ab, &offset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return NULL;
  }
  // A zero-length view may have no backing memory; libdeflate still wants a valid pointer.
  static unsigned char empty;
  return data ? data : &empty;
}

// gzip(input, level): one gzip member holding `input`, in a new Buffer of its exact size.
static napi_value js_gzip(napi_env env, napi_callback_info info) {
  napi_value argv[2], result = NULL;
  size_t argc = 2;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "gzip(input, level)");
    return NULL;
  }
  size_t in_len = 0;
  unsigned char* in = bytes_of(env, argv[0], &in_len);
  if (!in) return NULL;
  int32_t level = -1;
  if (napi_get_value_int32(env, argv[1], &level) != napi_ok || level < 0 || level > MAX_LEVEL) {
    napi_throw_range_error(env, NULL, "level must be an integer 0..12");
    return NULL;
  }
  State* s = state(env);
  if (!s->compressors[level]) s->compressors[level] = libdeflate_alloc_compressor(level);
  struct libdeflate_compressor* c = s->compressors[level];
  if (!c) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  size_t bound = libdeflate_gzip_compress_bound(c, in_len);
  if (s->scratch_len < bound) {
    unsigned char* p = realloc(s->scratch, bound);
    if (!p) {
      napi_throw_error(env, NULL, "out of memory");
      return NULL;
    }
    s->scratch = p;
    s->scratch_len = bound;
  }
  size_t n = libdeflate_gzip_compress(c, in, in_len, s->scratch, bound);
  if (n == 0) {
    napi_throw_error(env, NULL, "libdeflate could not compress the block");
    return NULL;
  }
  void* copy = NULL;
  if (napi_create_buffer_copy(env, n, s->scratch, &copy, &result) != napi_ok) return NULL;
  return result;
}

// gunzip(input, out): decodes the gzip member at the start of `input` into
// `out`. Returns [status, bytes of input used, bytes of out written]; status 0
// is success, 1 bad or incomplete data, 3 `out` too small (libdeflate's
// codes). Never writes past `out`; `out` is undefined unless status is 0.
static napi_value js_gunzip(napi_env env, napi_callback_info info) {
  napi_value argv[2], result = NULL, v;
  size_t argc = 2;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "gunzip(input, out)");
    return NULL;
  }
  size_t in_len = 0, out_len = 0;
  unsigned char* in = bytes_of(env, argv[0], &in_len);
  if (!in) return NULL;
  unsigned char* out = bytes_of(env, argv[1], &out_len);
  if (!out) return NULL;
  State* s = state(env);
  if (!s->decompressor) s->decompressor = libdeflate_alloc_decompressor();
  if (!s->decompressor) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  size_t used_in = 0, used_out = 0;
  enum libdeflate_result r = in_len == 0 ? LIBDEFLATE_BAD_DATA : libdeflate_gzip_decompress_ex(s->decompressor, in, in_len, out, out_len, &used_in, &used_out);
  if (r != LIBDEFLATE_SUCCESS) used_in = used_out = 0;
  napi_create_array_with_length(env, 3, &result);
  napi_create_int32(env, (int32_t)r, &v);
  napi_set_element(env, result, 0, v);
  napi_create_double(env, (double)used_in, &v);
  napi_set_element(env, result, 1, v);
  napi_create_double(env, (double)used_out, &v);
  napi_set_element(env, result, 2, v);
  return result;
}

NAPI_MODULE_INIT() {
  State* s = calloc(1, sizeof(State));
  if (!s || napi_set_instance_data(env, s, free_state, NULL) != napi_ok) {
    free(s);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_value fn;
  napi_create_function(env, "gzip", NAPI_AUTO_LENGTH, js_gzip, NULL, &fn);
  napi_set_named_property(env, exports, "gzip", fn);
  napi_create_function(env, "gunzip", NAPI_AUTO_LENGTH, js_gunzip, NULL, &fn);
  napi_set_named_property(env, exports, "gunzip", fn);
  return exports;
}
