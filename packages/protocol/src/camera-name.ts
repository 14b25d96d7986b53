/**
 * Camera names: a camera's id in folder names and URLs, given with `udpcam send --name`, carried in
 * the frame metadata (meta.ts), or given to the receiver with `--name` / cameras.json.
 */
import { UdpcamError } from './errors.js';

/** 1..64 letters, digits, '.', '_' or '-', and not only dots ('.' and '..' are no folder names). */
export const CAMERA_NAME_PATTERN = /^(?!\.+$)[A-Za-z0-9._-]{1,64}$/;

/** Whether `name` can be a camera's id. */
export function isCameraName(name: string): boolean {
  return CAMERA_NAME_PATTERN.test(name);
}

/** Throws UDPCAM_ERR_INVALID_OPTION, in one line, when `name` cannot be a camera's id. */
export function checkCameraName(name: string, what = 'camera name'): string {
  if (!isCameraName(name)) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      `${what} ${JSON.stringify(name)} is not allowed: use 1-64 letters, digits, '.', '_' or '-' (not only dots)`,
    );
  }
  return name;
}
