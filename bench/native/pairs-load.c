// A lean load generator for bench:server's 1,000-pair rows: the "pairs" mode
// of bench/server-load.ts in C (Linux epoll, non-blocking sockets,
// TCP_NODELAY), so that on a one-machine bench the generator takes less of the
// cores the relay runs on. Real clients are other machines; the generator's
// CPU is an artefact of measuring on one.
//
// Same traffic as the JavaScript generator: pairs formed through rooms (JOIN,
// INIT, RESPONSE of the same bytes), then a closed loop with `window` frames
// in flight per direction, one write() per frame (no batching, no corking: a
// relay then sees about one frame per read, the demanding and honest case),
// then a fixed offered rate spread over 1 ms ticks.
//
//   pairs-load --port P [--relay-pid PID] [--pairs N] [--window W]
//              [--warmup-seconds S] [--seconds S] [--rate-per-client R]
//              [--rate-seconds S] < frames
//
// stdin carries four wire frames (4-byte big-endian length + payload) built
// by bench/load-frames.ts, so both generators send the very same bytes: INIT,
// RESPONSE, the 1 KiB ENCRYPTED_MESSAGE-shaped frame and the KEEP_ALIVE
// answer. The result is one line `RESULT {json}` on stdout with the fields of
// runPairs; progress goes to stderr.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

/** Reads share one buffer, as the JavaScript generator's clients do: nothing keeps a view into it. */
enum { READ_BUFFER = 64 * 1024, MAX_EVENTS = 256, SETUP_BATCH = 200 };

typedef struct {
  uint8_t *bytes;
  size_t len;
} blob;

/** Growable byte buffer: a frame split across reads, or bytes the kernel did not take yet. */
typedef struct {
  uint8_t *bytes;
  size_t len, cap;
} bytes_buf;

/** Growable ring of send times (ms) of the frames in flight towards the partner; TCP keeps their order. */
typedef struct {
  double *t;
  size_t head, count, cap;
} time_ring;

/** What a client waits for while its pair is formed (as formPairs awaits, in order). */
enum step { WAIT_WELCOME, WAIT_INITIATE, WAIT_INIT, WAIT_RESPONSE, WAIT_COMPLETE, READY };

struct pair;

typedef struct client {
  int fd;
  bool is_a; /* the pair's first client: it joins first and sends INIT */
  enum step step;
  struct client *partner;
  struct pair *pair;
  bytes_buf rest;
  bytes_buf out;
  size_t out_sent; /* of out, bytes already written */
  bool watching_out;
  time_ring sent;
} client;

typedef struct pair {
  int index;
  client a, b;
  bool a_initiated, b_welcomed;
} pair;

static struct {
  int port, relay_pid, pairs, window;
  double warmup_seconds, seconds, rate_per_client, rate_seconds;
} cfg = {0, 0, 1000, 4, 1, 5, 5, 3};

static blob INIT_FRAME, RESPONSE_FRAME, MESSAGE_FRAME, KEEPALIVE_RESPONSE;
static size_t message_payload;
static int ep;
static uint8_t shared_read[READ_BUFFER];
static pair *pairs;
static int pairs_ready;

/* Measurement state, as in runPairs. */
static bool recording, sending, closed_loop;
static uint64_t received, a_to_b, b_to_a;
static double *lat;
static size_t lat_len, lat_cap;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("[load-c] ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void progress(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("[load-c] ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *grow(void *p, size_t bytes) {
  void *q = realloc(p, bytes);
  if (q == NULL) die("out of memory");
  return q;
}

static void buf_append(bytes_buf *b, const uint8_t *src, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2;
    b->bytes = grow(b->bytes, b->cap);
  }
  memcpy(b->bytes + b->len, src, n);
  b->len += n;
}

static void ring_push(time_ring *r, double t) {
  if (r->count == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    double *t2 = grow(NULL, cap * sizeof(double));
    for (size_t i = 0; i < r->count; i++) t2[i] = r->t[(r->head + i) % r->cap];
    free(r->t);
    r->t = t2;
    r->head = 0;
    r->cap = cap;
  }
  r->t[(r->head + r->count) % r->cap] = t;
  r->count++;
}

