/* Batched send (send.c), exported by udp_native.c's module. */
#ifndef UDP_NATIVE_SEND_H
#define UDP_NATIVE_SEND_H
#include <node_api.h>

napi_value udp_native_send(napi_env env, napi_callback_info info);

#endif
