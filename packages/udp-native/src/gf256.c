/*
 * Reed-Solomon parity for udpcam's FEC (docs/protocol.md#parity): parity shard j = the sum over
 * data shards i of coefficient[j][i] · shard i, in GF(2^8) with polynomial 0x11D (the field of
 * packages/protocol/src/fec/gf256.ts, which is the reference: the tests compare bytes).
 *
 *   encodeParity(shards, coefficients, shardSize, out)
 *       shards: k Uint8Arrays of at most shardSize bytes (a shorter one counts as zero-padded);
 *       coefficients: m × k bytes, row j for parity j; out: m × shardSize bytes, overwritten.
 *
 * Each product uses two 16-entry tables per coefficient (c·low nibble, c·high nibble), which
 * AVX2's byte shuffle applies to 32 bytes at once, as ISA-L and klauspost/reedsolomon do; other
 * CPUs look the nibbles up one byte at a time.
 */
#define NAPI_VERSION 8
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#include "bytes.h"
#include "gf256.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#define POLYNOMIAL 0x11d

/* tables[c][0..15] = c·x, tables[c][16..31] = c·(x << 4), for x = 0..15. */
static uint8_t tables[256][32];
#ifdef HAVE_AVX2_PATH
static int use_avx2;
#endif

static uint8_t multiply(uint8_t a, uint8_t b) {
  unsigned product = 0, x = a;
  for (; b; b >>= 1) {
    if (b & 1) product ^= x;
    x <<= 1;
    if (x & 0x100) x ^= POLYNOMIAL;
  }
  return (uint8_t)product;
}

void gf256_init(void) {
  for (int c = 0; c < 256; c++) {
    for (int x = 0; x < 16; x++) {
      tables[c][x] = multiply((uint8_t)c, (uint8_t)x);
      tables[c][16 + x] = multiply((uint8_t)c, (uint8_t)(x << 4));
    }
  }
#ifdef HAVE_AVX2_PATH
  use_avx2 = __builtin_cpu_supports("avx2");
#endif
}

static void mul_add_bytes(uint8_t *target, const uint8_t *source, size_t n, const uint8_t *table) {
  for (size_t i = 0; i < n; i++) target[i] ^= table[source[i] & 15] ^ table[16 + (source[i] >> 4)];
}

#ifdef HAVE_AVX2_PATH
__attribute__((target("avx2"))) static void mul_add_avx2(uint8_t *target, const uint8_t *source, size_t n,
                                                         const uint8_t *table) {
  const __m256i low = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)table));
  const __m256i high = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(table + 16)));
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(source + i));
    __m256i product = _mm256_xor_si256(_mm256_shuffle_epi8(low, _mm256_and_si256(v, nibble)),
                                       _mm256_shuffle_epi8(high, _mm256_and_si256(_mm256_srli_epi64(v, 4), nibble)));
    __m256i t = _mm256_loadu_si256((const __m256i *)(target + i));
    _mm256_storeu_si256((__m256i *)(target + i), _mm256_xor_si256(t, product));
  }
  mul_add_bytes(target + i, source + i, n - i, table);
}
#endif

/* target[0..n) ^= c · source[0..n) */
static void mul_add(uint8_t *target, const uint8_t *source, size_t n, uint8_t c) {
  if (c == 0) return;
#ifdef HAVE_AVX2_PATH
  if (use_avx2) {
    mul_add_avx2(target, source, n, tables[c]);
    return;
  }
#endif
  mul_add_bytes(target, source, n, tables[c]);
}

napi_value gf256_encode_parity(napi_env env, napi_callback_info info) {
  static const char *usage =
      "encodeParity(shards: Uint8Array[] of <= shardSize bytes, coefficients: m x k bytes, shardSize, out: m x "
      "shardSize bytes)";
  size_t argc = 4;
  napi_value argv[4];
  uint32_t k;
  int64_t shard_size;
  uint8_t *coefficients, *out;
  size_t coefficient_length, out_length;
  bool is_array;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &k) != napi_ok || k < 1 ||
      !bytes(env, argv[1], &coefficients, &coefficient_length) || coefficient_length % k != 0 ||
      napi_get_value_int64(env, argv[2], &shard_size) != napi_ok || shard_size < 0 ||
      !bytes(env, argv[3], &out, &out_length) || out_length != coefficient_length / k * (uint64_t)shard_size) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  size_t m = coefficient_length / k;
  memset(out, 0, out_length);
  for (uint32_t i = 0; i < k; i++) {
    napi_value element;
    uint8_t *shard;
    size_t length;
    if (napi_get_element(env, argv[0], i, &element) != napi_ok || !bytes(env, element, &shard, &length) ||
        length > (uint64_t)shard_size) {
      napi_throw_type_error(env, NULL, usage);
      return NULL;
    }
    for (size_t j = 0; j < m; j++) mul_add(out + j * shard_size, shard, length, coefficients[j * k + i]);
  }
  return NULL;
}
