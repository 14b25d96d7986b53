/**
 * Every error udpcam raises on purpose carries a stable string code. Tests assert codes, not
 * messages; docs/errors.md lists every code (a test keeps the two in step).
 */
export const ERROR_CODES = {
  UDPCAM_ERR_INVALID_OPTION: 'An option or flag has a value outside what it accepts.',
  UDPCAM_ERR_INVALID_PACKET_SIZE: 'packet_size is not an integer in the accepted range.',
  UDPCAM_ERR_INVALID_IMAGE_ID: 'An image id is not an integer in 0..99.',
  UDPCAM_ERR_FRAME_TOO_LARGE: 'A frame needs more than 100 chunks at this packet size.',
  UDPCAM_ERR_NOT_JPEG: 'Bytes that must be a JPEG are not one (no SOI, broken marker segments, no EOI).',
  UDPCAM_ERR_MALFORMED_DATAGRAM: 'A datagram does not follow the 5-byte header format.',
  UDPCAM_ERR_ADDRESS_IN_USE: 'The UDP or HTTP port is already taken on that address.',
  UDPCAM_ERR_ADDRESS_NOT_AVAILABLE: 'The address to bind or send to cannot be used on this machine.',
  UDPCAM_ERR_OUT_DIR: 'The output folder cannot be created or written.',
  UDPCAM_ERR_SOURCE: 'A capture source failed or is not known.',
  UDPCAM_ERR_CONFIG: 'A JSON config file cannot be read or does not match its schema in configs/.',
  UDPCAM_ERR_KEY: 'A stream key file cannot be read, is not a udpcam key, or a key cannot be used.',
  UDPCAM_ERR_TLS: 'A TLS certificate or private key cannot be read or used, or HTTPS is needed and missing.',
  UDPCAM_ERR_CLOSED: 'A sender, transmitter or receiver was used after it was closed.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class of every error udpcam throws on purpose; `code` is stable, `message` is for people. */
export class UdpcamError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UdpcamError';
    this.code = code;
  }
}

/** True for errors udpcam raised on purpose (the CLI prints these as one line, no stack). */
export function isUdpcamError(error: unknown): error is UdpcamError {
  return error instanceof UdpcamError;
}
