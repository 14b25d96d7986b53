/**
 * The fewest bytes any baseline JPEG of a given pixel size can take, whatever its quality: each
 * 8×8 block costs at least a DC code and an end-of-block code (1 bit each at best, with tables
 * tuned to the image), and 4:2:0 (the least chroma a colour JPEG keeps) has 6 blocks per 16×16 MCU.
 * A frame whose bound is over what fits 100 chunks can be refused at once, without decoding it and
 * trying every quality (an 8000×8000 frame took 11 encodes of ~1 s each before failing, and a stop
 * waited for them: issue 11, finding 12).
 */

/** Lower bound in bytes of a colour JPEG of `width` × `height` pixels (entropy-coded data only). */
export function minJpegBytes(width: number, height: number): number {
  const mcus = Math.ceil(width / 16) * Math.ceil(height / 16);
  return Math.ceil((mcus * 6 * 2) / 8);
}
