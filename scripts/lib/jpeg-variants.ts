/**
 * bench-fidelity's JPEG variants: one 1280x720 image (sharp, libjpeg-turbo) in each flavour that
 * RTP/JPEG (RFC 2435) handles differently — 4:2:0 baseline, jpeg-js 4:4:4, optimised Huffman
 * tables, 4:4:4, progressive, restart markers (ffmpeg), 2560x1440, Exif + COM — each with what
 * RTP/JPEG does with it.
 */
import { spawnSync } from 'node:child_process';
import { encodeTestJpeg, encodeWebcamJpeg, testPixels } from './frames.js';
import { PACKET_SIZE } from './gst-stacks.js';

/** A JPEG variant for the fidelity table. */
export interface Variant {
  name: string;
  /** What RTP/JPEG (RFC 2435) does with it, and why. */
  rtpJpeg: string;
  data: Buffer;
  /** Payload bytes per udpcam datagram: a frame must fit in 100 chunks. */
  packetSize: number;
}

/** Inserts a COM segment after SOI and the APPn segments (where udpcam puts its own). */
function withComment(jpeg: Buffer, text: string): Buffer {
  let at = 2;
  while (jpeg[at] === 0xff && jpeg[at + 1]! >= 0xe0 && jpeg[at + 1]! <= 0xef)
    at += 2 + jpeg.readUInt16BE(at + 2);
  const body = Buffer.from(text, 'latin1');
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, at), header, body, jpeg.subarray(at)]);
}

/** The variants: one image (1280x720 unless said) in each JPEG flavour. */
export async function makeVariants(): Promise<{ variants: Variant[]; skipped: string[] }> {
  const { default: sharp } = await import('sharp');
  const width = 1280;
  const height = 720;
  const rgb = testPixels(width, height, 3);
  const encode = (options: Parameters<ReturnType<typeof sharp>['jpeg']>[0] = {}) =>
    sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({
      quality: 75,
      optimiseCoding: false,
      chromaSubsampling: '4:2:0',
      ...options,
    });
  const variant = (name: string, data: Buffer, rtpJpeg: string): Variant => ({
    name,
    rtpJpeg,
    data,
    // Room for udpcam's metadata COM segment (~50 bytes) in the udpcam-meta column.
    packetSize: Math.max(PACKET_SIZE, Math.ceil((data.length + 100) / 100)),
  });
  const variants = [
    variant(
      '4:2:0 baseline, standard Huffman (webcam MJPEG)',
      await encodeWebcamJpeg(width, height, 3),
      'the case RFC 2435 is made for (type 1, standard tables): headers rebuilt, pixels kept',
    ),
    variant(
      'jpeg-js q75 (udpcam fallback encoder: 4:4:4)',
      encodeTestJpeg({ seed: 3 }),
      'RTP/JPEG types 0/1 are 4:2:2 and 4:2:0 only: rtpjpegpay drops the frame ("Invalid component")',
    ),
    variant(
      'optimised Huffman tables',
      await encode({ optimiseCoding: true }).toBuffer(),
      'no Huffman tables on the wire: the receiver assumes the standard ones, the scan decodes as garbage',
    ),
    variant(
      '4:4:4 sampling',
      await encode({ chromaSubsampling: '4:4:4' }).toBuffer(),
      'no RTP/JPEG type for 4:4:4: rtpjpegpay drops the frame ("Invalid component")',
    ),
    variant(
      'progressive',
      await encode({ progressive: true }).toBuffer(),
      'baseline only: rtpjpegpay drops the frame ("Unsupported JPEG")',
    ),
  ];
  const skipped: string[] = [];
  // Restart markers: sharp cannot ask libjpeg for them; ffmpeg's MJPEG encoder writes DRI + RSTn
  // between slices.
  const ffmpeg = spawnSync(
    'ffmpeg',
    [
      ...`-loglevel error -f rawvideo -pix_fmt rgb24 -s ${width}x${height} -i -`.split(' '),
      ...'-frames:v 1 -c:v mjpeg -pix_fmt yuvj420p -q:v 4 -slices 4 -threads 4 -f image2pipe -'.split(' '),
    ],
    { input: rgb, maxBuffer: 16 * 1024 * 1024 },
  );
  const withRestarts = ffmpeg.status === 0 ? (ffmpeg.stdout as Buffer) : undefined;
  if (withRestarts?.includes(Buffer.from([0xff, 0xdd])))
    variants.push(
      variant(
        'restart markers (ffmpeg mjpeg, 4 slices)',
        withRestarts,
        'carried: types 64-127 add a restart marker header (DRI interval)',
      ),
    );
  else skipped.push('restart markers: ffmpeg not found or wrote no DRI segment');
  variants.push(
    variant(
      '2560x1440 (> 2040 px)',
      await encodeWebcamJpeg(2560, 1440, 3),
      'width/height are one byte each, in 8-pixel units (≤ 2040): beyond that rtpjpegpay puts x-dimensions in the caps (SDP), which a plain udpsrc does not have, and rtpjpegdepay drops the frame ("Invalid Dimension 0x0")',
    ),
  );
  const exif = await encode()
    .withExif({ IFD0: { ImageDescription: 'udpcam fidelity bench', Make: 'udpcam', Model: 'bench' } })
    .toBuffer();
  variants.push(
    variant(
      'APP1 Exif + COM segment',
      withComment(exif, 'a JPEG comment (COM)'),
      'only the scan travels: APPn and COM segments are lost, pixels kept',
    ),
  );
  return { variants, skipped };
}
