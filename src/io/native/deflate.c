// gzip members with libdeflate, which compresses about twice and inflates
// about two to three times as fast as zlib at the same level and ratio. Used by
// deflate.ts: the sender's gzip members (gzip-members.ts, on libuv's thread
// pool through gzipAsync: no thread of our own to start) and the receiver's member-at-a-time gunzip (member-gunzip.ts), which hands
// anything libdeflate cannot take whole to node:zlib. libdeflate works on whole
// buffers, never streams, and never allocates beyond its (de)compressor
// objects. Built by scripts/build-native.mjs where libdeflate's header and
// library are present (Debian: libdeflate-dev); without it pqchat uses
// node:zlib. Where ISA-L is present too (Debian: libisal-dev), the build
// defines PQCHAT_IGZIP and one more level is offered, IGZIP_LEVEL: ISA-L's
// igzip at its level 3, which on prose compresses at 2 to 3 times the speed of
// libdeflate's level 1 for about 1 % less ratio. Its members are standard gzip
// members like the others (WIRE-NOTES §8.4).
#include <libdeflate.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef PQCHAT_IGZIP
#include <isa-l/igzip_lib.h>
#endif

#define MAX_LEVEL 12
// igzip's level 3 as a level number beside libdeflate's 0..12 (deflate.ts reads it from the addon).
#define IGZIP_LEVEL 103
// Where the engine pool keeps igzip's states: after libdeflate's levels.
#define IGZIP_SLOT (MAX_LEVEL + 1)
#define SLOTS (MAX_LEVEL + 2)

#ifdef PQCHAT_IGZIP
#define IGZIP_BUILT 1
typedef struct {
  struct isal_zstream stream;
  uint8_t level_buf[ISAL_DEF_LVL3_DEFAULT];
} Igzip;
#else
#define IGZIP_BUILT 0
#endif

// One per Node environment (the main thread and each worker thread load the
// addon separately), so nothing here is shared between threads.
typedef struct {
  struct libdeflate_decompressor* decompressor;
#ifdef PQCHAT_IGZIP
  struct inflate_state* inflater;
  // setIgzip(false): libdeflate decodes every member (PQCHAT_GZIP=libdeflate).
  int no_igzip;
#endif
  // Compressed output before it is copied out at its exact size.
  unsigned char* scratch;
  size_t scratch_len;
} State;

