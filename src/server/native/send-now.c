// Writes bytes to a connected socket at once, without waiting: one send(2)
// with MSG_DONTWAIT, returning how many bytes the kernel took. Used by
// src/server/direct-writes.ts to forward small frames straight out of the
// relay's shared read buffer: when the kernel takes the whole run of frames,
// nothing was copied in user space and no write request was made; when it
// takes less, the caller copies the rest and writes it the ordinary way.
//
// The JavaScript side calls this only when libuv has nothing queued for the
// socket, so the bytes go out in order; the descriptor stays libuv's (never
// closed here).
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>

// sendNow(fd, arrayBuffer, start, end) -> bytes taken (>= 0), or -errno.
static napi_value send_now(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  int32_t fd = -1;
  uint32_t start = 0, end = 0;
  size_t len = 0;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_arraybuffer_info(env, argv[1], &data, &len) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &start) != napi_ok || napi_get_value_uint32(env, argv[3], &end) != napi_ok || fd < 0 || start > end ||
      end > len) {
    napi_throw_type_error(env, NULL, "sendNow(fd, ArrayBuffer, start, end)");
    return NULL;
  }
  ssize_t n;
  do n = send(fd, (const uint8_t *)data + start, end - start, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  napi_create_int32(env, n >= 0 ? (int32_t)n : -errno, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = { { "sendNow", NULL, send_now, NULL, NULL, NULL, napi_default, NULL } };
  napi_define_properties(env, exports, 1, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
