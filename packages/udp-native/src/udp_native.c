/*
 * Batched UDP receive for a bound node:dgram socket (Linux): the socket's fd is dup()ed, the dup
 * is watched with a uv_poll_t on Node's own loop, and every wake-up reads with recvmmsg() until
 * the socket is empty (or a per-wake budget is spent), calling JavaScript once per batch.
 *
 *   open(fd, onBatch[, opener]) -> handle
 *                                    onBatch(arena: ArrayBuffer, count: number, senders: object[],
 *                                            layout: Int32Array)
 *   close(handle)                    idempotent; safe from inside onBatch
 *   stats(handle) -> [wakes, batches, datagrams, errors]
 *   send(fd, datagrams, start) -> sent | -errno     batched send: send.c
 *   encodeParity(shards, coefficients, shardSize, out)  Reed-Solomon parity: gf256.c
 *   writeFileAtomic(folder, name, data)                 a frame file in one call: write_file.c
 *
 * recvmmsg reads into BATCH slots of one ArrayBuffer, the arena, made once; JavaScript reads each
 * datagram where it lies, so a batch costs no allocation and no copy (a Buffer copied per
 * datagram was ~10 % of a 720p receiver's CPU). The arena is reused by the next batch: whatever
 * is to be kept must be copied out before onBatch returns. UDPCAM_POISON_BATCHES=1 (for tests)
 * overwrites each batch with 0xee once onBatch has returned, so a view kept too long shows.
 * `layout` (reused too) says, for datagram i: layout[i], where it starts in the arena;
 * layout[BATCH + i], its length; layout[2 * BATCH + i], its sender's index in `senders`;
 * layout[3 * BATCH + i], its status. senders[] are { address, port, family } as node:dgram's
 * rinfo would say it (without size), one entry per run of datagrams from one address and port;
 * the object is reused across batches.
 *
 * Without an opener every status is STATUS_SEALED: passed as received. With one (opener.h, a
 * receiver with keys), each datagram but sealed parity is opened in place in its slot, and the
 * status is the key index (0 or 1) for a datagram opened, then the plain bytes; a negative reason
 * for one refused (counted by the opener), then length 0; STATUS_SEALED for sealed parity,
 * passed as received: the receiver may drop it unopened when its frame is complete, and opens it
 * with the same opener.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "gf256.h"
#include "opener.h"
#include "send.h"
#include "write_file.h"

/* statuses[i] of a datagram passed as received (opener.ts's NOT_OPENED). */
#define STATUS_SEALED 100

/* Datagrams per recvmmsg() call, and calls per wake-up before the loop gets its turn again. */
#define BATCH 32
#define BATCHES_PER_WAKE 8
/* Larger than any UDP payload (65507 over IPv4, 65527 over IPv6): MSG_TRUNC cannot happen. */
#define SLOT 65536

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;                 /* the dup; -1 once closed */
  int closing;            /* close() was called (or the handle was finalized) */
  int in_wake;            /* inside on_readable: JS references are released when it returns */
  int js_released;
  int uv_closed;          /* uv_close's callback ran */
  int finalized;          /* the external was collected */
  napi_async_cleanup_hook_handle hook; /* until libuv has closed the handle */
  napi_ref self;          /* keeps the external alive while open */
  napi_ref callback;
  napi_ref last_sender;   /* the object for last_addr */
  udpcam_opener *opener;  /* NULL: datagrams are passed as received */
  napi_ref opener_ref;    /* keeps the opener alive while open */
  napi_ref layout_ref;    /* the Int32Array passed with every batch: starts, lengths, senders, statuses */
  int32_t *layout;
  napi_ref arena_ref;     /* the ArrayBuffer the slots are in, passed with every batch */
  int poison;             /* UDPCAM_POISON_BATCHES=1: overwrite each batch once JS has had it */
  napi_async_context async;
  struct sockaddr_storage last_addr;
  socklen_t last_len;
  double wakes, batches, datagrams, errors;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage addrs[BATCH];
  unsigned char *slots;    /* BATCH slots of SLOT bytes, in the arena (V8's memory) */
} receiver_t;

#define CHECK(call)                                  \
  do {                                               \
    if ((call) != napi_ok) goto fail;                \
  } while (0)

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static void maybe_free(receiver_t *r) {
  if (r->uv_closed && r->finalized) free(r);
}

static void on_uv_closed(uv_handle_t *handle) {
  receiver_t *r = handle->data;
  r->uv_closed = 1;
  /* Node may tear the environment down (and unload this addon, in a worker) only now. */
  if (r->hook) napi_remove_async_cleanup_hook(r->hook);
  r->hook = NULL;
  maybe_free(r);
}