static void free_state(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  State* s = data;
  if (s->decompressor) libdeflate_free_decompressor(s->decompressor);
#ifdef PQCHAT_IGZIP
  free(s->inflater);
#endif
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

// A compression level argument (0..MAX_LEVEL, or IGZIP_LEVEL where built), or -1 with a RangeError thrown.
static int32_t level_arg(napi_env env, napi_value v) {
  int32_t level = -1;
  if (napi_get_value_int32(env, v, &level) != napi_ok || !((level >= 0 && level <= MAX_LEVEL) || (IGZIP_BUILT && level == IGZIP_LEVEL))) {
    napi_throw_range_error(env, NULL, IGZIP_BUILT ? "level must be an integer 0..12 or 103 (igzip)" : "level must be an integer 0..12");
    return -1;
  }
  return level;
}

// The compressors, shared by every thread: a job takes one of its level and
// gives it back. A compressor's tables are 50-160 pages that fault in on first
// use, at several microseconds each on the virtual machines this runs on; one
// per libuv pool thread and level (4 threads, 3 levels for a file's samples)
// cost more than compressing a 64 MiB file's samples. Shared, there are only
// as many per level as jobs of that level ever ran at once. At most POOL_KEEP
// per level are kept, for the life of the process.
#define POOL_KEEP 4
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void* pool_free[SLOTS][POOL_KEEP];
static int pool_count[SLOTS];

static int slot_of(int level) {
  return level == IGZIP_LEVEL ? IGZIP_SLOT : level;
}

static void* engine_take(int level) {
  int slot = slot_of(level);
  void* e = NULL;
  pthread_mutex_lock(&pool_lock);
  if (pool_count[slot] > 0) e = pool_free[slot][--pool_count[slot]];
  pthread_mutex_unlock(&pool_lock);
  if (e) return e;
#ifdef PQCHAT_IGZIP
  if (level == IGZIP_LEVEL) return malloc(sizeof(Igzip));
#endif
  return libdeflate_alloc_compressor(level);
}

static void engine_give(int level, void* e) {
  int slot = slot_of(level);
  pthread_mutex_lock(&pool_lock);
  if (pool_count[slot] < POOL_KEEP) {
    pool_free[slot][pool_count[slot]++] = e;
    e = NULL;
  }
  pthread_mutex_unlock(&pool_lock);
  if (!e) return;
  if (level == IGZIP_LEVEL) free(e);
  else libdeflate_free_compressor(e);
}

// One gzip member of in[0..n) into out[0..cap) with an engine of `level`: its
// length, or 0 when it did not fit. gzipBound's libdeflate bound holds for
// igzip too: it falls back to stored blocks (checked by the tests on random data).
static size_t compress_member(void* engine, int level, const unsigned char* in, size_t n, unsigned char* out, size_t cap) {
#ifdef PQCHAT_IGZIP
  if (level == IGZIP_LEVEL) {
    if (n > UINT32_MAX) return 0;
    Igzip* g = engine;
    struct isal_zstream* z = &g->stream;
    isal_deflate_init(z);
    z->level = 3;
    z->level_buf = g->level_buf;
    z->level_buf_size = sizeof g->level_buf;
    z->gzip_flag = IGZIP_GZIP;
    z->end_of_stream = 1;
    z->flush = NO_FLUSH;
    z->next_in = (uint8_t*)in;
    z->avail_in = (uint32_t)n;
    z->next_out = out;
    z->avail_out = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
    if (isal_deflate(z) != COMP_OK || z->internal_state.state != ZSTATE_END) return 0;
    return z->total_out;
  }
#else
  (void)level;
#endif
  return libdeflate_gzip_compress(engine, in, n, out, cap);
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
  int32_t level = level_arg(env, argv[1]);
  if (level < 0) return NULL;
  State* s = state(env);
  void* c = engine_take(level);
  if (!c) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  size_t bound = libdeflate_gzip_compress_bound(NULL, in_len);
  size_t n = 0;
  if (s->scratch_len < bound) {
    unsigned char* p = realloc(s->scratch, bound);
    if (p) {
      s->scratch = p;
      s->scratch_len = bound;
    }
  }
  if (s->scratch_len >= bound) n = compress_member(c, level, in, in_len, s->scratch, bound);
  engine_give(level, c);
  if (n == 0) {
    napi_throw_error(env, NULL, s->scratch_len < bound ? "out of memory" : "could not compress the block");
    return NULL;
  }
  void* copy = NULL;
  if (napi_create_buffer_copy(env, n, s->scratch, &copy, &result) != napi_ok) return NULL;
  return result;
}

#ifdef PQCHAT_IGZIP
// One gzip member with ISA-L's inflate, which decodes text 15-20 % faster
// than libdeflate here, with libdeflate's result codes. Only for the plain
// header our senders and the reference write (no optional fields, no reserved
// flags): anything else is libdeflate's, which checks them, so what is
// accepted stays what libdeflate and node:zlib accept.
static int igzip_takes(const unsigned char* in, size_t in_len) {
  return in_len >= 10 && in_len <= UINT32_MAX && in[0] == 0x1f && in[1] == 0x8b && in[2] == 8 && in[3] == 0;
}

static enum libdeflate_result igzip_gunzip(struct inflate_state* st, const unsigned char* in, size_t in_len, unsigned char* out, size_t out_len, size_t* used_in, size_t* used_out) {
  isal_inflate_init(st);
  st->crc_flag = ISAL_GZIP;
  st->next_in = (uint8_t*)in;
  st->avail_in = (uint32_t)in_len;
  st->next_out = out;
  st->avail_out = out_len > UINT32_MAX ? UINT32_MAX : (uint32_t)out_len;
  uint32_t room = st->avail_out;
  int r = isal_inflate(st);
  if (r == ISAL_DECOMP_OK && st->block_state == ISAL_BLOCK_FINISH) {
    *used_in = in_len - st->avail_in;
    *used_out = room - st->avail_out;
    return LIBDEFLATE_SUCCESS;
  }
  // Stopped with no room left: too small, as libdeflate says (even if the input also ends there).
  if (r == ISAL_DECOMP_OK && st->avail_out == 0) return LIBDEFLATE_INSUFFICIENT_SPACE;
  return LIBDEFLATE_BAD_DATA;
}
#endif

// One member with igzip where it takes the header, else libdeflate; -1 when out of memory.
static int gunzip_member(State* s, const unsigned char* in, size_t in_len, unsigned char* out, size_t out_len, size_t* used_in, size_t* used_out) {
#ifdef PQCHAT_IGZIP
  if (!s->no_igzip && igzip_takes(in, in_len)) {
    if (!s->inflater) s->inflater = malloc(sizeof(struct inflate_state));
    if (!s->inflater) return -1;
    return igzip_gunzip(s->inflater, in, in_len, out, out_len, used_in, used_out);
  }
#endif
  if (in_len == 0) return LIBDEFLATE_BAD_DATA;
  if (!s->decompressor) s->decompressor = libdeflate_alloc_decompressor();
  if (!s->decompressor) return -1;
  return libdeflate_gzip_decompress_ex(s->decompressor, in, in_len, out, out_len, used_in, used_out);
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
  size_t used_in = 0, used_out = 0;
  int r = gunzip_member(state(env), in, in_len, out, out_len, &used_in, &used_out);
  if (r < 0) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
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

// gzipAsync(input, level[, out]) -> Promise<Buffer | number>: gzip() on
// libuv's thread pool. Without `out` the job allocates its output and hands it
// over; with `out` (at least gzipBound(input's length) bytes, reused by the
// caller member after member: fresh pages for every member's output cost as
// much as a tenth of compressing it) it resolves with the member's length in
// `out`. The job holds references to `input` and `out` until it is done; the
// caller must not touch either meanwhile.
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref input_ref;
  napi_ref out_ref;
  unsigned char* in;
  size_t in_len;
  int level;
  unsigned char* out;
  size_t out_len;
  size_t out_cap;
} GzipJob;

static void gzip_execute(napi_env env, void* data) {
  (void)env;
  GzipJob* j = data;
  void* c = engine_take(j->level);
  if (!c) return;
  if (!j->out_ref) {
    j->out_cap = libdeflate_gzip_compress_bound(NULL, j->in_len);
    j->out = malloc(j->out_cap);
  }
  if (j->out) j->out_len = compress_member(c, j->level, j->in, j->in_len, j->out, j->out_cap);
  engine_give(j->level, c);
}

static void free_output(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  free(data);
}

static void gzip_complete(napi_env env, napi_status status, void* data) {
  GzipJob* j = data;
  napi_value result = NULL, msg;
  int ok = status == napi_ok && j->out && j->out_len > 0;
  if (ok && j->out_ref) {
    ok = napi_create_double(env, (double)j->out_len, &result) == napi_ok;
  } else if (ok) {
    // Shrunk to its exact size and handed to JavaScript without a copy.
    unsigned char* p = realloc(j->out, j->out_len);
    if (p) j->out = p;
    ok = napi_create_external_buffer(env, j->out_len, j->out, free_output, NULL, &result) == napi_ok;
  }
  if (ok) {
    napi_resolve_deferred(env, j->deferred, result);
  } else {
    if (!j->out_ref) free(j->out);
    napi_create_string_utf8(env, "could not compress the block", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &result);
    napi_reject_deferred(env, j->deferred, result);
  }
  napi_delete_reference(env, j->input_ref);
  if (j->out_ref) napi_delete_reference(env, j->out_ref);
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value js_gzip_async(napi_env env, napi_callback_info info) {
  napi_value argv[3], promise = NULL, name;
  size_t argc = 3;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "gzipAsync(input, level[, out])");
    return NULL;
  }
  size_t out_cap = 0;
  unsigned char* out = NULL;
  if (argc == 3) {
    out = bytes_of(env, argv[2], &out_cap);
    if (!out) return NULL;
  }
  size_t in_len = 0;
  unsigned char* in = bytes_of(env, argv[0], &in_len);
  if (!in) return NULL;
  int32_t level = level_arg(env, argv[1]);
  if (level < 0) return NULL;
  GzipJob* j = calloc(1, sizeof(GzipJob));
  if (!j) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  j->in = in;
  j->in_len = in_len;
  j->level = level;
  j->out = out;
  j->out_cap = out_cap;
  napi_create_string_utf8(env, "pqchat.gzip", NAPI_AUTO_LENGTH, &name);
  if (napi_create_reference(env, argv[0], 1, &j->input_ref) != napi_ok || (out && napi_create_reference(env, argv[2], 1, &j->out_ref) != napi_ok) ||
      napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
      napi_create_async_work(env, NULL, name, gzip_execute, gzip_complete, j, &j->work) != napi_ok || napi_queue_async_work(env, j->work) != napi_ok) {
    // Only reachable when Node-API itself fails (out of memory); the promise, if made, is left pending with the error thrown here.
    if (j->input_ref) napi_delete_reference(env, j->input_ref);
    if (j->out_ref) napi_delete_reference(env, j->out_ref);
    if (j->work) napi_delete_async_work(env, j->work);
    free(j);
    napi_throw_error(env, NULL, "could not queue the gzip job");
    return NULL;
  }
  return promise;
}

