/*
 * ChaCha20-Poly1305 (RFC 8439) for protected datagrams, from the OpenSSL inside the running Node,
 * with one cipher context per key and direction, reused for every datagram: a call sets the
 * nonce, runs the AAD and the payload through, and writes or checks the tag (as QUIC stacks on
 * OpenSSL do per packet). node:crypto cannot reuse a context for a new nonce (a cipher object per
 * datagram, ~5 µs for 1400 bytes); this is ~1.1 µs, libsodium's one call ~1.5 µs on this machine
 * (OpenSSL's ChaCha20 has AVX-512 code).
 *
 *   create(key)                             -> context (an external; freed by the GC, key wiped)
 *   seal(context, nonce, aad, plain, out)   -> undefined; out = ciphertext + 16-byte tag
 *   open(context, nonce, aad, sealed, out)  -> true when the tag verifies (out = plaintext);
 *                                              false, with out zeroed, when it does not
 *
 * `out` may be the same memory as `plain` / the ciphertext of `sealed` (in place), never a partial
 * overlap. Lengths are checked here: a wrong one throws a RangeError before any byte is touched.
 *
 * OpenSSL is not linked: its functions are looked up in the process (dlsym) when the module
 * loads, as Node exports them for addons. Where a Node build does not, the module exports only
 * `missing`, the first function not found, and the JavaScript side falls back to libsodium or
 * node:crypto: nothing can fail later on an unresolved symbol.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>
#include <openssl/evp.h>

#define KEY_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16

/* The OpenSSL functions used, found at load time. */
static struct {
  __typeof__(&EVP_chacha20_poly1305) chacha20_poly1305;
  __typeof__(&EVP_CIPHER_CTX_new) ctx_new;
  __typeof__(&EVP_CIPHER_CTX_free) ctx_free;
  __typeof__(&EVP_CIPHER_CTX_ctrl) ctx_ctrl;
  __typeof__(&EVP_CipherInit_ex) init;
  __typeof__(&EVP_CipherUpdate) update;
  __typeof__(&EVP_CipherFinal_ex) final;
  __typeof__(&OPENSSL_cleanse) cleanse;
} ssl;

/* The name of the first function not found, or NULL when all were; set once per process. */
static const char *missing;
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static const char *find_all(void) {
#define FIND(field, name)                                                                         \
  if ((*(void **)&ssl.field = dlsym(RTLD_DEFAULT, #name)) == NULL) return #name;
  FIND(chacha20_poly1305, EVP_chacha20_poly1305)
  FIND(ctx_new, EVP_CIPHER_CTX_new)
  FIND(ctx_free, EVP_CIPHER_CTX_free)
  FIND(ctx_ctrl, EVP_CIPHER_CTX_ctrl)
  FIND(init, EVP_CipherInit_ex)
  FIND(update, EVP_CipherUpdate)
  FIND(final, EVP_CipherFinal_ex)
  FIND(cleanse, OPENSSL_cleanse)
#undef FIND
  return NULL;
}

/* Worker threads load the module too: the lookup runs once. */
static void resolve(void) { missing = find_all(); }

/* One key's two contexts: OpenSSL fixes a context's direction when the key is set. */
typedef struct {
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
} Context;

static void free_context(napi_env env, void *data, void *hint) {
  Context *context = data;
  /* EVP_CIPHER_CTX_free wipes the key schedule. */
  ssl.ctx_free(context->seal);
  ssl.ctx_free(context->open);
  free(context);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

/* The bytes of a Uint8Array argument; 0 when it is not one. */
static int bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  bool is_typedarray;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray) return 0;
  if (napi_get_typedarray_info(env, value, &type, length, (void **)data, NULL, NULL) != napi_ok)
    return 0;
  return type == napi_uint8_array;
}

static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  uint8_t *key;
  size_t key_length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      !bytes(env, argv[0], &key, &key_length) || key_length != KEY_BYTES)
    return fail(env, "a ChaCha20-Poly1305 key is a 32-byte Uint8Array");
  Context *context = calloc(1, sizeof *context);
  if (context == NULL) return fail(env, "out of memory");
  context->seal = ssl.ctx_new();
  context->open = ssl.ctx_new();
  if (context->seal == NULL || context->open == NULL ||
      ssl.init(context->seal, ssl.chacha20_poly1305(), NULL, key, NULL, 1) != 1 ||
      ssl.init(context->open, ssl.chacha20_poly1305(), NULL, key, NULL, 0) != 1) {
    free_context(env, context, NULL);
    return fail(env, "OpenSSL refused the ChaCha20-Poly1305 key");
  }
  if (napi_create_external(env, context, free_context, NULL, &result) != napi_ok) {
    free_context(env, context, NULL);
    return NULL;
  }
  return result;
}

