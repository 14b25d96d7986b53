/**
 * The error table (fastify's `lib/errors.js`): every error udpcam raises on purpose carries a
 * stable string code, whose row gives its kind; the sender retries what is retryable and the CLI
 * picks its exit status by kind. docs/errors.md explains each code (its test keeps it in step).
 */

/**
 * `user`: the input is wrong (a flag, a file, a source spec) — fix it, retrying cannot help;
 * `retryable`: the world failed (a camera, the network, the disk) — the sender warns and tries
 * again with backoff; `fatal`: a bug in the calling program (misuse of an API).
 */
export type ErrorKind = 'user' | 'retryable' | 'fatal';

/** The table: code → kind (see the file comment). */
export const ERRORS = {
  UDPCAM_ERR_INVALID_OPTION: 'user',
  UDPCAM_ERR_INVALID_PACKET_SIZE: 'user',
  UDPCAM_ERR_INVALID_IMAGE_ID: 'fatal',
  UDPCAM_ERR_FRAME_TOO_LARGE: 'user',
  UDPCAM_ERR_NOT_JPEG: 'user',
  UDPCAM_ERR_MALFORMED_DATAGRAM: 'retryable',
  UDPCAM_ERR_ADDRESS_IN_USE: 'retryable',
  UDPCAM_ERR_ADDRESS_NOT_AVAILABLE: 'retryable',
  UDPCAM_ERR_OUT_DIR: 'retryable',
  UDPCAM_ERR_SOURCE: 'retryable',
  UDPCAM_ERR_SOURCE_SPEC: 'user',
  UDPCAM_ERR_CONFIG: 'user',
  UDPCAM_ERR_KEY: 'user',
  UDPCAM_ERR_TLS: 'user',
  UDPCAM_ERR_CLOSED: 'fatal',
  UDPCAM_ERR_HTTP_REQUEST: 'user',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERRORS;

/** Codes of the warnings udpcam reports while it goes on (the sender's `warning` events; docs/errors.md). */
export const WARNINGS = ['UDPCAM_WARN_QUALITY_REDUCED', 'UDPCAM_WARN_FRAME_FAILED'] as const;

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
    return ERRORS[this.code];
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
