/**
 * ChaCha20-Poly1305 from the OpenSSL inside the running Node (aead.c): one cipher context per key,
 * reused for every datagram. Its own module (openssl_aead.node), so a Node build that does not
 * export OpenSSL to addons loses only this, never batched UDP. @udpcam/protocol wraps it as an
 * AEAD backend.
 */
import { createRequire } from 'node:module';

/** aead.c's functions, or `missing`: the OpenSSL function this Node does not export. */
interface AeadBinding {
  create(key: Uint8Array): object;
  seal(context: object, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, out: Uint8Array): void;
  open(context: object, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, out: Uint8Array): boolean;
  missing?: string;
}

/** ChaCha20-Poly1305 under one key. Every length is checked: a wrong one throws a RangeError. */
export interface OpensslContext {
  /** Writes ciphertext and tag into `sealedOut` (plain.length + 16 bytes; may be `plain`'s memory). */
  seal(nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, sealedOut: Uint8Array): void;
  /** True with the plaintext in `plainOut` when the tag verifies; false, `plainOut` zeroed, when not. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, plainOut: Uint8Array): boolean;
}

let binding: AeadBinding | undefined;
let problem: string | undefined;

function load(): AeadBinding | undefined {
  if (binding !== undefined || problem !== undefined) return binding;
  try {
    const loaded = createRequire(import.meta.url)('../build/Release/openssl_aead.node') as AeadBinding;
    if (loaded.missing !== undefined) problem = `this Node does not export OpenSSL's ${loaded.missing}`;
    else if (!cipherWorks(loaded)) problem = "this Node's OpenSSL refuses ChaCha20-Poly1305 (FIPS mode?)";
    else binding = loaded;
  } catch (error) {
    problem = `the OpenSSL AEAD addon did not load: ${(error as Error).message.split('\n')[0]}`;
  }
  return binding;
}

/** Whether a context can be made and seals: an OpenSSL in FIPS mode, for one, refuses this cipher. */
function cipherWorks(loaded: AeadBinding): boolean {
  try {
    const context = loaded.create(new Uint8Array(32));
    loaded.seal(context, new Uint8Array(12), new Uint8Array(0), new Uint8Array(1), new Uint8Array(17));
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes a ChaCha20-Poly1305 context under a 32-byte key (a RangeError otherwise) from Node's
 * OpenSSL, or is undefined where that cannot be (see opensslAeadProblem).
 */
export function opensslChaCha20Poly1305(): ((key: Uint8Array) => OpensslContext) | undefined {
  const { create, seal, open } = load() ?? {};
  if (create === undefined || seal === undefined || open === undefined) return undefined;
  return (key) => {
    const context = create(key);
    return {
      seal: (nonce, aad, plain, sealedOut) => seal(context, nonce, aad, plain, sealedOut),
      open: (nonce, aad, sealed, plainOut) => open(context, nonce, aad, sealed, plainOut),
    };
  };
}

/** Why Node's OpenSSL cannot be used here, or undefined when it can. */
export function opensslAeadProblem(): string | undefined {
  load();
  return problem;
}
