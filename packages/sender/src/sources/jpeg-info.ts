/** Small helpers shared by the JPEG-file and network sources. */
import { isStartOfFrame, walkSegments } from '@udpcam/protocol';

/** Pixel size from the frame header (SOFn) of a JPEG, or undefined when there is none. */
export function jpegSize(jpeg: Uint8Array): { width: number; height: number } | undefined {
  let size: { width: number; height: number } | undefined;
  walkSegments(jpeg, (marker, offset, length) => {
    if (!isStartOfFrame(marker) || length < 9) return false;
    // FF Cn, Lh Ll, P, Yh Yl, Xh Xl
    const height = (jpeg[offset + 5]! << 8) | jpeg[offset + 6]!;
    const width = (jpeg[offset + 7]! << 8) | jpeg[offset + 8]!;
    size = { width, height };
    return true;
  });
  return size;
}

/** A short reason from a Node system error ("connection refused", "no such file"...). */
export function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ENOTREG':
      return 'not a regular file';
    case 'EFBIG':
      return 'the file is too large';
    case 'ENOTDIR':
      return 'not a folder';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
  }
  return error instanceof Error ? error.message : String(error);
}
