/**
 * A frame file written atomically and synchronously: in one native call (udp-native's
 * writeFileAtomic: O_TMPFILE, write, link into place) where the addon is built and the file
 * system allows it, else writeFileAtomicSync's dot-file and rename.
 */
import path from 'node:path';
import { writeFileAtomicSync } from '@udpcam/common';
import { nativeFileWriter } from '@udpcam/udp-native';

const writeNative = nativeFileWriter();

/** Writes `data` to `folder`/`name`; throws the errno error (code, syscall, path) as node:fs does. */
export function writeFrameFileSync(folder: string, name: string, data: Uint8Array): void {
  if (writeNative?.(folder, name, data) !== true) writeFileAtomicSync(folder + path.sep + name, data);
}
