/* Finds the OpenSSL functions of openssl.h in the running Node. */
#define _GNU_SOURCE
#include "openssl.h"

#include <dlfcn.h>
#include <pthread.h>

OpensslFunctions ssl;

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
  FIND(sha256, EVP_sha256)
  FIND(hmac, HMAC)
#undef FIND
  return NULL;
}

static void resolve(void) { missing = find_all(); }

const char *openssl_resolve(void) {
  pthread_once(&resolved, resolve);
  return missing;
}

EVP_CIPHER_CTX *openssl_chacha_context(int seal) {
  EVP_CIPHER_CTX *ctx = ssl.ctx_new();
  if (ctx != NULL && ssl.init(ctx, ssl.chacha20_poly1305(), NULL, NULL, NULL, seal) != 1) {
    ssl.ctx_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

#define TAG_BYTES 16

int openssl_chacha_seal(EVP_CIPHER_CTX *ctx, const unsigned char *key, const unsigned char *nonce,
                        const unsigned char *aad, int aad_length, const unsigned char *in, int length,
                        unsigned char *out) {
  int n;
  return ssl.init(ctx, NULL, NULL, key, nonce, 1) == 1 && ssl.update(ctx, NULL, &n, aad, aad_length) == 1 &&
         ssl.update(ctx, out, &n, in, length) == 1 && ssl.final(ctx, out + length, &n) == 1 &&
         ssl.ctx_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, out + length) == 1;
}

int openssl_chacha_open(EVP_CIPHER_CTX *ctx, const unsigned char *key, const unsigned char *nonce,
                        const unsigned char *aad, int aad_length, const unsigned char *in, int length,
                        unsigned char *out) {
  int n;
  int ok = ssl.init(ctx, NULL, NULL, key, nonce, 0) == 1 &&
           ssl.ctx_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, (void *)(in + length)) == 1 &&
           ssl.update(ctx, NULL, &n, aad, aad_length) == 1 && ssl.update(ctx, out, &n, in, length) == 1 &&
           ssl.final(ctx, out + length, &n) == 1;
  if (!ok) ssl.cleanse(out, (size_t)length);
  return ok;
}