static void stop(receiver_t *r);

/* The environment is going away (a worker ending, process exit) with the receiver open or its
 * handle still closing: Node waits until on_uv_closed removes this hook. */
static void on_env_cleanup(napi_async_cleanup_hook_handle hook, void *arg) {
  (void)hook;
  stop(arg);
}

/* Drops the JS references (callback, sender cache, self): the external can then be collected. */
static void release_js(receiver_t *r) {
  if (r->js_released) return;
  r->js_released = 1;
  napi_env env = r->env;
  if (r->callback) napi_delete_reference(env, r->callback);
  if (r->last_sender) napi_delete_reference(env, r->last_sender);
  if (r->opener_ref) napi_delete_reference(env, r->opener_ref);
  if (r->layout_ref) napi_delete_reference(env, r->layout_ref);
  if (r->arena_ref) napi_delete_reference(env, r->arena_ref);
  if (r->async) napi_async_destroy(env, r->async);
  r->callback = NULL;
  r->last_sender = NULL;
  r->opener_ref = NULL;
  r->layout_ref = NULL;
  r->arena_ref = NULL;
  r->slots = NULL;
  r->opener = NULL;
  r->layout = NULL;
  r->async = NULL;
  if (r->self) {
    napi_ref self = r->self;
    r->self = NULL;
    napi_delete_reference(env, self);
  }
}

/* Stops polling and closes the dup (the dgram socket's own fd is untouched). */
static void stop(receiver_t *r) {
  if (r->closing) return;
  r->closing = 1;
  uv_poll_stop(&r->poll);
  close(r->fd);
  r->fd = -1;
  uv_close((uv_handle_t *)&r->poll, on_uv_closed);
}

/* A sender object { address, port, family } the way node:dgram's AddressToJS builds rinfo. */
static napi_value make_sender(napi_env env, const struct sockaddr_storage *ss) {
  char ip[INET6_ADDRSTRLEN + UV_IF_NAMESIZE + 1];
  int port;
  const char *family;
  ip[0] = '\0';
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
    uv_inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof ip);
    if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr) && a6->sin6_scope_id > 0) {
      size_t len = strlen(ip);
      size_t rest = sizeof ip - len - 1;
      ip[len] = '%';
      if (uv_if_indextoiid(a6->sin6_scope_id, ip + len + 1, &rest) != 0) ip[len] = '\0';
    }
    port = ntohs(a6->sin6_port);
    family = "IPv6";
  } else if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
    uv_inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof ip);
    port = ntohs(a4->sin_port);
    family = "IPv4";
  } else {
    port = 0;
    family = "";
  }
  napi_value object, value;
  CHECK(napi_create_object(env, &object));
  CHECK(napi_create_string_latin1(env, ip, NAPI_AUTO_LENGTH, &value));
  CHECK(napi_set_named_property(env, object, "address", value));
  CHECK(napi_create_int32(env, port, &value));
  CHECK(napi_set_named_property(env, object, "port", value));
  CHECK(napi_create_string_latin1(env, family, NAPI_AUTO_LENGTH, &value));
  CHECK(napi_set_named_property(env, object, "family", value));
  return object;
fail:
  return NULL;
}

static int same_sender(const receiver_t *r, const struct sockaddr_storage *ss, socklen_t len) {
  if (len != r->last_len || ss->ss_family != r->last_addr.ss_family) return 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    const struct sockaddr_in *b = (const struct sockaddr_in *)&r->last_addr;
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&r->last_addr;
    return a->sin6_port == b->sin6_port && a->sin6_scope_id == b->sin6_scope_id &&
           memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
  }
  return 0;
}

/* Hands `n` received datagrams to JavaScript in one call, where they lie: in the arena, each in
 * its slot; `layout` says where each starts, how long it is, its sender and its status. */
