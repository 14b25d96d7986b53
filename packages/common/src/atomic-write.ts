/**
 * Atomic file writes: the data goes to a temporary file in the target's folder, then a rename
 * (atomic on POSIX) puts it under its name, so a reader never sees half a file. The temporary file
 * is created exclusively ('wx': never through a symlink or FIFO planted at that path) under a name
 * no other writer uses (a dot-file with this process's random token and a counter, so listings
 * that skip dot-files skip it), and removed again when anything fails.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

const PROCESS_TOKEN = `${process.pid}.${randomBytes(4).toString('hex')}`;
let counter = 0;

/** A fresh temporary path beside `file`: `.<name>.<pid>.<random>.<n>.tmp`. */
export function temporaryPathFor(file: string): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return path.join(path.dirname(file), `.${path.basename(file)}.${PROCESS_TOKEN}.${counter}.tmp`);
}

/** Writes `data` to `file` atomically (see the file comment); rejects with the errno error. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const temporary = temporaryPathFor(file);
  try {
    await writeFile(temporary, data, { flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}

/** Writes `data` to `file` atomically and synchronously (see the file comment); throws the errno error. */
export function writeFileAtomicSync(file: string, data: Uint8Array): void {
  const temporary = temporaryPathFor(file);
  try {
    writeFileSync(temporary, data, { flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Never created, or already gone.
    }
    throw error;
  }
}
