// Keeps freed multi-megabyte buffers in the C heap instead of returning them
// to the kernel at once. The file pipeline and the double AEAD allocate
// several fresh 1 MiB buffers per chunk (node:crypto's cipher output cannot be
// given a destination); with glibc's defaults each of them is a new mmap whose
// 256 pages then fault in one by one, which on this project's virtual machines
// costs more than the encryption itself (measured: AES-256-ECB of 1 MiB 727 µs
// with fresh pages, 279 µs with reused ones). Used by allocator.ts; built by
// scripts/build-native.mjs; without it pqchat is just slower.
#include <node_api.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

// tune(mmapThreshold, trimThreshold): true when applied.
static napi_value js_tune(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  size_t argc = 2;
  int64_t mmap_threshold = 0, trim_threshold = 0;
  int ok = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 2 &&
      napi_get_value_int64(env, argv[0], &mmap_threshold) == napi_ok &&
      napi_get_value_int64(env, argv[1], &trim_threshold) == napi_ok && mmap_threshold > 0 &&
      trim_threshold > 0 && mmap_threshold <= 32 * 1024 * 1024 && trim_threshold <= (int64_t)1 << 31) {
#ifdef __GLIBC__
    ok = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1;
#endif
  }
  napi_get_boolean(env, ok, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "tune", NAPI_AUTO_LENGTH, js_tune, NULL, &fn);
  napi_set_named_property(env, exports, "tune", fn);
  return exports;
}
