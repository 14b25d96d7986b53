/* The bytes of a Uint8Array argument, for the addon's functions. */
#ifndef UDPCAM_BYTES_H
#define UDPCAM_BYTES_H

#include <stdint.h>

#include <node_api.h>

/* Points `data` and `length` at the bytes of `value`; 0 when it is not a Uint8Array. */
static inline int bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  bool is_typedarray;
  return napi_is_typedarray(env, value, &is_typedarray) == napi_ok && is_typedarray &&
         napi_get_typedarray_info(env, value, &type, length, (void **)data, NULL, NULL) == napi_ok &&
         type == napi_uint8_array;
}

#endif
