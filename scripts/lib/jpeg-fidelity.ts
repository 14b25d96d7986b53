/**
 * Judging what a stack delivered of a JPEG (bench-fidelity): byte-identical? decodes (sharp,
 * strictly)? same pixels? — and the warnings the sender or receiver printed about it.
 */

export interface FidelityResult {
  sent: number;
  delivered: number;
  byteIdentical: boolean;
  decodes: boolean;
  /** Largest per-channel difference between decoded input and output pixels; null if sizes differ. */
  maxPixelDiff: number | null;
  outputSize?: string;
  /** The decoder's complaint, when an output does not decode. */
  error?: string;
  /** Warnings the sender or receiver printed for this variant (e.g. rtpjpegpay's "Invalid component"). */
  warnings?: string[];
}

/** The distinct warning/error messages among `lines` (GStreamer's, or udpcam's JSON lines). */
export function warningsIn(lines: readonly string[]): string[] {
  const found = new Set<string>();
  for (const line of lines) {
    const gst = line.match(/^(?:WARNING|ERROR): from element \S+: (.*)$/);
    const udpcam = line.match(/"level":"(?:warn|warning|error)".*"message":"([^"]*)"/);
    const message = gst?.[1] ?? udpcam?.[1];
    if (message) found.add(message.trim());
  }
  return [...found];
}

/** Decodes a JPEG to RGB with sharp (libjpeg-turbo), strictly: corrupt data is an error. */
async function decode(jpeg: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(jpeg, { failOn: 'warning' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Compares what arrived with what was sent: delivered, byte-identical, decodes, largest pixel difference. */
export async function judge(
  input: Buffer,
  outputs: readonly Buffer[],
): Promise<Omit<FidelityResult, 'sent'>> {
  const result: Omit<FidelityResult, 'sent'> = {
    delivered: outputs.length,
    byteIdentical: outputs.length > 0 && outputs.every((output) => output.equals(input)),
    decodes: false,
    maxPixelDiff: null,
  };
  if (outputs.length === 0) return result;
  const reference = await decode(input);
  try {
    let worst = 0;
    for (const output of outputs) {
      const pixels = await decode(output);
      if (pixels.width !== reference.width || pixels.height !== reference.height)
        return { ...result, decodes: true, outputSize: `${pixels.width}x${pixels.height}` };
      for (let at = 0; at < pixels.data.length; at++) {
        const diff = Math.abs(pixels.data[at]! - reference.data[at]!);
        if (diff > worst) worst = diff;
      }
    }
    return { ...result, decodes: true, maxPixelDiff: worst };
  } catch (error) {
    return { ...result, error: (error as Error).message.split('\n')[0]! };
  }
}

/** One table cell: "3/3 byte-identical", "3/3 decodes, max Δ 40", "0/3 none delivered", ... */
export function describe(result: FidelityResult): string {
  const delivered = `${result.delivered}/${result.sent}`;
  if (result.delivered === 0) return `${delivered} none delivered`;
  if (result.byteIdentical) return `${delivered} byte-identical`;
  if (!result.decodes) return `${delivered} does not decode`;
  if (result.outputSize) return `${delivered} decodes as ${result.outputSize}`;
  return `${delivered} decodes, ${result.maxPixelDiff === 0 ? 'same pixels' : `max Δ ${result.maxPixelDiff}`}`;
}
