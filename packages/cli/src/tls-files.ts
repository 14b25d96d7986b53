/** --tls-cert / --tls-key: the PEM files for HTTPS, read and checked before any port is bound. */
import { createSecureContext } from 'node:tls';
import { UdpcamError } from '@udpcam/protocol';
import { readSecretFile } from './key-file.js';

/**
 * Reads --tls-cert and --tls-key (both or neither) for `https.createServer`, and checks that they
 * make a usable TLS context (the key matches the certificate). Throws UDPCAM_ERR_TLS in one line;
 * warns when the private key is readable by other users.
 */
export function loadTlsFiles(
  flags: { tlsCert?: string; tlsKey?: string },
  warn: (message: string) => void,
): { cert: string; key: string } | undefined {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return undefined;
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
    throw new UdpcamError(
      'UDPCAM_ERR_TLS',
      '--tls-cert and --tls-key go together (a PEM certificate and its private key)',
    );
  }
  const cert = readSecretFile(flags.tlsCert, 'certificate', 'UDPCAM_ERR_TLS', () => {});
  const key = readSecretFile(flags.tlsKey, 'TLS key', 'UDPCAM_ERR_TLS', warn);
  try {
    createSecureContext({ cert, key });
  } catch (cause) {
    throw new UdpcamError(
      'UDPCAM_ERR_TLS',
      `cannot use ${flags.tlsCert} with ${flags.tlsKey}: ${(cause as Error).message} (PEM files, the key matching the certificate)`,
      { cause },
    );
  }
  return { cert, key };
}
