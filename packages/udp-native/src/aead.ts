/**
 * ChaCha20-Poly1305 from the OpenSSL inside the running Node (aead.c): each call sets the key and
 * the nonce on a cipher context the addon keeps per thread. Its own module (openssl_aead.node), so
 * a Node build that does not export OpenSSL to addons loses only this, never batched UDP.
 * @udpcam/protocol wraps it as an AEAD backend.
 */
import { createRequire } from 'node:module';

/** aead.c's functions, or `problem`: why this Node's OpenSSL cannot be used. */
interface AeadBinding {
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, out: Uint8Array): void;
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, out: Uint8Array): boolean;
  problem?: string;
}

/** ChaCha20-Poly1305 under one key. Every length is checked: a wrong one throws a RangeError. */
export interface OpensslContext {
  /** Writes ciphertext and tag into `sealedOut` (plain.length + 16 bytes; may be `plain`'s memory). */
  seal(nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, sealedOut: Uint8Array): void;
  /** True with the plaintext in `plainOut` when the tag verifies; false, `plainOut` zeroed, when not. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, plainOut: Uint8Array): boolean;
}

const KEY_BYTES = 32;

let binding: AeadBinding | undefined;
let problem: string | undefined;

function load(): AeadBinding | undefined {
  if (binding !== undefined || problem !== undefined) return binding;
  try {
    const loaded = createRequire(import.meta.url)('../build/Release/openssl_aead.node') as AeadBinding;
    if (loaded.problem !== undefined) problem = loaded.problem;
    else binding = loaded;
  } catch (error) {
    problem = `the OpenSSL AEAD addon did not load: ${(error as Error).message.split('\n')[0]}`;
  }
  return binding;
}

/**
 * Makes ChaCha20-Poly1305 under a 32-byte key (a RangeError otherwise; the key is copied) from
 * Node's OpenSSL, or is undefined where that cannot be (see opensslAeadProblem).
 */
export function opensslChaCha20Poly1305(): ((key: Uint8Array) => OpensslContext) | undefined {
  const loaded = load();
  if (loaded === undefined) return undefined;
  const { seal, open } = loaded;
  return (key) => {
    if (key.length !== KEY_BYTES) throw new RangeError(`a ChaCha20-Poly1305 key is ${KEY_BYTES} bytes`);
    const own = Buffer.alloc(KEY_BYTES);
    own.set(key);
    return {
      seal: (nonce, aad, plain, sealedOut) => seal(own, nonce, aad, plain, sealedOut),
      open: (nonce, aad, sealed, plainOut) => open(own, nonce, aad, sealed, plainOut),
    };
  };
}

/** Why Node's OpenSSL cannot be used here, or undefined when it can. */
export function opensslAeadProblem(): string | undefined {
  load();
  return problem;
}