static int deliver(receiver_t *r, int n) {
  napi_env env = r->env;
  napi_value senders, sender = NULL, callback, resource, argv[4];
  int32_t *starts = r->layout, *lengths = r->layout + BATCH;
  int32_t *from = r->layout + 2 * BATCH, *statuses = r->layout + 3 * BATCH;
  CHECK(napi_create_array(env, &senders));
  if (r->last_sender) CHECK(napi_get_reference_value(env, r->last_sender, &sender));
  uint32_t runs = 0;
  for (int i = 0; i < n; i++) {
    unsigned char *slot = r->slots + (size_t)i * SLOT;
    int32_t length = (int32_t)r->msgs[i].msg_len;
    int32_t at = 0;
    int status = STATUS_SEALED; /* as received */
    if (r->opener != NULL && (length == 0 || slot[0] != 'p')) {
      status = r->opener->open(r->opener, slot, (size_t)length);
      if (status >= 0) {
        at = UDPCAM_PLAIN_AT;
        length -= UDPCAM_SECURE_OVERHEAD;
      }
    }
    starts[i] = (int32_t)(i * SLOT) + at;
    lengths[i] = status < 0 ? 0 : length;
    statuses[i] = status;
    struct msghdr *h = &r->msgs[i].msg_hdr;
    if (sender == NULL || !same_sender(r, &r->addrs[i], h->msg_namelen)) {
      sender = make_sender(env, &r->addrs[i]);
      if (sender == NULL) goto fail;
      memcpy(&r->last_addr, &r->addrs[i], sizeof r->last_addr);
      r->last_len = h->msg_namelen;
      if (r->last_sender) napi_delete_reference(env, r->last_sender);
      r->last_sender = NULL;
      CHECK(napi_create_reference(env, sender, 1, &r->last_sender));
      CHECK(napi_set_element(env, senders, runs++, sender));
    } else if (runs == 0) {
      CHECK(napi_set_element(env, senders, runs++, sender)); /* the last batch's sender goes on */
    }
    from[i] = (int32_t)runs - 1;
  }
  r->batches++;
  r->datagrams += n;
  CHECK(napi_get_reference_value(env, r->arena_ref, &argv[0]));
  CHECK(napi_create_int32(env, n, &argv[1]));
  argv[2] = senders;
  CHECK(napi_get_reference_value(env, r->layout_ref, &argv[3]));
  CHECK(napi_get_reference_value(env, r->callback, &callback));
  CHECK(napi_get_reference_value(env, r->self, &resource));
  napi_status status = napi_make_callback(env, r->async, resource, callback, 4, argv, NULL);
  /* A view kept past the batch now reads 0xee instead of its datagram: tests find it so. */
  if (r->poison && r->slots != NULL)
    for (int i = 0; i < n; i++) memset(r->slots + (size_t)i * SLOT, 0xee, r->msgs[i].msg_len);
  if (status == napi_pending_exception) {
    /* As a throwing 'message' listener would: the process's uncaughtException. */
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
    return 0;
  }
  return status == napi_ok;
fail:
  return 0;
}

