// Moves the body of one large frame from a client's socket to its partner's
// socket inside the kernel, with splice(2) through a pipe, on a thread of
// libuv's pool. The relay forwards opaque frames verbatim (WIRE-NOTES §11:
// binary frames after the key exchange are relayed, never parsed), so once a
// large frame's first bytes have shown it is one of those, its remaining bytes
// need never enter user space: no copy in, no copy out, no fresh pages.
// Used by src/server/frame-splice.ts; built at `npm run build` by
// scripts/build-native.mjs. Without it (or off Linux) the relay reads frames
// into its pooled buffers as before.
//
// The JavaScript side guarantees, for the duration of one job, that libuv
// neither reads from the source socket nor writes to the destination socket,
// and that neither descriptor is closed (it defers closes until the job's
// completion callback). The job itself never closes either descriptor.
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/** How a job ended; mirrored in frame-splice.ts. */
enum outcome { DONE = 0, SOURCE_CLOSED = 1, DESTINATION_FAILED = 2, TIMED_OUT = 3, CANCELLED = 4 };

/** Longest single wait, so that a cancel is noticed quickly. */
#define POLL_SLICE_MS 50

typedef struct {
  napi_async_work work;
  napi_ref callback;
  /** Keeps the job's handle (and so this struct) alive until complete() runs. */
  napi_ref self;
  int src, dst;
  /** The pipe the bytes pass through (made in start(), so that a failure leaves the frame to the relay). */
  int pipe_r, pipe_w;
  uint8_t *head;
  size_t head_len;
  size_t rest;
  /** Time the job may spend waiting for the source (the frame timeout); waits for the destination do not count. */
  int64_t source_wait_ms;
  atomic_int cancel;
  int outcome;
  /** Bytes taken from the source (after the head). */
  size_t moved;
  /** Some byte of the frame reached the partner. */
  int wrote;
} job_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * Waits up to one slice for `events` on `fd`. Returns 1 when ready, 0 on a
 * quiet slice, -1 when the descriptor failed (or, for POLLOUT, hung up).
 */
static int wait_fd(int fd, short events) {
  struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
  int r = poll(&p, 1, POLL_SLICE_MS);
  if (r < 0) return errno == EINTR ? 0 : -1;
  if (r == 0) return 0;
  if (p.revents & POLLNVAL) return -1;
  if (events == POLLOUT && (p.revents & (POLLERR | POLLHUP))) return -1;
  return 1; // for POLLIN, HUP/ERR still lets splice read what is queued, then report the end
}

/**
 * Phase 1: the rest of the frame from the sender into the pipe (which holds
 * all of it). Nothing reaches the partner until the frame is whole, so a
 * sender that vanishes mid-frame leaves the partner's stream intact, as the
 * relay's buffered path does.
 */
static int fill_pipe(job_t *j) {
  size_t left = j->rest;
  int64_t waited = 0;
  while (left > 0) {
    if (atomic_load(&j->cancel)) return CANCELLED;
    ssize_t n = splice(j->src, NULL, j->pipe_w, NULL, left, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      left -= (size_t)n;
      j->moved += (size_t)n;
      continue;
    }
    if (n == 0) return SOURCE_CLOSED;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return SOURCE_CLOSED;
    int64_t t0 = now_ms();
    int r = wait_fd(j->src, POLLIN);
    if (r < 0) return SOURCE_CLOSED;
    waited += now_ms() - t0;
    if (r == 0 && waited > j->source_wait_ms) return TIMED_OUT;
  }
  return DONE;
}

/** One write of the unsent rest of the head; one splice of what is left in the pipe. */
static ssize_t write_head(job_t *j, size_t left) { return write(j->dst, j->head + (j->head_len - left), left); }
static ssize_t splice_pipe(job_t *j, size_t left) { return splice(j->pipe_r, NULL, j->dst, NULL, left, SPLICE_F_MOVE | SPLICE_F_NONBLOCK); }

/** Sends `total` bytes to the partner with `op`, waiting whenever its socket is full. */
static int send_to_partner(job_t *j, size_t total, ssize_t (*op)(job_t *, size_t)) {
  size_t left = total;
  while (left > 0) {
    if (atomic_load(&j->cancel)) return CANCELLED;
    ssize_t n = op(j, left);
    if (n > 0) {
      left -= (size_t)n;
      j->wrote = 1;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (wait_fd(j->dst, POLLOUT) < 0) return DESTINATION_FAILED;
      continue;
    }
    return DESTINATION_FAILED;
  }
  return DONE;
}

