/*
 * Batched UDP send on a connected node:dgram socket (Linux): a frame's datagrams go to the kernel
 * with sendmmsg(), 64 per system call, instead of one dgram.send() — a JavaScript send request,
 * a libuv request and a sendmsg() — each.
 *
 *   send(fd, datagrams, start) -> sent | -errno
 *
 * datagrams[i] is a Uint8Array, or an array of up to 4 of them sent as one datagram (the header
 * and the payload view, as dgram.send takes a list); anything else throws a TypeError before its
 * batch of 64 goes (batches before it have been sent). Sends from `start` until all are sent or the
 * kernel refuses one; returns how many went, or -errno when the first one tried failed (EAGAIN:
 * the send buffer is full, ECONNREFUSED: an earlier datagram's ICMP error, reported and cleared
 * by this call). The socket is non-blocking (libuv made it so): nothing here ever waits.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <node_api.h>

#include "send.h"

#define SEND_BATCH 64
#define MAX_PARTS 4

/* Points `iov` at one Uint8Array's bytes; 0 when `value` is not one. */
static int view(napi_env env, napi_value value, struct iovec *iov) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  bool is_typedarray;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray) return 0;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  iov->iov_base = data;
  iov->iov_len = length;
  return 1;
}

/* Fills `msg` with datagram `value`'s parts, taking iovecs from `iov`; the count used, 0 if invalid. */
static int datagram(napi_env env, napi_value value, struct msghdr *msg, struct iovec *iov) {
  bool is_array;
  uint32_t parts = 1;
  memset(msg, 0, sizeof *msg);
  msg->msg_iov = iov;
  if (napi_is_array(env, value, &is_array) != napi_ok) return 0;
  if (!is_array) {
    if (!view(env, value, iov)) return 0;
  } else {
    if (napi_get_array_length(env, value, &parts) != napi_ok || parts < 1 || parts > MAX_PARTS) return 0;
    for (uint32_t p = 0; p < parts; p++) {
      napi_value part;
      if (napi_get_element(env, value, p, &part) != napi_ok || !view(env, part, &iov[p])) return 0;
    }
  }
  msg->msg_iovlen = parts;
  return (int)parts;
}

napi_value udp_native_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  int32_t fd;
  uint32_t start, count;
  bool is_array;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_value_uint32(env, argv[2], &start) != napi_ok ||
      napi_get_array_length(env, argv[1], &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "send(fd, datagrams, start): a file descriptor, an array, an index");
    return NULL;
  }
  struct mmsghdr msgs[SEND_BATCH];
  struct iovec iov[SEND_BATCH * MAX_PARTS];
  int64_t sent = 0;
  int error = 0;
  uint32_t next = start;
  while (next < count) {
    unsigned int batch = 0, used = 0;
    for (; batch < SEND_BATCH && next + batch < count; batch++) {
      napi_value item;
      if (napi_get_element(env, argv[1], next + batch, &item) != napi_ok) return NULL;
      int parts = datagram(env, item, &msgs[batch].msg_hdr, &iov[used]);
      if (parts == 0) {
        napi_throw_type_error(env, NULL, "send: a datagram is a Uint8Array or an array of 1 to 4 of them");
        return NULL;
      }
      used += (unsigned int)parts;
    }
    int n;
    do n = sendmmsg(fd, msgs, batch, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      error = errno;
      break;
    }
    sent += n;
    next += (uint32_t)n;
    if ((unsigned int)n < batch) break; /* the next call reports why */
  }
  if (napi_create_int64(env, sent == 0 && error != 0 ? -(int64_t)error : sent, &result) != napi_ok) return NULL;
  return result;
}
