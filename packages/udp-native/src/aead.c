/*
 * ChaCha20-Poly1305 (RFC 8439) for protected datagrams, from the OpenSSL inside the running Node:
 * a call sets the key and the nonce on a cipher context kept for the purpose, runs the AAD and
 * the payload through, and writes or checks the tag (as QUIC stacks on OpenSSL do per packet).
 * node:crypto cannot reuse a context for a new nonce (a cipher object per datagram, ~5 µs for
 * 1400 bytes); this is ~1.1 µs, libsodium's one call ~1.5 µs on this machine (OpenSSL's ChaCha20
 * and Poly1305 have AVX-512 code).
 *
 *   seal(key, nonce, aad, plain, out)   -> undefined; out = ciphertext + 16-byte tag
 *   open(key, nonce, aad, sealed, out)  -> true when the tag verifies (out = plaintext);
 *                                          false, with out zeroed, when it does not
 *   sealFrame(key, clear, counter, datagrams, out) -> bytes written
 *       a frame's datagrams ([5-byte header, payload][]) sealed one after the other into `out`
 *       in the protected layout (docs/protocol.md#protected): `clear` is bytes 5..17 of each
 *       (version, key id, session id), `counter` the first datagram's, up by one per datagram.
 *       One call per frame instead of one per datagram (DatagramSealer.sealFrame).
 *
 * `out` may be the same memory as `plain` / the ciphertext of `sealed` (in place), never a partial
 * overlap. Lengths are checked here: a wrong one throws a RangeError before any byte is touched.
 *
 * The module also makes the receiver's native openers (opener.c).
 *
 * OpenSSL is not linked (openssl.h). Where a Node build does not export it, or its OpenSSL
 * refuses the cipher, the module exports only `problem`, and the JavaScript side falls back to
 * libsodium or node:crypto: nothing can fail later on an unresolved symbol.
 */
#define NAPI_VERSION 8
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#include "bytes.h"
#include "opener.h"
#include "openssl.h"

#define KEY_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16
/* The protected layout: bytes 5..17 are the same in every datagram of a session, 18..25 the counter. */
#define CLEAR_BYTES 26
#define SESSION_CLEAR_BYTES 13
#define COUNTER_OFFSET 18
#define MAX_COUNTER 9007199254740991.0 /* 2^53 - 1 */

/* The two contexts of one Node environment (the main thread, or a worker): OpenSSL fixes a
 * context's direction when its cipher is set. Each call sets the key and the nonce: for
 * ChaCha20-Poly1305 a key is 32 bytes copied in (no schedule to expand, the Poly1305 key is made
 * per nonce anyway), so one pair serves every key and nothing is allocated per key or session. */
typedef struct {
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
} Contexts;

static void free_contexts(napi_env env, void *data, void *hint) {
  Contexts *contexts = data;
  /* EVP_CIPHER_CTX_free wipes the last key set. */
  ssl.ctx_free(contexts->seal);
  ssl.ctx_free(contexts->open);
  free(contexts);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

/* The arguments of seal and open: key, nonce, aad, input, output; and the environment's contexts. */
typedef struct {
  Contexts *contexts;
  uint8_t *key, *nonce, *aad, *in, *out;
  size_t key_length, nonce_length, aad_length, in_length, out_length;
} Args;

static int args(napi_env env, napi_callback_info info, Args *a) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&a->contexts) != napi_ok || argc < 5)
    return 0;
  return bytes(env, argv[0], &a->key, &a->key_length) && a->key_length == KEY_BYTES &&
         bytes(env, argv[1], &a->nonce, &a->nonce_length) && a->nonce_length == NONCE_BYTES &&
         bytes(env, argv[2], &a->aad, &a->aad_length) && a->aad_length <= INT_MAX &&
         bytes(env, argv[3], &a->in, &a->in_length) && a->in_length <= INT_MAX - TAG_BYTES &&
         bytes(env, argv[4], &a->out, &a->out_length);
}

static napi_value aead_seal(napi_env env, napi_callback_info info) {
  Args a;
  if (!args(env, info, &a) || a.out_length != a.in_length + TAG_BYTES)
    return fail(env, "seal(32-byte key, 12-byte nonce, aad, plain, out of plain.length + 16 bytes)");
  if (!openssl_chacha_seal(a.contexts->seal, a.key, a.nonce, a.aad, (int)a.aad_length, a.in, (int)a.in_length,
                           a.out))
    return fail(env, "OpenSSL failed to seal");
  return NULL;
}

static napi_value aead_open(napi_env env, napi_callback_info info) {
  Args a;
  napi_value result;
  if (!args(env, info, &a) || a.in_length < TAG_BYTES || a.out_length != a.in_length - TAG_BYTES)
    return fail(env, "open(32-byte key, 12-byte nonce, aad, sealed, out of sealed.length - 16 bytes)");
  int ok = openssl_chacha_open(a.contexts->open, a.key, a.nonce, a.aad, (int)a.aad_length, a.in,
                               (int)a.out_length, a.out);
  napi_get_boolean(env, ok, &result);
  return result;
}

