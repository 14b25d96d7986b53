/**
 * Node system errors (errno codes) as a person reads them: one table of short reasons, and the
 * one mapping of socket errors to UdpcamError codes. The sender's transmitter, the receiver's UDP
 * and HTTP sockets, the area server and the file sources all word errno codes through here.
 */
import { UdpcamError } from '@udpcam/protocol';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, not a file',
  ENOTREG: 'not a regular file',
  EFBIG: 'the file is too large',
  ENOTDIR: 'not a folder',
  ENOSPC: 'no space left on the device',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'host unreachable',
  ENETDOWN: 'network down',
  EHOSTDOWN: 'host down',
  EADDRINUSE: 'already in use',
  EADDRNOTAVAIL: 'not an address of this machine',
  EAFNOSUPPORT: 'address family not supported here',
  EINVAL: 'not a usable address',
  EMSGSIZE: 'datagram too large for the path',
};

/** The errno code of `error` ('EACCES', ...), or undefined when it has none. */
function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A short reason for a Node system error ("connection refused", "no such file or folder"...); else its message. */
export function errnoReason(error: unknown): string {
  const reason = REASONS[errnoOf(error) ?? ''];
  if (reason !== undefined) return reason;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A socket error (bind, listen, send) as a UdpcamError: EADDRINUSE → UDPCAM_ERR_ADDRESS_IN_USE,
 * EMSGSIZE → UDPCAM_ERR_INVALID_PACKET_SIZE, anything else → UDPCAM_ERR_ADDRESS_NOT_AVAILABLE.
 * The message is `${what}: reason (ERRNO[; hint])`, with the errno kept as `cause`.
 */
export function addressError(error: unknown, what: string, hint?: string): UdpcamError {
  const errno = errnoOf(error) ?? 'error';
  const code =
    errno === 'EADDRINUSE'
      ? 'UDPCAM_ERR_ADDRESS_IN_USE'
      : errno === 'EMSGSIZE'
        ? 'UDPCAM_ERR_INVALID_PACKET_SIZE'
        : 'UDPCAM_ERR_ADDRESS_NOT_AVAILABLE';
  const detail = hint === undefined ? errno : `${errno}; ${hint}`;
  return new UdpcamError(code, `${what}: ${errnoReason(error)} (${detail})`, { cause: error });
}
