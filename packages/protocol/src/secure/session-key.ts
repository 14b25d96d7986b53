/**
 * The per-session subkey: HKDF-SHA256(stream key, salt = session id, info "udpcam session key v2").
 * Each sender session (one process run) draws a fresh random 8-byte session id, so each run
 * encrypts under its own key and may start its nonce counter at 0 again (docs/protocol.md#nonce).
 * The info names the datagram version, so no subkey of version 2 is ever one of version 1's.
 */
import { hkdfSync } from 'node:crypto';
import type { Aead, AeadBackend } from './aead.js';
import type { StreamKey } from './key.js';
import { KEY_BYTES } from './layout.js';

/** HKDF info of session keys. */
export const SESSION_KEY_INFO = 'udpcam session key v2';

/**
 * The AEAD under the subkey of one sender session, from `backend` (~10 µs: once per session,
 * not per datagram). The derived bytes are wiped once the backend holds its copy.
 */
export function sessionAead(streamKey: StreamKey, sessionId: Uint8Array, backend: AeadBackend): Aead {
  const subkey = Buffer.from(hkdfSync('sha256', streamKey.key, sessionId, SESSION_KEY_INFO, KEY_BYTES));
  try {
    return backend.withKey(subkey);
  } finally {
    subkey.fill(0);
  }
}
