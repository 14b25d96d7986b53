{
  "targets": [
    {
      "target_name": "udp_native",
      "sources": ["src/udp_native.c", "src/send.c", "src/gf256.c", "src/write_file.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "openssl_aead",
      "sources": ["src/aead.c", "src/opener.c", "src/openssl.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