static napi_value aead_seal_frame(napi_env env, napi_callback_info info) {
  static const char *usage =
      "sealFrame(32-byte key, 13-byte clear, counter, [5-byte header, payload][], out with room for all)";
  size_t argc = 5;
  napi_value argv[5], result;
  Contexts *contexts;
  uint8_t *key, *clear, *out;
  size_t key_length, clear_length, out_length;
  double first;
  uint32_t count;
  bool is_array;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&contexts) != napi_ok || argc < 5 ||
      !bytes(env, argv[0], &key, &key_length) || key_length != KEY_BYTES ||
      !bytes(env, argv[1], &clear, &clear_length) || clear_length != SESSION_CLEAR_BYTES ||
      napi_get_value_double(env, argv[2], &first) != napi_ok || !(first >= 0 && first <= MAX_COUNTER) ||
      first != (double)(uint64_t)first || napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[3], &count) != napi_ok ||
      (count > 0 && (uint64_t)first + count - 1 > (uint64_t)MAX_COUNTER) || !bytes(env, argv[4], &out, &out_length))
    return fail(env, usage);
  EVP_CIPHER_CTX *ctx = contexts->seal;
  size_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value pair, element;
    uint8_t *header, *payload;
    size_t header_length, payload_length;
    if (napi_get_element(env, argv[3], i, &pair) != napi_ok ||
        napi_get_element(env, pair, 0, &element) != napi_ok ||
        !bytes(env, element, &header, &header_length) || header_length != 5 ||
        napi_get_element(env, pair, 1, &element) != napi_ok ||
        !bytes(env, element, &payload, &payload_length) || payload_length > INT_MAX - CLEAR_BYTES - TAG_BYTES ||
        out_length - at < CLEAR_BYTES + payload_length + TAG_BYTES)
      return fail(env, usage);
    uint8_t *d = out + at, nonce[NONCE_BYTES] = { 0 };
    uint64_t counter = (uint64_t)first + i;
    d[0] = header[0] | 0x20; /* the type in lower case */
    memcpy(d + 1, header + 1, 4);
    memcpy(d + 5, clear, SESSION_CLEAR_BYTES);
    for (int b = 0; b < 8; b++) d[COUNTER_OFFSET + b] = (uint8_t)(counter >> (56 - 8 * b));
    memcpy(nonce + 4, d + COUNTER_OFFSET, 8);
    uint8_t *sealed = d + CLEAR_BYTES;
    if (!openssl_chacha_seal(ctx, key, nonce, d, CLEAR_BYTES, payload, (int)payload_length, sealed))
      return fail(env, "OpenSSL failed to seal");
    at += CLEAR_BYTES + payload_length + TAG_BYTES;
  }
  napi_create_double(env, (double)at, &result);
  return result;
}

/* This environment's contexts, or NULL when OpenSSL refuses the cipher (in FIPS mode, say). */
static Contexts *new_contexts(void) {
  Contexts *contexts = calloc(1, sizeof *contexts);
  if (contexts == NULL) return NULL;
  contexts->seal = openssl_chacha_context(1);
  contexts->open = openssl_chacha_context(0);
  if (contexts->seal == NULL || contexts->open == NULL) {
    free_contexts(NULL, contexts, NULL);
    return NULL;
  }
  return contexts;
}

static napi_value unavailable(napi_env env, napi_value exports, const char *why) {
  napi_value value;
  napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, exports, "problem", value);
  return exports;
}

NAPI_MODULE_INIT() {
  char why[128];
  const char *missing = openssl_resolve();
  if (missing != NULL) {
    snprintf(why, sizeof why, "this Node does not export OpenSSL's %s", missing);
    return unavailable(env, exports, why);
  }
  Contexts *contexts = new_contexts();
  if (contexts == NULL) return unavailable(env, exports, "this Node's OpenSSL refuses ChaCha20-Poly1305");
  if (napi_set_instance_data(env, contexts, free_contexts, NULL) != napi_ok) {
    free_contexts(env, contexts, NULL);
    return NULL;
  }
  napi_property_descriptor properties[] = {
      {"seal", NULL, aead_seal, NULL, NULL, NULL, napi_default, contexts},
      {"open", NULL, aead_open, NULL, NULL, NULL, napi_default, contexts},
      {"sealFrame", NULL, aead_seal_frame, NULL, NULL, NULL, napi_default, contexts},
      {"openerCreate", NULL, opener_create, NULL, NULL, NULL, napi_default, NULL},
      {"openerOpen", NULL, opener_open, NULL, NULL, NULL, napi_default, NULL},
      {"openerStats", NULL, opener_stats, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}
