// Lets a received file's pages leave the page cache once they are on disk.
// On the virtual machines this project runs on, a page the guest kernel has
// not used for a while costs a host fault when it is handed out again, so
// writing a big file through the page cache costs about 1.3 CPU-seconds per
// GiB in the writer; writing it back in a sliding window and dropping the
// written pages lets the kernel hand the same (warm) pages out again, and the
// writes cost about 0.25 (measured with 1 MiB writes of a 256 MiB file).
// Used by page-cache.ts; built by scripts/build-native.mjs; without it pqchat
// just leaves the pages to the kernel.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int64_t offset;
  int64_t length;
  bool drop;
  int err;
} Job;

// On libuv's thread pool: start writing the range back, or (drop) wait until
// it is on disk and drop its now clean pages.
static void execute(napi_env env, void* data) {
  (void)env;
  Job* j = data;
#ifdef __linux__
  unsigned int flags = SYNC_FILE_RANGE_WRITE;
  if (j->drop) flags |= SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WAIT_AFTER;
  if (sync_file_range(j->fd, j->offset, j->length, flags) != 0) j->err = errno;
  else if (j->drop) j->err = posix_fadvise(j->fd, j->offset, j->length, POSIX_FADV_DONTNEED);
#else
  j->err = ENOSYS;
#endif
}

static void complete(napi_env env, napi_status status, void* data) {
  Job* j = data;
  napi_value ok;
  napi_get_boolean(env, status == napi_ok && j->err == 0, &ok);
  napi_resolve_deferred(env, j->deferred, ok);
  napi_delete_async_work(env, j->work);
  free(j);
}

// flush(fd, offset, length, drop): Promise<boolean>, true when the kernel did it.
static napi_value js_flush(napi_env env, napi_callback_info info) {
  napi_value argv[4], promise, name;
  size_t argc = 4;
  int32_t fd = -1;
  int64_t offset = -1, length = -1;
  bool drop = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int64(env, argv[1], &offset) != napi_ok || napi_get_value_int64(env, argv[2], &length) != napi_ok ||
      napi_get_value_bool(env, argv[3], &drop) != napi_ok || fd < 0 || offset < 0 || length <= 0) {
    napi_throw_type_error(env, NULL, "flush(fd, offset, length, drop)");
    return NULL;
  }
  Job* j = calloc(1, sizeof(Job));
  if (!j) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  j->fd = fd;
  j->offset = offset;
  j->length = length;
  j->drop = drop;
  napi_create_string_utf8(env, "pqchat.pagecache", NAPI_AUTO_LENGTH, &name);
  if (napi_create_promise(env, &j->deferred, &promise) != napi_ok || napi_create_async_work(env, NULL, name, execute, complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    free(j);
    napi_throw_error(env, NULL, "could not queue the flush");
    return NULL;
  }
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "flush", NAPI_AUTO_LENGTH, js_flush, NULL, &fn);
  napi_set_named_property(env, exports, "flush", fn);
  return exports;
}
