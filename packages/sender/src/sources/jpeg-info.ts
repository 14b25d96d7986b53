/** The pixel size of a JPEG, for the file and network sources. */
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
