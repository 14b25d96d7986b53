/*
 * A receiver's opener in C: the same checks, in the same order, as DatagramOpener in
 * @udpcam/protocol (secure/opener.ts, the reference): layout, key id, replay window, tag, and
 * only then a session is created or its window moved. The batched receiver (udp_native.c) calls
 * it on each datagram as recvmmsg delivers it, so an opened datagram reaches JavaScript as plain
 * bytes: no per-datagram call, views or copy of the ciphertext on the JavaScript side.
 *
 *   openerCreate(keys, keyIds, info, maxSessions) -> opener   keys: 1 or 2 32-byte Uint8Arrays
 *   openerOpen(opener, datagram) -> code      in place; code as udpcam_opener.open returns it
 *   openerStats(opener) -> [opened, rejected, ...by reason (5), sessions, evicted, held]
 *
 * Session subkeys are HKDF-SHA256(stream key, salt = session id, info), as session-key.ts
 * derives them; `info` comes from there. Keys and subkeys are wiped when the opener is collected.
 */
#define NAPI_VERSION 8
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#include "bytes.h"
#include "opener.h"
#include "openssl.h"

#define KEY_BYTES 32
#define TAG_BYTES 16
#define CLEAR_BYTES 26
#define VERSION 2
#define SESSION_ID_BYTES 8
#define MAX_INFO_BYTES 64
/* REPLAY_WINDOW in replay-window.ts. */
#define WINDOW 1024

enum { MALFORMED = -1, UNPROTECTED = -2, UNKNOWN_KEY = -3, REPLAY = -4, BAD_TAG = -5, REASONS = 6 };

typedef struct {
  int key_index;
  unsigned char id[SESSION_ID_BYTES];
  unsigned char subkey[KEY_BYTES];
  int64_t highest; /* -1 before the first */
  uint32_t seen[WINDOW / 32];
  uint64_t last_used;
} Session;

typedef struct {
  udpcam_opener base; /* first: udp_native.c sees only this */
  int keys;
  uint32_t key_ids[2];
  unsigned char key[2][KEY_BYTES];
  unsigned char info[MAX_INFO_BYTES + 1];
  size_t info_length;
  EVP_CIPHER_CTX *ctx;
  Session *sessions; /* held: count of capacity, at most max_sessions */
  size_t count, capacity, max_sessions;
  ptrdiff_t last;    /* index of the last good datagram's session, or -1 */
  uint64_t tick;
  double opened, rejected, by_reason[REASONS], sessions_seen, evicted;
} Opener;

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int is_protected_type(unsigned char type) {
  return type == 's' || type == 'c' || type == 'e' || type == 'p' || type == 'n';
}

static int is_fresh(const Session *s, int64_t counter) {
  if (counter > s->highest) return 1;
  if (s->highest - counter >= WINDOW) return 0;
  int64_t slot = counter % WINDOW;
  return (s->seen[slot >> 5] & (1u << (slot & 31))) == 0;
}

static void accept_counter(Session *s, int64_t counter) {
  if (counter > s->highest) {
    if (counter - s->highest >= WINDOW) {
      memset(s->seen, 0, sizeof s->seen);
    } else {
      for (int64_t n = s->highest + 1; n < counter; n++) s->seen[(n % WINDOW) >> 5] &= ~(1u << (n % WINDOW & 31));
    }
    s->highest = counter;
  }
  int64_t slot = counter % WINDOW;
  s->seen[slot >> 5] |= 1u << (slot & 31);
}

/* HKDF-SHA256 (RFC 5869) for one 32-byte block: extract, then expand with info || 0x01. */
static int derive(const Opener *o, int key_index, const unsigned char *id, unsigned char *subkey) {
  unsigned char prk[32], input[MAX_INFO_BYTES + 1];
  unsigned int length = 0;
  int ok = ssl.hmac(ssl.sha256(), id, SESSION_ID_BYTES, o->key[key_index], KEY_BYTES, prk, &length) != NULL &&
           length == 32;
  memcpy(input, o->info, o->info_length);
  input[o->info_length] = 1;
  ok = ok && ssl.hmac(ssl.sha256(), prk, 32, input, o->info_length + 1, subkey, &length) != NULL && length == 32;
  ssl.cleanse(prk, sizeof prk);
  return ok;
}

