/* A frame file written atomically in one call (write_file.c), exported by udp_native.c's module. */
#ifndef UDP_NATIVE_WRITE_FILE_H
#define UDP_NATIVE_WRITE_FILE_H
#include <node_api.h>

napi_value write_file_atomic(napi_env env, napi_callback_info info);

#endif
