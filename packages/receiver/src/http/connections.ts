/**
 * How many TCP connections the HTTP side may hold (issue 11, finding 8). Each is a file
 * descriptor; a connection flood must not take the last ones, or frame writes fail with EMFILE.
 * So the limit stays FD_RESERVE below the process's open-file limit (RLIMIT_NOFILE, read from
 * /proc/self/limits on Linux), whatever --max-clients says.
 */
import { readFileSync } from 'node:fs';

/** File descriptors kept for everything but HTTP: the disk sink's writes, UDP, stdio, ffmpeg pipes. */
export const FD_RESERVE = 128;

/** The soft open-file limit, or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line?.[1] === undefined || line[1] === 'unlimited' ? undefined : Number(line[1]);
  } catch {
    return undefined;
  }
}

/**
 * The default connection limit: room for `maxClients` streams plus as many page, API and snapshot
 * requests again (and 64), but never within FD_RESERVE of the open-file limit.
 */
export function connectionLimit(maxClients: number, fileLimit = openFileLimit()): number {
  const wanted = 2 * maxClients + 64;
  return fileLimit === undefined ? wanted : Math.max(16, Math.min(wanted, fileLimit - FD_RESERVE));
}
