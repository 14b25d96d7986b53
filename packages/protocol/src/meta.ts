/**
 * Frame metadata carried inside the JPEG, so the wire header stays the original's: a COM segment
 * (FF FE) placed after SOI and any leading APPn segments (JFIF and Exif must stay first), with
 * ASCII text `UDPCAM1 seq=<sequence> ts=<capture time, µs since the epoch> crc=<8 hex>[ name=<camera name>]`.
 * Every decoder skips COM segments; `exiftool -Comment frame.jpg` shows it. The name (from
 * `udpcam send --name`) lets the receiver keep a camera's identity across restarts. The CRC-32
 * covers every byte of the JPEG outside this segment: two frames that share an image id (ids cycle
 * every 100 frames) and the same chunk count can be stitched by a long loss run, and the CRC is
 * what tells such a frame from a real one.
 */

import { checkCameraName } from './camera-name.js';
import { crc32 } from './crc32.js';
import { UdpcamError } from './errors.js';
import { APP0, APP15, COM, walkSegments } from './jpeg.js';

const MAGIC = 'UDPCAM1 ';
const MAGIC_BYTES = Buffer.from(MAGIC, 'latin1');

/** What udpcam's sender stamps on each frame. */
export interface FrameMeta {
  /** Sender's frame counter, from 0. */
  seq: number;
  /** Capture time in microseconds since the Unix epoch. */
  captureUs: number;
  /** The camera's name (CAMERA_NAME_PATTERN), when the sender was given one. */
  name?: string;
}

function isOurComment(jpeg: Uint8Array, offset: number, length: number): boolean {
  const text = offset + 4;
  return (
    length >= 4 + MAGIC_BYTES.length && MAGIC_BYTES.equals(jpeg.subarray(text, text + MAGIC_BYTES.length))
  );
}

/** Finds udpcam's COM segment: [offset, length] or undefined. */
function findMetaSegment(jpeg: Uint8Array): [number, number] | undefined {
  let found: [number, number] | undefined;
  walkSegments(jpeg, (marker, offset, length) => {
    if (marker === COM && isOurComment(jpeg, offset, length)) {
      found = [offset, length];
      return true;
    }
    return false;
  });
  return found;
}

/** udpcam's metadata of a JPEG; undefined when it carries none, or a CRC its bytes do not match. */
export function readFrameMeta(jpeg: Uint8Array): FrameMeta | undefined {
  return readCheckedFrameMeta(jpeg) || undefined;
}

/**
 * udpcam's metadata, undefined when the frame carries none, or false when it carries a CRC its
 * bytes do not match: a frame stitched from two that shared an image id. Frames from senders
 * that predate the CRC pass. Cost: one CRC-32 pass over the frame (a few µs per 100 kB).
 */
export function readCheckedFrameMeta(jpeg: Uint8Array): FrameMeta | undefined | false {
  const segment = findMetaSegment(jpeg);
  if (segment === undefined) return undefined;
  const [offset, length] = segment;
  const text = Buffer.from(jpeg.buffer, jpeg.byteOffset + offset + 4, length - 4).toString('latin1');
  const match = META_PATTERN.exec(text);
  if (!match) return undefined;
  if (match[3] !== undefined && crcAround(jpeg, offset, length) !== Number.parseInt(match[3], 16))
    return false;
  const meta: FrameMeta = { seq: Number(match[1]), captureUs: Number(match[2]) };
  if (match[4] !== undefined) meta.name = match[4];
  return meta;
}

const META_PATTERN =
  /^UDPCAM1 seq=(\d{1,16}) ts=(\d{1,16})(?: crc=([0-9a-f]{8}))?(?: name=((?!\.+$)[A-Za-z0-9._-]{1,64}))?$/;

/** CRC-32 of `jpeg` without the `length` bytes at `offset`. */
function crcAround(jpeg: Uint8Array, offset: number, length: number): number {
  return crc32(jpeg.subarray(offset + length), crc32(jpeg.subarray(0, offset)));
}

/**
 * Returns a copy of the JPEG with udpcam's COM segment set to `meta` (any existing
 * ones are removed). Throws UDPCAM_ERR_NOT_JPEG when the header cannot be walked.
 */
export function withFrameMeta(jpeg: Buffer, meta: FrameMeta): Buffer {
  if (![meta.seq, meta.captureUs].every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      'frame meta needs non-negative integer seq and captureUs',
    );
  }
  if (meta.name !== undefined) checkCameraName(meta.name);
  let insertAt = 2;
  const ours: [number, number][] = [];
  let leadingApps = true;
  const ok = walkSegments(jpeg, (marker, offset, length) => {
    if (leadingApps && marker >= APP0 && marker <= APP15) insertAt = offset + length;
    else leadingApps = false;
    if (marker === COM && isOurComment(jpeg, offset, length)) ours.push([offset, length]);
    return false;
  });
  if (ok < 0)
    throw new UdpcamError('UDPCAM_ERR_NOT_JPEG', 'cannot add frame metadata: not a well-formed JPEG');

  // Our segment goes at insertAt; any earlier udpcam comments (never before insertAt) are left out.
  const parts: Buffer[] = [jpeg.subarray(0, insertAt)];
  let at = insertAt;
  for (const [offset, length] of ours) {
    parts.push(jpeg.subarray(at, offset));
    at = offset + length;
  }
  parts.push(jpeg.subarray(at));
  let crc = 0;
  for (const part of parts) crc = crc32(part, crc);

  const named = meta.name === undefined ? '' : ` name=${meta.name}`;
  const hex = crc.toString(16).padStart(8, '0');
  const text = Buffer.from(`${MAGIC}seq=${meta.seq} ts=${meta.captureUs} crc=${hex}${named}`, 'latin1');
  const segment = Buffer.allocUnsafe(4 + text.length);
  segment[0] = 0xff;
  segment[1] = COM;
  segment.writeUInt16BE(2 + text.length, 2);
  text.copy(segment, 4);
  parts.splice(1, 0, segment);
  return Buffer.concat(parts);
}
