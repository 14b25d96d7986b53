/* Reed-Solomon parity in GF(2^8) (gf256.c), exported by the udp_native module. */
#ifndef UDPCAM_GF256_H
#define UDPCAM_GF256_H

#include <node_api.h>

/* Builds the product tables and picks the CPU's path; once per process, before any encode. */
void gf256_init(void);
napi_value gf256_encode_parity(napi_env env, napi_callback_info info);

#endif