/** Phase 2: the head (bytes the relay had read already), then the pipe, to the partner. */
static int drain_to_partner(job_t *j) {
  int r = send_to_partner(j, j->head_len, write_head);
  return r == DONE ? send_to_partner(j, j->rest, splice_pipe) : r;
}

static void execute(napi_env env, void *data) {
  (void)env;
  job_t *j = data;
  j->outcome = fill_pipe(j);
  if (j->outcome == DONE) j->outcome = drain_to_partner(j);
  close(j->pipe_r);
  close(j->pipe_w);
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *j = data;
  if (status == napi_cancelled) j->outcome = CANCELLED;
  napi_value cb, global, argv[3];
  napi_get_reference_value(env, j->callback, &cb);
  napi_get_global(env, &global);
  napi_create_int32(env, j->outcome, &argv[0]);
  napi_create_double(env, (double)j->moved, &argv[1]);
  napi_get_boolean(env, j->wrote != 0, &argv[2]);
  napi_delete_reference(env, j->callback);
  napi_delete_reference(env, j->self);
  napi_delete_async_work(env, j->work);
  free(j->head);
  j->head = NULL;
  j->work = NULL;
  napi_call_function(env, global, cb, 3, argv, NULL);
}

static void finalize_job(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  job_t *j = data;
  free(j->head);
  free(j);
}

#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                                \
  } while (0)

/**
 * start(srcFd, dstFd, head: Uint8Array, rest, sourceWaitMs, callback(outcome, moved, wrote)) → job.
 * Throws (and nothing happens) when no pipe can hold `rest` bytes.
 */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "start(src, dst, head, remaining, sourceWaitMs, callback)");
    return NULL;
  }
  int32_t src, dst;
  double remaining, wait_ms;
  CHECK(napi_get_value_int32(env, argv[0], &src));
  CHECK(napi_get_value_int32(env, argv[1], &dst));
  napi_typedarray_type type;
  size_t head_len;
  void *head_data;
  napi_value ab;
  size_t ab_off;
  CHECK(napi_get_typedarray_info(env, argv[2], &type, &head_len, &head_data, &ab, &ab_off));
  CHECK(napi_get_value_double(env, argv[3], &remaining));
  CHECK(napi_get_value_double(env, argv[4], &wait_ms));
  if (type != napi_uint8_array || src < 0 || dst < 0 || remaining < 1 || remaining > (1 << 30) || wait_ms < 0) {
    napi_throw_range_error(env, NULL, "bad splice arguments");
    return NULL;
  }
  int rest_wanted = remaining > 0 ? (int)remaining : 1;
  int p[2];
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
    napi_throw_error(env, NULL, "no pipe for splice");
    return NULL;
  }
  // The pipe must hold the whole rest of the frame (see fill_pipe).
  int cap = fcntl(p[1], F_SETPIPE_SZ, rest_wanted);
  if (cap < 0 || (double)cap < remaining) {
    close(p[0]);
    close(p[1]);
    napi_throw_range_error(env, NULL, "frame larger than a pipe can hold");
    return NULL;
  }
  job_t *j = calloc(1, sizeof *j);
  if (j == NULL) {
    close(p[0]);
    close(p[1]);
    return NULL;
  }
  j->pipe_r = p[0];
  j->pipe_w = p[1];
  // The head is a view into a read buffer the relay reuses: copy it.
  j->head = malloc(head_len ? head_len : 1);
  if (j->head == NULL) {
    close(p[0]);
    close(p[1]);
    free(j);
    return NULL;
  }
  memcpy(j->head, head_data, head_len);
  j->head_len = head_len;
  j->src = src;
  j->dst = dst;
  j->rest = (size_t)remaining;
  j->source_wait_ms = (int64_t)wait_ms;
  atomic_init(&j->cancel, 0);
  napi_value name, handle;
  CHECK(napi_create_reference(env, argv[5], 1, &j->callback));
  CHECK(napi_create_string_utf8(env, "pqchat:splice", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, execute, complete, j, &j->work));
  CHECK(napi_create_external(env, j, finalize_job, NULL, &handle));
  CHECK(napi_create_reference(env, handle, 1, &j->self));
  CHECK(napi_queue_async_work(env, j->work));
  return handle;
}

/** cancel(job): the job stops at its next slice and completes with CANCELLED. */
static napi_value cancel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_external(env, argv[0], &data));
  atomic_store(&((job_t *)data)->cancel, 1);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "start", NULL, start, NULL, NULL, NULL, napi_default, NULL },
    { "cancel", NULL, cancel, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