static ptrdiff_t find_session(const Opener *o, int key_index, const unsigned char *id) {
  for (size_t i = 0; i < o->count; i++) {
    const Session *s = &o->sessions[i];
    if (s->key_index == key_index && memcmp(s->id, id, SESSION_ID_BYTES) == 0) return (ptrdiff_t)i;
  }
  return -1;
}

/* Keeps `fresh` (opened a datagram just now), forgetting the least recently heard at the limit. */
static ptrdiff_t remember(Opener *o, const Session *fresh) {
  size_t at;
  if (o->count >= o->max_sessions) {
    at = 0;
    for (size_t i = 1; i < o->count; i++)
      if (o->sessions[i].last_used < o->sessions[at].last_used) at = i;
    ssl.cleanse(&o->sessions[at], sizeof(Session));
    o->evicted++;
  } else {
    if (o->count == o->capacity) {
      size_t capacity = o->capacity * 2 < o->max_sessions ? o->capacity * 2 : o->max_sessions;
      Session *grown = calloc(capacity, sizeof(Session));
      if (grown == NULL) return -1; /* opened, but not remembered: its next datagram derives again */
      memcpy(grown, o->sessions, o->count * sizeof(Session));
      ssl.cleanse(o->sessions, o->count * sizeof(Session));
      free(o->sessions);
      o->sessions = grown;
      o->capacity = capacity;
    }
    at = o->count++;
  }
  o->sessions[at] = *fresh;
  o->sessions_seen++;
  return (ptrdiff_t)at;
}

static int open_datagram(Opener *o, unsigned char *d, size_t length) {
  unsigned char type = length > 0 ? d[0] : 0;
  if (!is_protected_type(type))
    return type == 'S' || type == 'C' || type == 'E' || type == 'P' ? UNPROTECTED : MALFORMED;
  if (length < CLEAR_BYTES + TAG_BYTES || d[5] != VERSION || length - TAG_BYTES > INT32_MAX) return MALFORMED;
  uint32_t counter_high = be32(d + 18);
  if (counter_high > 0x1fffff) return MALFORMED; /* past 2^53, as opener.ts */
  int64_t counter = (int64_t)counter_high << 32 | be32(d + 22);
  uint32_t key_id = be32(d + 6);
  const unsigned char *id = d + 10;

  Session fresh;
  Session *session = NULL;
  ptrdiff_t index = o->last;
  if (index < 0 || o->sessions[index].key_index >= o->keys || o->key_ids[o->sessions[index].key_index] != key_id ||
      memcmp(o->sessions[index].id, id, SESSION_ID_BYTES) != 0) {
    int key_index = o->key_ids[0] == key_id ? 0 : o->keys > 1 && o->key_ids[1] == key_id ? 1 : -1;
    if (key_index < 0) return UNKNOWN_KEY;
    index = find_session(o, key_index, id);
    if (index < 0) {
      /* Made only once a datagram of it has a good tag (below): forged ids take no memory. */
      memset(&fresh, 0, sizeof fresh);
      fresh.key_index = key_index;
      fresh.highest = -1;
      memcpy(fresh.id, id, SESSION_ID_BYTES);
      if (!derive(o, key_index, id, fresh.subkey)) return BAD_TAG;
      session = &fresh;
    }
  }
  if (session == NULL) session = &o->sessions[index];
  if (!is_fresh(session, counter)) return REPLAY;

  /* RFC 8439's nonce: 4 zero bytes, then the 64-bit counter as it is on the wire. */
  unsigned char nonce[12] = { 0 };
  memcpy(nonce + 4, d + 18, 8);
  int sealed = (int)(length - CLEAR_BYTES - TAG_BYTES);
  unsigned char *payload = d + CLEAR_BYTES;
  if (!openssl_chacha_open(o->ctx, session->subkey, nonce, d, CLEAR_BYTES, payload, sealed, payload)) {
    if (session == &fresh) ssl.cleanse(&fresh, sizeof fresh);
    return BAD_TAG;
  }
  int key_index = session->key_index;
  accept_counter(session, counter);
  session->last_used = ++o->tick;
  if (session == &fresh) {
    index = remember(o, &fresh);
    ssl.cleanse(&fresh, sizeof fresh);
  }
  o->last = index;
  /* The plain header goes just before the payload, over the end of the counter. */
  d[UDPCAM_PLAIN_AT] = type & ~0x20;
  memmove(d + UDPCAM_PLAIN_AT + 1, d + 1, 4);
  return key_index;
}

