/**
 * Reading stream key files (--key FILE) and the TLS files (--tls-cert, --tls-key): one-line
 * errors that name the file but never show its contents, and a warning when a secret file is
 * readable by other users.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseKeyFile, type StreamKey, UdpcamError } from '@udpcam/protocol';

/** Reads a secret file; warns (via `warn`) when group or others may read it. */
export function readSecretFile(
  file: string,
  what: string,
  code: 'UDPCAM_ERR_KEY' | 'UDPCAM_ERR_TLS',
  warn: (message: string) => void,
): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new UdpcamError(code, `cannot read ${what} ${file} (${(cause as NodeJS.ErrnoException).code})`, {
      cause,
    });
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    warn(
      `${what} ${file} is readable by other users (mode ${mode.toString(8).padStart(3, '0')}): chmod 600 ${file}`,
    );
  }
  return text;
}

/** The keys in `files` (each may hold one or more key lines); at most `max` in all. */
export function readKeyFiles(
  files: readonly string[],
  max: number,
  warn: (message: string) => void,
): StreamKey[] {
  const keys = files.flatMap((file) =>
    parseKeyFile(readSecretFile(file, 'key file', 'UDPCAM_ERR_KEY', warn), file),
  );
  if (keys.length > max) {
    throw new UdpcamError(
      'UDPCAM_ERR_KEY',
      max === 1
        ? `a sender uses one key; ${files.join(', ')} hold ${keys.length} (give it only the new key's file)`
        : `a receiver holds at most ${max} keys (old and new), got ${keys.length} from ${files.join(', ')}`,
    );
  }
  return keys;
}