static double ring_pop(time_ring *r) {
  if (r->count == 0) die("a frame arrived that was never sent");
  double t = r->t[r->head];
  r->head = (r->head + 1) % r->cap;
  r->count--;
  return t;
}

static void record_latency(double ms) {
  if (lat_len == lat_cap) {
    lat_cap = lat_cap ? lat_cap * 2 : 1 << 16;
    lat = grow(lat, lat_cap * sizeof(double));
  }
  lat[lat_len++] = ms;
}

// ---------------------------------------------------------------- sockets

static void watch_out(client *c, bool on) {
  if (c->watching_out == on) return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl: %s", strerror(errno));
  c->watching_out = on;
}

/**
 * One write() per frame, as a real client sends it. What the kernel does not
 * take waits in `out` (and later frames queue behind it, keeping the order).
 */
static void send_bytes(client *c, const uint8_t *p, size_t n) {
  if (c->out.len > c->out_sent) {
    buf_append(&c->out, p, n);
    return;
  }
  ssize_t w = write(c->fd, p, n);
  if (w < 0) {
    if (errno != EAGAIN) die("write: %s", strerror(errno));
    w = 0;
  }
  if ((size_t)w == n) return;
  c->out.len = c->out_sent = 0;
  buf_append(&c->out, p + w, n - (size_t)w);
  watch_out(c, true);
}

static void flush_out(client *c) {
  while (c->out_sent < c->out.len) {
    ssize_t w = write(c->fd, c->out.bytes + c->out_sent, c->out.len - c->out_sent);
    if (w < 0) {
      if (errno == EAGAIN) return;
      die("write: %s", strerror(errno));
    }
    c->out_sent += (size_t)w;
  }
  c->out.len = c->out_sent = 0;
  watch_out(c, false);
}

static void send_blob(client *c, const blob *b) { send_bytes(c, b->bytes, b->len); }

/** A measured frame towards the partner: its send time goes into the FIFO the partner's reads pop. */
static void send_message(client *c) {
  ring_push(&c->sent, now_ms());
  send_blob(c, &MESSAGE_FRAME);
}

/** Connects (loopback: the blocking connect returns at once), then goes non-blocking. */
static void open_client(client *c, pair *p, bool is_a) {
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0) die("socket: %s", strerror(errno));
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect: %s", strerror(errno));
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  c->is_a = is_a;
  c->pair = p;
  c->partner = is_a ? &p->b : &p->a;
  c->step = WAIT_WELCOME;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl: %s", strerror(errno));
}

static void send_join(client *c) {
  char join[64];
  int n = snprintf(join + 4, sizeof join - 4, "{\"type\": 70, \"room\": \"bench-%d\"}", c->pair->index);
  uint32_t len = htonl((uint32_t)n);
  memcpy(join, &len, 4);
  send_bytes(c, (const uint8_t *)join, (size_t)n + 4);
}

// ---------------------------------------------------------------- frames

static bool starts_with(const uint8_t *p, size_t n, const char *prefix) {
  size_t k = strlen(prefix);
  return n >= k && memcmp(p, prefix, k) == 0;
}

static bool is_keepalive(const uint8_t *p, size_t n) { return starts_with(p, n, "{\"type\": 44,"); }

static void maybe_send_init(pair *p) {
  if (p->a_initiated && p->b_welcomed) send_blob(&p->a, &INIT_FRAME);
}

static void expect(client *c, const uint8_t *p, size_t n, const char *prefix) {
  if (!starts_with(p, n, prefix))
    die("pair %d: expected %s..., got %.*s", c->pair->index, prefix, (int)(n < 60 ? n : 60), (const char *)p);
}

