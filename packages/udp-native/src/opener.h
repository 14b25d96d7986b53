/*
 * What the batched receiver (udp_native.c) needs of a native opener (opener.c), which lives in
 * the other module (openssl_aead.node): the opener is handed over as a JavaScript external tagged
 * with UDPCAM_OPENER_TAG, whose data starts with this struct.
 */
#ifndef UDPCAM_OPENER_H
#define UDPCAM_OPENER_H

#include <stddef.h>

#include <node_api.h>

/* Bytes a protected datagram has before the plain header (its clear part less 5), and in all
 * beyond the plain datagram (security header + tag): docs/protocol.md#protected. */
#define UDPCAM_PLAIN_AT 21
#define UDPCAM_SECURE_OVERHEAD 37

typedef struct udpcam_opener udpcam_opener;
struct udpcam_opener {
  /*
   * Opens `datagram` (`length` bytes) in place. Returns the index of the key that opened it (0 or
   * 1): the plain datagram (5-byte header + payload) is then the length - 37 bytes at datagram +
   * 21. Returns a negative reason (REJECT_REASONS in opener.ts) when refused; it is counted.
   */
  int (*open)(udpcam_opener *self, unsigned char *datagram, size_t length);
};

/* openssl_aead.node's functions for openers (opener.c): see opener.ts. */
napi_value opener_create(napi_env env, napi_callback_info info);
napi_value opener_open(napi_env env, napi_callback_info info);
napi_value opener_stats(napi_env env, napi_callback_info info);

static const napi_type_tag UDPCAM_OPENER_TAG = { 0x75647063616d4f70ULL, 0x656e657201000000ULL };

#endif
