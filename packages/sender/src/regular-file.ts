/**
 * Reading a file that is named on the command line or found in a folder: regular files only, and
 * at most a given size. `/dev/zero`, a FIFO or a symlink to either would otherwise grow memory
 * without end or block a read forever (issue 11, finding 11).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Largest JPEG a `file:` or `dir:` source reads (bytes). */
export const MAX_JPEG_FILE_BYTES = 64 * 1024 * 1024;
/** Largest JSON config file read (bytes). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

// O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function refuse(file: string, code: string, reason: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${file}: ${reason}`), { code });
}

/** Reads a regular file of at most `maxBytes`; throws (code ENOTREG, EFBIG, or the system's). */
export function readRegularFileSync(file: string, maxBytes: number): Buffer {
  const fd = openSync(file, FLAGS);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw refuse(file, 'ENOTREG', 'not a regular file');
    if (stat.size > maxBytes) throw refuse(file, 'EFBIG', `larger than ${maxBytes} bytes`);
    // Sized from stat (the dir: source reads a file per frame: it must not allocate the cap each
    // time), but read to the cap, not to that size: the file may grow meanwhile.
    let buffer = Buffer.allocUnsafe(Math.min(maxBytes, stat.size) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const grown = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw refuse(file, 'EFBIG', `larger than ${maxBytes} bytes`);
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