/** Pair formation, step by step as formPairs awaits it; KEEP_ALIVE is answered at any step. */
static void setup_frame(client *c, const uint8_t *p, size_t n) {
  if (is_keepalive(p, n)) {
    send_blob(c, &KEEPALIVE_RESPONSE);
    return;
  }
  pair *pr = c->pair;
  switch (c->step) {
    case WAIT_WELCOME:
      expect(c, p, n, "{\"type\": 41");
      if (c->is_a) {
        c->step = WAIT_INITIATE;
        open_client(&pr->b, pr, false);
        send_join(&pr->b);
      } else {
        c->step = WAIT_INIT;
        pr->b_welcomed = true;
        maybe_send_init(pr);
      }
      break;
    case WAIT_INITIATE:
      expect(c, p, n, "{\"type\": 1,");
      c->step = WAIT_RESPONSE;
      pr->a_initiated = true;
      maybe_send_init(pr);
      break;
    case WAIT_INIT:
      expect(c, p, n, "{\"version\": \"6.0.1\", \"type\": 5");
      c->step = WAIT_COMPLETE;
      send_blob(c, &RESPONSE_FRAME);
      break;
    case WAIT_RESPONSE:
      expect(c, p, n, "{\"version\": \"6.0.1\", \"type\": 4");
      c->step = WAIT_COMPLETE;
      break;
    case WAIT_COMPLETE:
      expect(c, p, n, "{\"type\": 2,");
      c->step = READY;
      if (c->partner->step == READY) pairs_ready++;
      break;
    case READY:
      break;
  }
}

