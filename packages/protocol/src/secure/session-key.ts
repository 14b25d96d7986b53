/**
 * The per-session subkey: HKDF-SHA256(stream key, salt = session id, info "udpcam session key").
 * Each sender session (one process run) draws a fresh random 8-byte session id, so each run
 * encrypts under its own key and may start its nonce counter at 0 again (docs/protocol.md#nonce).
 */
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import type { StreamKey } from './key.js';
import { KEY_BYTES } from './layout.js';

/** Derives the AES-256 key of one sender session (~8 µs: done once per session, not per datagram). */
export function sessionKey(streamKey: StreamKey, sessionId: Uint8Array): KeyObject {
  return createSecretKey(
    Buffer.from(hkdfSync('sha256', streamKey.key, sessionId, 'udpcam session key', KEY_BYTES)),
  );
}
