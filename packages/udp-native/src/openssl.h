/*
 * The little of OpenSSL's API udpcam uses, declared here rather than from <openssl/evp.h>, so the
 * module builds wherever Node's own headers are (a distribution's Node may come without
 * OpenSSL's): opaque types, and functions and constants whose ABI is the same in OpenSSL 1.1 and
 * 3.x. OpenSSL is not linked: the functions are looked up in the process (dlsym) once, as Node
 * exports them for addons.
 */
#ifndef UDPCAM_OPENSSL_H
#define UDPCAM_OPENSSL_H

#include <stddef.h>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_cipher_st EVP_CIPHER;
typedef struct evp_md_st EVP_MD;
typedef struct engine_st ENGINE;
#define EVP_CTRL_AEAD_GET_TAG 0x10
#define EVP_CTRL_AEAD_SET_TAG 0x11

/* The OpenSSL functions used, found by openssl_resolve(). */
typedef struct {
  const EVP_CIPHER *(*chacha20_poly1305)(void);
  EVP_CIPHER_CTX *(*ctx_new)(void);
  void (*ctx_free)(EVP_CIPHER_CTX *ctx);
  int (*ctx_ctrl)(EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr);
  int (*init)(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key,
              const unsigned char *iv, int enc);
  int (*update)(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl);
  int (*final)(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl);
  void (*cleanse)(void *ptr, size_t len);
  const EVP_MD *(*sha256)(void);
  unsigned char *(*hmac)(const EVP_MD *md, const void *key, int key_len, const unsigned char *data,
                         size_t data_len, unsigned char *out, unsigned int *out_len);
} OpensslFunctions;

extern OpensslFunctions ssl;

/* Looks the functions up (once per process; worker threads load the module too). Returns the
 * name of the first one this Node does not export, or NULL when all were found. */
const char *openssl_resolve(void);

/*
 * One ChaCha20-Poly1305 seal or open on `ctx` (made by openssl_chacha_context for that direction)
 * under a 32-byte key and a 12-byte nonce, as QUIC stacks on OpenSSL do per packet. seal writes
 * `length` bytes of ciphertext to `out` and the 16-byte tag after them; open checks the tag after
 * the `length` bytes of `in` and writes the plaintext to `out`, which it zeroes when the tag is
 * wrong (OpenSSL decrypts before it checks). `out` may be `in`. Return 1 on success, else 0.
 */
int openssl_chacha_seal(EVP_CIPHER_CTX *ctx, const unsigned char *key, const unsigned char *nonce,
                        const unsigned char *aad, int aad_length, const unsigned char *in, int length,
                        unsigned char *out);
int openssl_chacha_open(EVP_CIPHER_CTX *ctx, const unsigned char *key, const unsigned char *nonce,
                        const unsigned char *aad, int aad_length, const unsigned char *in, int length,
                        unsigned char *out);

/* A ChaCha20-Poly1305 context for one direction (1: seal, 0: open), or NULL when OpenSSL refuses
 * the cipher (in FIPS mode, say). */
EVP_CIPHER_CTX *openssl_chacha_context(int seal);

#endif
