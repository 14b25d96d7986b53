/**
 * Cheap JPEG structure checks (ITU-T T.81 annex B): no decoding, only the marker segments that
 * come before the first scan, which are a few hundred bytes whatever the image size.
 */

export const SOI = 0xd8;
export const EOI = 0xd9;
export const SOS = 0xda;
export const COM = 0xfe;
export const APP0 = 0xe0;
export const APP15 = 0xef;

/** SOF0..SOF15 less DHT (C4), JPG (C8) and DAC (CC), which share the range. */
export function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers that stand alone, with no length field: RST0..RST7 and TEM. */
function isStandalone(marker: number): boolean {
  return (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01;
}

/** A marker segment found by `walkSegments`: marker byte, offset of its 0xFF, total bytes. */
export interface Segment {
  marker: number;
  offset: number;
  length: number;
}

/**
 * Walks the marker segments after SOI up to and including the first SOS, calling `visit` for
 * each (return true to stop early). Returns the offset just past the SOS header, or -1 when the
 * bytes are not a well-formed JPEG header (no SOI, a segment running past `end`, a stray marker,
 * no frame header before the scan).
 */
export function walkSegments(
  jpeg: Uint8Array,
  visit?: (marker: number, offset: number, length: number) => boolean | undefined,
  end: number = jpeg.length,
): number {
  if (end < 4 || jpeg[0] !== 0xff || jpeg[1] !== SOI) return -1;
  let at = 2;
  let sawFrameHeader = false;
  while (at + 1 < end) {
    if (jpeg[at] !== 0xff) return -1;
    let marker = jpeg[at + 1]!;
    // Any number of 0xFF fill bytes may precede a marker.
    while (marker === 0xff && at + 2 < end) {
      at++;
      marker = jpeg[at + 1]!;
    }
    if (isStandalone(marker)) {
      at += 2;
      continue;
    }
    if (marker === 0x00 || marker === 0xff || marker === SOI || marker === EOI) return -1;
    if (at + 4 > end) return -1;
    const length = (jpeg[at + 2]! << 8) | jpeg[at + 3]!;
    if (length < 2 || at + 2 + length > end) return -1;
    if (visit?.(marker, at, length + 2)) return at + 2 + length;
    if (isStartOfFrame(marker)) sawFrameHeader = true;
    at += 2 + length;
    if (marker === SOS) return sawFrameHeader ? at : -1;
  }
  return -1;
}

/**
 * True when the bytes are one whole JPEG as far as a cheap check can tell: SOI, well-formed
 * marker segments with a frame header up to the first scan, and EOI as the last two bytes.
 * Junk that merely starts with FFD8, and the first chunk of a larger frame, both fail.
 */
export function isWellFormedJpeg(jpeg: Uint8Array): boolean {
  const end = jpeg.length;
  if (end < 6 || jpeg[end - 2] !== 0xff || jpeg[end - 1] !== EOI) return false;
  // The scan data must lie between the SOS header and the EOI.
  const scan = walkSegments(jpeg, undefined, end - 2);
  return scan > 0;
}
