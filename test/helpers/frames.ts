/** Real JPEG frames for tests: encoded with jpeg-js, padded to exact sizes with COM segments. */
import jpeg from 'jpeg-js';

/** A w×h JPEG whose pixels depend on `seed`, so different seeds give different bytes. */
export function makeJpeg(width: number, height: number, seed: number, quality = 75): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      rgba[at] = (x * 3 + seed * 17) & 0xff;
      rgba[at + 1] = (y * 5 + seed * 29) & 0xff;
      rgba[at + 2] = ((x ^ y) + seed * 7) & 0xff;
      rgba[at + 3] = 0xff;
    }
  }
  return Buffer.from(jpeg.encode({ data: rgba, width, height }, quality).data);
}

/**
 * The same JPEG grown to exactly `size` bytes with COM segments after SOI (every decoder skips
 * them). Lets a test hit the chunking edge cases (lone S, empty E) on purpose.
 */
export function padJpegTo(image: Buffer, size: number): Buffer {
  let missing = size - image.length;
  if (missing === 0) return image;
  if (missing < 4)
    throw new Error(`cannot pad ${image.length} bytes to ${size}: a segment takes 4 bytes at least`);
  const segments: Buffer[] = [];
  while (missing > 0) {
    // A segment is 4 bytes of marker and length plus up to 65533 bytes; never leave 1..3 bytes over.
    let take = Math.min(missing, 65537);
    if (missing - take > 0 && missing - take < 4) take -= 4;
    const segment = Buffer.alloc(take, 0x20);
    segment[0] = 0xff;
    segment[1] = 0xfe;
    segment.writeUInt16BE(take - 2, 2);
    segments.push(segment);
    missing -= take;
  }
  return Buffer.concat([image.subarray(0, 2), ...segments, image.subarray(2)]);
}