/** A frame from the partner: its latency, and in the closed loop the partner sends the next one. */
static void on_frame(client *c, const uint8_t *p, size_t n) {
  if (c->step != READY) {
    setup_frame(c, p, n);
    return;
  }
  if (n != message_payload) {
    if (is_keepalive(p, n)) send_blob(c, &KEEPALIVE_RESPONSE);
    return;
  }
  client *from = c->partner;
  double sent_at = ring_pop(&from->sent);
  if (c->is_a) b_to_a++;
  else a_to_b++;
  if (recording) {
    received++;
    record_latency(now_ms() - sent_at);
  }
  if (sending && closed_loop) send_message(from);
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/** Splits what one read returned into frames; an incomplete tail waits in `rest` for the next read. */
static void feed(client *c, const uint8_t *data, size_t n) {
  size_t i = 0;
  if (c->rest.len > 0) {
    // Complete the header first, then the body, from the new bytes.
    size_t want = c->rest.len < 4 ? 4 - c->rest.len : 0;
    size_t take = want < n ? want : n;
    buf_append(&c->rest, data, take);
    i = take;
    if (c->rest.len < 4) return;
    size_t total = 4 + (size_t)be32(c->rest.bytes);
    take = total - c->rest.len < n - i ? total - c->rest.len : n - i;
    buf_append(&c->rest, data + i, take);
    i += take;
    if (c->rest.len < total) return;
    c->rest.len = 0;
    on_frame(c, c->rest.bytes + 4, total - 4);
  }
  while (n - i >= 4) {
    size_t len = be32(data + i);
    if (n - i - 4 < len) break;
    on_frame(c, data + i + 4, len);
    i += 4 + len;
  }
  if (i < n) buf_append(&c->rest, data + i, n - i);
}

/** Reads until the socket has no more (a read that does not fill the buffer drained it). */
static void on_readable(client *c) {
  for (;;) {
    ssize_t r = read(c->fd, shared_read, sizeof shared_read);
    if (r < 0) {
      if (errno == EAGAIN) return;
      die("read: %s", strerror(errno));
    }
    if (r == 0) die("the relay closed a connection (pair %d)", c->pair->index);
    feed(c, shared_read, (size_t)r);
    if ((size_t)r < sizeof shared_read) return;
  }
}

// ---------------------------------------------------------------- event loop

typedef bool (*done_fn)(void);
typedef void (*tick_fn)(double now);

/**
 * Serves socket events until `done` says so or `seconds` pass (a negative
 * `seconds` is an error when it runs out). `tick` runs about every
 * millisecond when given (the fixed-rate phase's timer).
 */
static bool run_for(double seconds, done_fn done, tick_fn tick) {
  double deadline = now_ms() + fabs(seconds) * 1e3;
  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    if (done != NULL && done()) return true;
    double t = now_ms();
    if (t >= deadline) {
      if (seconds < 0) die("timed out");
      return false;
    }
    if (tick != NULL) tick(t);
    int timeout = tick != NULL ? 1 : (int)fmin(50, deadline - t + 1);
    int n = epoll_wait(ep, evs, MAX_EVENTS, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    for (int k = 0; k < n; k++) {
      client *c = evs[k].data.ptr;
      if (evs[k].events & EPOLLOUT) flush_out(c);
      if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
    }
  }
}

static int batch_end;
static bool batch_ready(void) { return pairs_ready >= batch_end; }

/** Forms the pairs through rooms, SETUP_BATCH at a time (as formPairs does). */
static void form_pairs(void) {
  double t0 = now_ms();
  for (int start = 0; start < cfg.pairs; start += SETUP_BATCH) {
    batch_end = start + SETUP_BATCH < cfg.pairs ? start + SETUP_BATCH : cfg.pairs;
    for (int i = start; i < batch_end; i++) {
      pairs[i].index = i;
      open_client(&pairs[i].a, &pairs[i], true);
      send_join(&pairs[i].a);
    }
    run_for(-120, batch_ready, NULL);
  }
  progress("%d pairs formed in %.1f s", cfg.pairs, (now_ms() - t0) / 1e3);
}

static size_t in_flight_count(void) {
  size_t s = 0;
  for (int i = 0; i < cfg.pairs; i++) s += pairs[i].a.sent.count + pairs[i].b.sent.count;
  return s;
}

static bool nothing_in_flight(void) { return in_flight_count() == 0; }

// ---------------------------------------------------------------- measurement

/** User and system CPU seconds of a process so far (Linux /proc), NaN without them. */
static void cpu_seconds_of(int pid, double *user, double *sys) {
  char path[64], stat[1024];
  *user = *sys = NAN;
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return;
  size_t n = fread(stat, 1, sizeof stat - 1, f);
  fclose(f);
  stat[n] = 0;
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  char *p = strrchr(stat, ')');
  if (p == NULL) return;
  unsigned long utime, stime;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return;
  *user = (double)utime / (double)sysconf(_SC_CLK_TCK);
  *sys = (double)stime / (double)sysconf(_SC_CLK_TCK);
}

/**
 * Read and write system calls a process has made so far (Linux /proc/<pid>/io),
 * NaN without them: per relayed frame they tell how many frames the relay got
 * from each read and sent with each write.
 */
static void syscalls_of(int pid, double *reads, double *writes) {
  char path[64], line[128];
  *reads = *writes = NAN;
  snprintf(path, sizeof path, "/proc/%d/io", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return;
  unsigned long long v;
  while (fgets(line, sizeof line, f) != NULL) {
    if (sscanf(line, "syscr: %llu", &v) == 1) *reads = (double)v;
    if (sscanf(line, "syscw: %llu", &v) == 1) *writes = (double)v;
  }
  fclose(f);
}

static double own_cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

static double percentile(const double *sorted, size_t n, double p) {
  if (n == 0) return NAN;
  size_t i = (size_t)floor(p / 100 * (double)n);
  return sorted[i < n - 1 ? i : n - 1];
}

/** `"name":value`; NaN and infinities are null, as JSON.stringify writes them. */
static void json_field(const char *name, double v, bool last) {
  if (isfinite(v)) printf("\"%s\":%.17g%s", name, v, last ? "" : ",");
  else printf("\"%s\":null%s", name, last ? "" : ",");
}

typedef struct {
  double frames_per_sec, payload_mbps, p50, p99, samples, offered;
  double relay_us, relay_user_us, generator_us, relay_reads, relay_writes;
} figures;

/** What the relay and this process had spent at one moment. */
typedef struct {
  double relay_user, relay_sys, relay_reads, relay_writes, own_cpu;
} costs;

static costs costs_now(void) {
  costs c = {.relay_user = NAN, .relay_sys = NAN, .relay_reads = NAN, .relay_writes = NAN};
  if (cfg.relay_pid > 0) {
    cpu_seconds_of(cfg.relay_pid, &c.relay_user, &c.relay_sys);
    syscalls_of(cfg.relay_pid, &c.relay_reads, &c.relay_writes);
  }
  c.own_cpu = own_cpu_seconds();
  return c;
}

/** CPU µs and system calls per frame between two moments. */
static void costs_into(figures *f, costs before, costs after, uint64_t frames) {
  double n = (double)frames;
  f->relay_user_us = (after.relay_user - before.relay_user) * 1e6 / n;
  f->relay_us = f->relay_user_us + (after.relay_sys - before.relay_sys) * 1e6 / n;
  f->generator_us = (after.own_cpu - before.own_cpu) * 1e6 / n;
  f->relay_reads = (after.relay_reads - before.relay_reads) / n;
  f->relay_writes = (after.relay_writes - before.relay_writes) / n;
}

static void latency_into(figures *f) {
  qsort(lat, lat_len, sizeof(double), cmp_double);
  f->p50 = percentile(lat, lat_len, 50);
  f->p99 = percentile(lat, lat_len, 99);
  f->samples = (double)lat_len;
  lat_len = 0;
}

/** Phase 1: closed loop, `window` frames in flight per direction; the window after warm-up is measured. */
static figures saturate(void) {
  figures f = {0};
  sending = closed_loop = true;
  for (int i = 0; i < cfg.pairs; i++)
    for (int k = 0; k < cfg.window; k++) {
      send_message(&pairs[i].a);
      send_message(&pairs[i].b);
    }
  run_for(cfg.warmup_seconds, NULL, NULL);
  costs c0 = costs_now();
  recording = true;
  received = 0;
  double m0 = now_ms();
  run_for(cfg.seconds, NULL, NULL);
  double elapsed = (now_ms() - m0) / 1e3;
  recording = false;
  costs_into(&f, c0, costs_now(), received);
  f.frames_per_sec = (double)received / elapsed;
  f.payload_mbps = (double)received * (double)message_payload / elapsed / 1e6;
  latency_into(&f);
  sending = closed_loop = false;
  run_for(5, nothing_in_flight, NULL); // let everything in flight arrive
  return f;
}

static double rate_credit, rate_last;
static int rate_cursor;

/** The fixed rate's timer: credit by elapsed time (ticks come late under load), sent round-robin. */
static void rate_tick(double t) {
  if (t - rate_last < 1) return;
  rate_credit += 2.0 * cfg.pairs * cfg.rate_per_client * (t - rate_last) / 1e3;
  rate_last = t;
  while (rate_credit >= 1) {
    pair *p = &pairs[rate_cursor / 2];
    send_message(rate_cursor % 2 == 0 ? &p->a : &p->b);
    rate_cursor = (rate_cursor + 1) % (2 * cfg.pairs);
    rate_credit -= 1;
  }
}

/**
 * Phase 2: a fixed offered rate (open loop), spread evenly over time. The
 * relay's cost per frame here is that of frames arriving one per read.
 */
static figures at_rate(void) {
  figures f = {0};
  f.offered = 2.0 * cfg.pairs * cfg.rate_per_client;
  received = 0;
  recording = sending = true;
  costs c0 = costs_now();
  double r0 = now_ms();
  rate_last = r0;
  run_for(cfg.rate_seconds, NULL, rate_tick);
  double elapsed = (now_ms() - r0) / 1e3;
  run_for(2, nothing_in_flight, NULL);
  recording = false;
  costs_into(&f, c0, costs_now(), received);
  f.frames_per_sec = (double)received / elapsed;
  latency_into(&f);
  return f;
}

static void print_figures(const figures *f, bool saturated) {
  if (!saturated) json_field("offeredPerSec", f->offered, false);
  json_field("framesPerSec", f->frames_per_sec, false);
  if (saturated) json_field("payloadMBps", f->payload_mbps, false);
  json_field("p50ms", f->p50, false);
  json_field("p99ms", f->p99, false);
  json_field("samples", f->samples, false);
  json_field("relayCpuMicrosPerFrame", f->relay_us, false);
  json_field("relayUserCpuMicrosPerFrame", f->relay_user_us, false);
  json_field("generatorCpuMicrosPerFrame", f->generator_us, false);
  json_field("relayReadsPerFrame", f->relay_reads, false);
  json_field("relayWritesPerFrame", f->relay_writes, false);
  // No relay cluster here (bench:cluster uses the JavaScript generator): no cross-node pairs.
  printf("\"cross\":{\"p50ms\":null,\"p99ms\":null,\"samples\":0}");
}

static void print_result(const figures *sat, const figures *rate) {
  printf("RESULT {\"pairs\":%d,\"generator\":\"c\",\"saturated\":{", cfg.pairs);
  print_figures(sat, true);
  printf("},\"atRate\":{");
  print_figures(rate, false);
  printf("},");
  json_field("framesAtoB", (double)a_to_b, false);
  json_field("framesBtoA", (double)b_to_a, true);
  printf("}\n");
  fflush(stdout);
}

// ---------------------------------------------------------------- input

static blob read_frame_from(FILE *in, const char *what) {
  uint8_t head[4];
  if (fread(head, 1, 4, in) != 4) die("stdin: missing the %s frame", what);
  blob b = {.len = 4 + (size_t)be32(head)};
  b.bytes = grow(NULL, b.len);
  memcpy(b.bytes, head, 4);
  if (fread(b.bytes + 4, 1, b.len - 4, in) != b.len - 4) die("stdin: the %s frame is cut short", what);
  return b;
}

static void parse_args(int argc, char **argv) {
  static const struct option opts[] = {
      {"port", required_argument, NULL, 'p'},           {"relay-pid", required_argument, NULL, 'r'},
      {"pairs", required_argument, NULL, 'n'},          {"window", required_argument, NULL, 'w'},
      {"warmup-seconds", required_argument, NULL, 'u'}, {"seconds", required_argument, NULL, 's'},
      {"rate-per-client", required_argument, NULL, 'c'}, {"rate-seconds", required_argument, NULL, 'd'},
      {NULL, 0, NULL, 0},
  };
  int o;
  while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (o) {
      case 'p': cfg.port = atoi(optarg); break;
      case 'r': cfg.relay_pid = atoi(optarg); break;
      case 'n': cfg.pairs = atoi(optarg); break;
      case 'w': cfg.window = atoi(optarg); break;
      case 'u': cfg.warmup_seconds = atof(optarg); break;
      case 's': cfg.seconds = atof(optarg); break;
      case 'c': cfg.rate_per_client = atof(optarg); break;
      case 'd': cfg.rate_seconds = atof(optarg); break;
      default: exit(2);
    }
  }
  if (cfg.port <= 0 || cfg.pairs <= 0 || cfg.window <= 0) {
    fputs("pairs-load: --port, --pairs and --window must be positive\n", stderr);
    exit(2);
  }
}

/** 2 descriptors per pair: raise the soft limit as far as the hard one allows. */
static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  INIT_FRAME = read_frame_from(stdin, "INIT");
  RESPONSE_FRAME = read_frame_from(stdin, "RESPONSE");
  MESSAGE_FRAME = read_frame_from(stdin, "message");
  KEEPALIVE_RESPONSE = read_frame_from(stdin, "KEEP_ALIVE answer");
  message_payload = MESSAGE_FRAME.len - 4;
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1: %s", strerror(errno));
  pairs = calloc((size_t)cfg.pairs, sizeof(pair));
  if (pairs == NULL) die("out of memory");
  form_pairs();
  figures sat = saturate();
  figures rate = at_rate();
  print_result(&sat, &rate);
  for (int i = 0; i < cfg.pairs; i++) {
    close(pairs[i].a.fd);
    close(pairs[i].b.fd);
  }
  return 0;
}