/* A socket error (an ICMP error with IP_RECVERR set, say): clear it and its queue, keep reading. */
static void clear_socket_error(receiver_t *r) {
  int error = 0;
  socklen_t len = sizeof error;
  getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &error, &len);
  char scratch[512];
  for (int i = 0; i < 64; i++) {
    struct iovec iov = { scratch, sizeof scratch };
    struct msghdr h;
    memset(&h, 0, sizeof h);
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    if (recvmsg(r->fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  receiver_t *r = poll->data;
  (void)events;
  if (r->closing) return;
  r->wakes++;
  if (status < 0) {
    /* libuv stops a poll handle on POLLERR (reported as UV_EBADF): the socket is fine. */
    r->errors++;
    clear_socket_error(r);
    uv_poll_start(&r->poll, UV_READABLE, on_readable);
  }
  napi_handle_scope scope;
  if (napi_open_handle_scope(r->env, &scope) != napi_ok) return;
  r->in_wake = 1;
  for (int b = 0; b < BATCHES_PER_WAKE && !r->closing; b++) {
    for (int i = 0; i < BATCH; i++) {
      r->msgs[i].msg_hdr.msg_namelen = sizeof r->addrs[i];
      r->msgs[i].msg_hdr.msg_flags = 0;
      r->msgs[i].msg_len = 0;
    }
    int n = recvmmsg(r->fd, r->msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      /* EINTR: again. Anything else (ECONNREFUSED from an ICMP error, ENOMEM, ...): counted, and
       * reading goes on: a UDP socket's errors concern one datagram, not the socket. */
      if (errno != EINTR) r->errors++;
      continue;
    }
    if (n == 0) break;
    if (!deliver(r, n)) break;
    if (n < BATCH) break; /* the queue was emptied */
  }
  r->in_wake = 0;
  napi_close_handle_scope(r->env, scope);
  if (r->closing) release_js(r);
}

static void finalize(napi_env env, void *data, void *hint) {
  receiver_t *r = data;
  (void)env;
  (void)hint;
  /* Only reachable once closed (self keeps it alive while open), or at environment teardown. */
  stop(r);
  r->finalized = 1;
  maybe_free(r);
}

static receiver_t *unwrap(napi_env env, napi_value value) {
  napi_valuetype type;
  void *data = NULL;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) return NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return data;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], external, name;
  napi_valuetype type;
  int32_t fd;
  void *opener = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0)
    return throw_error(env, "open(fd, onBatch): fd must be a file descriptor");
  CHECK(napi_typeof(env, argv[1], &type));
  if (type != napi_function) return throw_error(env, "open(fd, onBatch): onBatch must be a function");
  if (argc > 2) {
    bool tagged = false;
    CHECK(napi_typeof(env, argv[2], &type));
    if (type != napi_undefined &&
        (napi_check_object_type_tag(env, argv[2], &UDPCAM_OPENER_TAG, &tagged) != napi_ok || !tagged ||
         napi_get_value_external(env, argv[2], &opener) != napi_ok))
      return throw_error(env, "open(fd, onBatch, opener): opener must come from openerCreate");
  }

  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  receiver_t *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_error(env, "out of memory");
  /* The slots live in a V8 ArrayBuffer, so JavaScript reads datagrams where recvmmsg put them. */
  napi_value arena;
  if (napi_create_arraybuffer(env, (size_t)BATCH * SLOT, (void **)&r->slots, &arena) != napi_ok ||
      napi_create_reference(env, arena, 1, &r->arena_ref) != napi_ok) {
    free(r);
    return throw_error(env, "out of memory");
  }
  const char *poison = getenv("UDPCAM_POISON_BATCHES");
  r->poison = poison != NULL && strcmp(poison, "1") == 0;
  r->env = env;
  for (int i = 0; i < BATCH; i++) {
    r->iov[i].iov_base = r->slots + (size_t)i * SLOT;
    r->iov[i].iov_len = SLOT;
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
    r->msgs[i].msg_hdr.msg_name = &r->addrs[i];
  }
  r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (r->fd < 0) {
    int error = errno;
    napi_delete_reference(env, r->arena_ref);
    free(r);
    napi_throw_error(env, uv_err_name(-error), "dup() of the socket failed");
    return NULL;
  }
  int err = uv_poll_init(loop, &r->poll, r->fd);
  if (err != 0) {
    close(r->fd);
    napi_delete_reference(env, r->arena_ref);
    free(r);
    napi_throw_error(env, uv_err_name(err), "cannot poll the socket");
    return NULL;
  }
  r->poll.data = r;
  err = uv_poll_start(&r->poll, UV_READABLE, on_readable);
  if (err != 0) {
    r->finalized = 1; /* no external will be made: freed when libuv has closed the handle */
    napi_delete_reference(env, r->arena_ref);
    r->arena_ref = NULL;
    stop(r);
    napi_throw_error(env, uv_err_name(err), "cannot poll the socket");
    return NULL;
  }
  CHECK(napi_add_async_cleanup_hook(env, on_env_cleanup, r, &r->hook));
  CHECK(napi_create_external(env, r, finalize, NULL, &external));
  CHECK(napi_create_reference(env, external, 1, &r->self));
  CHECK(napi_create_reference(env, argv[1], 1, &r->callback));
  napi_value layout, buffer;
  CHECK(napi_create_arraybuffer(env, 4 * BATCH * sizeof(int32_t), (void **)&r->layout, &buffer));
  CHECK(napi_create_typedarray(env, napi_int32_array, 4 * BATCH, buffer, 0, &layout));
  CHECK(napi_create_reference(env, layout, 1, &r->layout_ref));
  if (opener != NULL) {
    CHECK(napi_create_reference(env, argv[2], 1, &r->opener_ref));
    r->opener = opener;
  }
  CHECK(napi_create_string_latin1(env, "UDPCAM_RECVMMSG", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, external, name, &r->async));
  return external;
fail:
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  receiver_t *r = unwrap(env, argv[0]);
  if (r == NULL) return throw_error(env, "close(handle): not a handle");
  stop(r);
  if (!r->in_wake) release_js(r);
  return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, value;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  receiver_t *r = unwrap(env, argv[0]);
  if (r == NULL) return throw_error(env, "stats(handle): not a handle");
  double figures[4] = { r->wakes, r->batches, r->datagrams, r->errors };
  CHECK(napi_create_array_with_length(env, 4, &result));
  for (int i = 0; i < 4; i++) {
    CHECK(napi_create_double(env, figures[i], &value));
    CHECK(napi_set_element(env, result, i, value));
  }
  return result;
fail:
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
    { "open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL },
    { "send", NULL, udp_native_send, NULL, NULL, NULL, napi_enumerable, NULL },
    { "encodeParity", NULL, gf256_encode_parity, NULL, NULL, NULL, napi_enumerable, NULL },
    { "writeFileAtomic", NULL, write_file_atomic, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  static pthread_once_t tables = PTHREAD_ONCE_INIT;
  pthread_once(&tables, gf256_init); /* worker threads load the module too */
  if (napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods) != napi_ok) return NULL;
  return exports;
}