// gzipBound(n): the most bytes a gzip member of n input bytes can take, at any level.
static napi_value js_gzip_bound(napi_env env, napi_callback_info info) {
  napi_value argv[1], result = NULL;
  size_t argc = 1;
  double n = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_double(env, argv[0], &n) != napi_ok || !(n >= 0 && n <= 1e15)) {
    napi_throw_range_error(env, NULL, "gzipBound(n): n must be a byte count");
    return NULL;
  }
  napi_create_double(env, (double)libdeflate_gzip_compress_bound(NULL, (size_t)n), &result);
  return result;
}

// setIgzip(on): whether this environment's gunzip may use ISA-L (default true; no effect without it).
static napi_value js_set_igzip(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  bool on = true;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_bool(env, argv[0], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "setIgzip(on: boolean)");
    return NULL;
  }
#ifdef PQCHAT_IGZIP
  state(env)->no_igzip = !on;
#endif
  return NULL;
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
  napi_create_function(env, "gzipAsync", NAPI_AUTO_LENGTH, js_gzip_async, NULL, &fn);
  napi_set_named_property(env, exports, "gzipAsync", fn);
  napi_create_function(env, "gzipBound", NAPI_AUTO_LENGTH, js_gzip_bound, NULL, &fn);
  napi_set_named_property(env, exports, "gzipBound", fn);
  napi_create_function(env, "gunzip", NAPI_AUTO_LENGTH, js_gunzip, NULL, &fn);
  napi_set_named_property(env, exports, "gunzip", fn);
  napi_create_function(env, "setIgzip", NAPI_AUTO_LENGTH, js_set_igzip, NULL, &fn);
  napi_set_named_property(env, exports, "setIgzip", fn);
  if (IGZIP_BUILT) {
    napi_value level;
    napi_create_int32(env, IGZIP_LEVEL, &level);
    napi_set_named_property(env, exports, "igzipLevel", level);
  }
  return exports;
}