static int open_counted(udpcam_opener *self, unsigned char *datagram, size_t length) {
  Opener *o = (Opener *)self;
  int code = open_datagram(o, datagram, length);
  if (code >= 0) {
    o->opened++;
  } else {
    o->rejected++;
    o->by_reason[-code]++;
  }
  return code;
}

static void finalize(napi_env env, void *data, void *hint) {
  Opener *o = data;
  if (o->sessions != NULL) ssl.cleanse(o->sessions, o->capacity * sizeof(Session));
  free(o->sessions);
  ssl.ctx_free(o->ctx); /* wipes the last key set */
  ssl.cleanse(o, sizeof *o);
  free(o);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static Opener *unwrap(napi_env env, napi_value value) {
  bool tagged = false;
  void *data = NULL;
  if (napi_check_object_type_tag(env, value, &UDPCAM_OPENER_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, value, &data) != napi_ok)
    return NULL;
  return data;
}

napi_value opener_create(napi_env env, napi_callback_info info) {
  static const char *usage =
      "openerCreate(keys: 1 or 2 32-byte Uint8Arrays, keyIds: numbers, info: Uint8Array of <= 64 bytes, "
      "maxSessions >= 1)";
  size_t argc = 4;
  napi_value argv[4], external;
  uint32_t keys = 0;
  int64_t max_sessions;
  uint8_t *data;
  size_t length;
  bool is_array;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &keys) != napi_ok || keys < 1 || keys > 2 ||
      !bytes(env, argv[2], &data, &length) || length > MAX_INFO_BYTES ||
      napi_get_value_int64(env, argv[3], &max_sessions) != napi_ok || max_sessions < 1)
    return fail(env, usage);
  Opener *o = calloc(1, sizeof *o);
  if (o == NULL) return fail(env, "out of memory");
  o->base.open = open_counted;
  o->keys = (int)keys;
  o->last = -1;
  o->max_sessions = (size_t)max_sessions;
  memcpy(o->info, data, length);
  o->info_length = length;
  for (uint32_t i = 0; i < keys; i++) {
    napi_value key, key_id;
    uint32_t id;
    if (napi_get_element(env, argv[0], i, &key) != napi_ok || !bytes(env, key, &data, &length) ||
        length != KEY_BYTES || napi_get_element(env, argv[1], i, &key_id) != napi_ok ||
        napi_get_value_uint32(env, key_id, &id) != napi_ok) {
      finalize(env, o, NULL);
      return fail(env, usage);
    }
    memcpy(o->key[i], data, KEY_BYTES);
    o->key_ids[i] = id;
  }
  o->capacity = o->max_sessions < 4 ? o->max_sessions : 4;
  o->sessions = calloc(o->capacity, sizeof(Session));
  o->ctx = openssl_chacha_context(0);
  if (o->sessions == NULL || o->ctx == NULL) {
    finalize(env, o, NULL);
    return fail(env, "cannot make an opener: out of memory, or OpenSSL refuses ChaCha20-Poly1305");
  }
  if (napi_create_external(env, o, finalize, NULL, &external) != napi_ok) {
    finalize(env, o, NULL);
    return NULL;
  }
  if (napi_type_tag_object(env, external, &UDPCAM_OPENER_TAG) != napi_ok) return NULL;
  return external;
}

napi_value opener_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  uint8_t *data;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return NULL;
  Opener *o = unwrap(env, argv[0]);
  if (o == NULL || !bytes(env, argv[1], &data, &length)) return fail(env, "openerOpen(opener, datagram)");
  napi_create_int32(env, open_counted(&o->base, data, length), &result);
  return result;
}

napi_value opener_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, value;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  Opener *o = unwrap(env, argv[0]);
  if (o == NULL) return fail(env, "openerStats(opener)");
  double figures[] = { o->opened,        o->rejected,       o->by_reason[1], o->by_reason[2],
                       o->by_reason[3],  o->by_reason[4],   o->by_reason[5], o->sessions_seen,
                       o->evicted,       (double)o->count };
  size_t n = sizeof figures / sizeof figures[0];
  if (napi_create_array_with_length(env, n, &result) != napi_ok) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (napi_create_double(env, figures[i], &value) != napi_ok ||
        napi_set_element(env, result, (uint32_t)i, value) != napi_ok)
      return NULL;
  }
  return result;
}
