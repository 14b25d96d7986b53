/**
 * The error table: every error udpcam raises on purpose carries a stable string code, and each
 * code has one row saying what it means and how it is handled (fastify's `lib/errors.js`). The
 * sender retries what the table calls retryable, the CLI picks its exit status from it, and
 * docs/errors.md lists every code (a test keeps the two in step). Tests assert codes, not messages.
 */

/**
 * How a failure is handled:
 * - `user`: the input is wrong (a flag, a file, a source spec); retrying cannot help — fix it.
 * - `retryable`: the world failed (a camera, the network, the disk); the same call may work later,
 *   so the sender warns and tries again with backoff.
 * - `fatal`: a bug in the calling program (misuse of an API); nothing to retry or to fix in the input.
 */
export type ErrorKind = 'user' | 'retryable' | 'fatal';

/** One row of the table: the kind, and the meaning (docs/errors.md says the same). */
export interface ErrorRow {
  readonly kind: ErrorKind;
  readonly meaning: string;
}

export const ERRORS = {
  UDPCAM_ERR_INVALID_OPTION: {
    kind: 'user',
    meaning: 'An option or flag has a value outside what it accepts.',
  },
  UDPCAM_ERR_INVALID_PACKET_SIZE: {
    kind: 'user',
    meaning: 'packet_size is not an integer in the accepted range.',
  },
  UDPCAM_ERR_INVALID_IMAGE_ID: { kind: 'fatal', meaning: 'An image id is not an integer in 0..99.' },
  UDPCAM_ERR_FRAME_TOO_LARGE: {
    kind: 'user',
    meaning: 'A frame needs more than 100 chunks at this packet size.',
  },
  UDPCAM_ERR_NOT_JPEG: {
    kind: 'user',
    meaning: 'Bytes that must be a JPEG are not one (no SOI, broken marker segments, no EOI).',
  },
  UDPCAM_ERR_MALFORMED_DATAGRAM: {
    kind: 'retryable',
    meaning: 'A datagram does not follow the 5-byte header format.',
  },
  UDPCAM_ERR_ADDRESS_IN_USE: {
    kind: 'retryable',
    meaning: 'The UDP or HTTP port is already taken on that address.',
  },
  UDPCAM_ERR_ADDRESS_NOT_AVAILABLE: {
    kind: 'retryable',
    meaning: 'The address to bind or send to cannot be used on this machine.',
  },
  UDPCAM_ERR_OUT_DIR: { kind: 'retryable', meaning: 'The output folder cannot be created or written.' },
  UDPCAM_ERR_SOURCE: {
    kind: 'retryable',
    meaning:
      'A capture source failed while running: no frame in time, a capture or read that failed, bytes that are not a JPEG.',
  },
  UDPCAM_ERR_SOURCE_SPEC: {
    kind: 'user',
    meaning:
      'A source cannot be used as given: an unknown kind, a bad device, URL, arguments or camera config, or its program is missing.',
  },
  UDPCAM_ERR_CONFIG: {
    kind: 'user',
    meaning: 'A JSON config file cannot be read or does not match its schema in configs/.',
  },
  UDPCAM_ERR_KEY: {
    kind: 'user',
    meaning: 'A stream key file cannot be read, is not a udpcam key, or a key cannot be used.',
  },
  UDPCAM_ERR_TLS: {
    kind: 'user',
    meaning: 'A TLS certificate or private key cannot be read or used, or HTTPS is needed and missing.',
  },
  UDPCAM_ERR_CLOSED: {
    kind: 'fatal',
    meaning:
      'A sender, transmitter, receiver or source was used out of turn: before start, after stop or close, or run twice.',
  },
  UDPCAM_ERR_HTTP_REQUEST: {
    kind: 'user',
    meaning: 'An HTTP request the server does not take: a bad path, method, parameter or body.',
  },
} as const satisfies Record<string, ErrorRow>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * Codes of the warnings udpcam reports while it goes on (the sender's `warning` events); listed
 * in docs/errors.md beside the errors.
 */
export const WARNINGS = {
  UDPCAM_WARN_QUALITY_REDUCED:
    'Frames did not fit 100 chunks: the quality was lowered, or JPEG frames are re-encoded.',
  UDPCAM_WARN_FRAME_FAILED:
    'A frame could not be grabbed or sent (a retryable error); the sender waits and goes on.',
} as const;

export type WarningCode = keyof typeof WARNINGS;

/** Base class of every error udpcam throws on purpose; `code` is stable, `message` is for people. */
export class UdpcamError extends Error {
  readonly code: ErrorCode;
  /** HTTP status a server answers this error with, when it is not the default (see httpStatus). */
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.name = 'UdpcamError';
    this.code = code;
    this.status = options?.status;
  }

  /** How this error is handled: the table's kind for its code. */
  get kind(): ErrorKind {
    return ERRORS[this.code].kind;
  }
}

/** True for errors udpcam raised on purpose (the CLI prints these as one line, no stack). */
export function isUdpcamError(error: unknown): error is UdpcamError {
  return error instanceof UdpcamError;
}

/**
 * The HTTP status a server answers `error` with: its own `status`, 422 for other user errors (the
 * request was understood but holds a bad value), 500 for everything else.
 */
export function httpStatus(error: unknown): number {
  if (!isUdpcamError(error)) return 500;
  return error.status ?? (error.kind === 'user' ? 422 : 500);
}
