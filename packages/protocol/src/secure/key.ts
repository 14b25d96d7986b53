/**
 * Stream keys: 32 random bytes shared by a sender and its receiver, held as a KeyObject (whose
 * material never shows in logs or JSON), with a 4-byte id derived from the key so a receiver with
 * two keys picks the right one without trying both. Key files are text (see `formatKeyFile`).
 */
import { createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { UdpcamError } from '../errors.js';
import { KEY_BYTES } from './layout.js';

/** A loaded key. Printing it (console.log, JSON.stringify) shows only its id. */
export class StreamKey {
  /** The secret, as a KeyObject (not exportable by accident: no toString of the bytes). */
  readonly key: KeyObject;
  /** Key id carried in every datagram: 4 bytes of HKDF(key, info "udpcam key id"), as uint32. */
  readonly id: number;

  constructor(secret: Uint8Array) {
    if (secret.length !== KEY_BYTES) {
      throw new UdpcamError('UDPCAM_ERR_KEY', `a key is ${KEY_BYTES} bytes, got ${secret.length}`);
    }
    this.key = createSecretKey(secret);
    this.id = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'udpcam key id', 4)).readUInt32BE(0);
  }

  /** The key id as 8 hex digits: safe to show (it tells nothing of the key). */
  get idHex(): string {
    return this.id.toString(16).padStart(8, '0');
  }

  toJSON(): string {
    return `StreamKey(${this.idHex})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toJSON();
  }
}

/** Prefix of a key line in a key file. */
export const KEY_LINE_PREFIX = 'udpcam-key-v1 ';

/** A fresh random key, as the bytes to write with `formatKeyFile`. */
export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The text of a key file for `secret`: comments saying how to copy it, then one key line. */
export function formatKeyFile(secret: Uint8Array): string {
  const key = new StreamKey(secret);
  return [
    `# udpcam stream key ${key.idHex} (ChaCha20-Poly1305). Whoever has this file can watch and feed the camera.`,
    '# Copy it to the receiver over a channel you trust (scp, a USB stick), keep it readable only by you',
    '# (chmod 600), and pass it to both ends: udpcam send --key FILE, udpcam receive --key FILE.',
    `${KEY_LINE_PREFIX}${Buffer.from(secret).toString('hex')}`,
    '',
  ].join('\n');
}

/**
 * Parses a key file's text: blank lines and `#` comments are skipped, every other line must be
 * `udpcam-key-v1 <64 hex digits>`. `label` names the file in errors (never the key). Throws
 * UDPCAM_ERR_KEY for no key, a bad line or the same key id twice.
 */
export function parseKeyFile(text: string, label: string): StreamKey[] {
  const keys: StreamKey[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const hex = line.startsWith(KEY_LINE_PREFIX) ? line.slice(KEY_LINE_PREFIX.length).trim() : '';
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
      throw new UdpcamError(
        'UDPCAM_ERR_KEY',
        `${label} line ${index + 1}: expected "${KEY_LINE_PREFIX.trim()} <64 hex digits>" (make one with udpcam keygen)`,
      );
    }
    keys.push(new StreamKey(Buffer.from(hex, 'hex')));
  }
  if (keys.length === 0) {
    throw new UdpcamError('UDPCAM_ERR_KEY', `${label} holds no key (make one with udpcam keygen)`);
  }
  assertDistinctKeys(keys);
  return keys;
}

/** Throws UDPCAM_ERR_KEY when two keys share an id (the same key twice, or a 1-in-2^32 clash). */
export function assertDistinctKeys(keys: readonly StreamKey[]): void {
  const seen = new Set<number>();
  for (const key of keys) {
    if (seen.has(key.id)) {
      throw new UdpcamError(
        'UDPCAM_ERR_KEY',
        `key ${key.idHex} is given twice (two keys must differ; make a new one with udpcam keygen)`,
      );
    }
    seen.add(key.id);
  }
}