/* The arguments of seal and open: context, nonce, aad, input, output. */
typedef struct {
  Context *context;
  uint8_t *nonce, *aad, *in, *out;
  size_t nonce_length, aad_length, in_length, out_length;
} Args;

static int args(napi_env env, napi_callback_info info, Args *a) {
  size_t argc = 5;
  napi_value argv[5];
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return 0;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external) return 0;
  if (napi_get_value_external(env, argv[0], (void **)&a->context) != napi_ok) return 0;
  return bytes(env, argv[1], &a->nonce, &a->nonce_length) && a->nonce_length == NONCE_BYTES &&
         bytes(env, argv[2], &a->aad, &a->aad_length) && a->aad_length <= INT_MAX &&
         bytes(env, argv[3], &a->in, &a->in_length) && a->in_length <= INT_MAX - TAG_BYTES &&
         bytes(env, argv[4], &a->out, &a->out_length);
}

static napi_value aead_seal(napi_env env, napi_callback_info info) {
  Args a;
  int n;
  if (!args(env, info, &a) || a.out_length != a.in_length + TAG_BYTES)
    return fail(env, "seal(context, 12-byte nonce, aad, plain, out of plain.length + 16 bytes)");
  EVP_CIPHER_CTX *ctx = a.context->seal;
  if (ssl.init(ctx, NULL, NULL, NULL, a.nonce, 1) != 1 ||
      ssl.update(ctx, NULL, &n, a.aad, (int)a.aad_length) != 1 ||
      ssl.update(ctx, a.out, &n, a.in, (int)a.in_length) != 1 ||
      ssl.final(ctx, a.out + a.in_length, &n) != 1 ||
      ssl.ctx_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, a.out + a.in_length) != 1)
    return fail(env, "OpenSSL failed to seal");
  return NULL;
}

static napi_value aead_open(napi_env env, napi_callback_info info) {
  Args a;
  int n;
  napi_value result;
  if (!args(env, info, &a) || a.in_length < TAG_BYTES || a.out_length != a.in_length - TAG_BYTES)
    return fail(env, "open(context, 12-byte nonce, aad, sealed, out of sealed.length - 16 bytes)");
  EVP_CIPHER_CTX *ctx = a.context->open;
  size_t length = a.out_length;
  int ok = ssl.init(ctx, NULL, NULL, NULL, a.nonce, 0) == 1 &&
           ssl.ctx_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, a.in + length) == 1 &&
           ssl.update(ctx, NULL, &n, a.aad, (int)a.aad_length) == 1 &&
           ssl.update(ctx, a.out, &n, a.in, (int)length) == 1 &&
           ssl.final(ctx, a.out + length, &n) == 1;
  /* OpenSSL decrypts before it checks the tag: a forgery's "plaintext" is not left behind. */
  if (!ok) ssl.cleanse(a.out, length);
  napi_get_boolean(env, ok, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value value;
  pthread_once(&resolved, resolve);
  if (missing != NULL) {
    napi_create_string_utf8(env, missing, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, exports, "missing", value);
    return exports;
  }
  napi_property_descriptor properties[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
      {"seal", NULL, aead_seal, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, aead_open, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, properties);
  return exports;
}
