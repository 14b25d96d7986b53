/*
 * A frame file written atomically in one call (the receiver's synchronous disk writes):
 *
 *   writeFileAtomic(folder, name, data) -> true when written, false when this way cannot be used
 *                                          here; throws an Error with code, errno, syscall, path
 *
 * The file is made with O_TMPFILE (an inode with no name), written, and then linked into place
 * under `name` (linkat through /proc/self/fd): a reader sees the whole file or none, as with a
 * temporary file and a rename, with one directory entry made instead of one made, renamed and
 * removed, and one call from JavaScript instead of node:fs's four (open, write, close, rename),
 * each with its own path and argument checks: ~30 µs less per 56 kB frame here. It answers false,
 * having left nothing behind, where the file system has no O_TMPFILE or /proc is not mounted (from
 * then on at once) and where a file of that name exists (a link cannot replace it): the caller
 * then writes a dot-file and renames it (writeFileAtomicSync).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "write_file.h"

/* Set once O_TMPFILE or /proc has been seen missing: from then on, false at once. Tests set
 * UDPCAM_NO_TMPFILE=1 to take the caller's other way on file systems that have both. */
static int no_tmpfile = -1;

/* Throws what node:fs would: "ENOSPC: no space left on device, write '<path>'". */
static napi_value throw_errno(napi_env env, int error, const char *syscall, const char *path) {
  char message[PATH_MAX + 128];
  const char *code = uv_err_name(-error);
  snprintf(message, sizeof message, "%s: %s, %s '%s'", code, uv_strerror(-error), syscall, path);
  napi_value js_code, js_message, js_error, value;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &js_message) != napi_ok ||
      napi_create_error(env, js_code, js_message, &js_error) != napi_ok)
    return NULL;
  if (napi_create_int32(env, -error, &value) == napi_ok) napi_set_named_property(env, js_error, "errno", value);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value) == napi_ok)
    napi_set_named_property(env, js_error, "syscall", value);
  if (napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &value) == napi_ok)
    napi_set_named_property(env, js_error, "path", value);
  napi_throw(env, js_error);
  return NULL;
}

/* Writes all of data to fd; 0, or the errno. */
static int write_all(int fd, const unsigned char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    length -= (size_t)n;
  }
  return 0;
}

/* Writes data into a new unnamed file in folder and links it as target. Returns 0, an errno
 * (with *syscall naming the call), or -1 when this way is not available (nothing was linked). */
static int write_linked(const char *folder, const char *target, const unsigned char *data, size_t length,
                        const char **syscall) {
  int fd = open(folder, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  *syscall = "open";
  if (fd < 0) {
    /* No O_TMPFILE in this kernel (EISDIR) or file system (EOPNOTSUPP, EINVAL). */
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
      no_tmpfile = 1;
      return -1;
    }
    return errno;
  }
  int error = write_all(fd, data, length);
  *syscall = "write";
  char self[32];
  snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  if (error == 0 && linkat(AT_FDCWD, self, AT_FDCWD, target, AT_SYMLINK_FOLLOW) != 0) {
    error = errno;
    *syscall = "link";
    if (error == ENOENT && access("/proc/self/fd", F_OK) != 0) {
      no_tmpfile = 1; /* no /proc */
      error = -1;
    } else if (error == EEXIST) {
      error = -1; /* the caller's rename replaces it */
    }
  }
  if (close(fd) != 0 && error == 0) {
    error = errno;
    *syscall = "close";
  }
  return error;
}

napi_value write_file_atomic(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char folder[PATH_MAX], name[NAME_MAX + 1], target[PATH_MAX];
  size_t folder_length, name_length;
  bool is_typedarray = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_string_utf8(env, argv[0], folder, sizeof folder, &folder_length) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof name, &name_length) != napi_ok ||
      napi_is_typedarray(env, argv[2], &is_typedarray) != napi_ok || !is_typedarray) {
    napi_throw_type_error(env, NULL, "writeFileAtomic(folder, name, data): two strings and a Uint8Array");
    return NULL;
  }
  if (folder_length >= sizeof folder - 1 || name_length >= sizeof name - 1)
    return throw_errno(env, ENAMETOOLONG, "open", folder);
  int n = snprintf(target, sizeof target, "%s/%s", folder, name);
  if (n < 0 || (size_t)n >= sizeof target) return throw_errno(env, ENAMETOOLONG, "open", folder);
  napi_typedarray_type type;
  size_t count, offset;
  void *data;
  napi_value buffer;
  if (napi_get_typedarray_info(env, argv[2], &type, &count, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "writeFileAtomic(folder, name, data): data must be a Uint8Array");
    return NULL;
  }
  if (no_tmpfile < 0) {
    const char *forced = getenv("UDPCAM_NO_TMPFILE");
    no_tmpfile = forced != NULL && strcmp(forced, "1") == 0;
  }
  const char *syscall = "open";
  int error = no_tmpfile ? -1 : write_linked(folder, target, data, count, &syscall);
  if (error > 0) return throw_errno(env, error, syscall, target);
  napi_value written;
  if (napi_get_boolean(env, error == 0, &written) != napi_ok) return NULL;
  return written;
}
