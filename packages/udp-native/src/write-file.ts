/**
 * A frame file written atomically in one call (write_file.c): O_TMPFILE, write, link into place.
 * For the receiver's synchronous disk writes: one call instead of node:fs's open, write, close
 * and rename.
 */
import { load } from './binding.js';

/**
 * Writes `data` to `folder`/`name` so that a reader sees the whole file or none, and returns true;
 * returns false, having written nothing, where that cannot be done so (no O_TMPFILE or /proc here,
 * or a file of that name exists): the caller then writes a dot-file and renames it. Throws what
 * node:fs would (an Error with code, errno, syscall and path).
 */
export type AtomicFileWriter = (folder: string, name: string, data: Uint8Array) => boolean;

/** The writer, or undefined where the addon is not built (the caller keeps node:fs). */
export function nativeFileWriter(): AtomicFileWriter | undefined {
  return load()?.writeFileAtomic;
}
