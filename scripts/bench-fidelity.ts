/**
 * Fidelity, udpcam beside GStreamer's RTP/JPEG: each JPEG variant (lib/jpeg-variants.ts) sent 3
 * times through a lossless relay into one receiver per stack (lib/gst-stacks.ts): delivered?
 * byte-identical? decodes? same pixels? RTP/JPEG (RFC 2435) sends only the scan and rebuilds the
 * headers from a type and quality, so what those cannot say is lost. udpcam runs with --no-meta
 * for the byte check; the "udpcam-meta" column (not with --quick) adds its metadata segment.
 *
 *   node build/scripts/bench-fidelity.js [--quick]
 * Writes bench-results/fidelity.json. Without GStreamer the udpcam columns still run and the JSON
 * says `gstreamer: {available: false, reason}`. It asserts nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFrameDir } from './lib/frames.js';
import { FPS, type Stack, startReceiver, startSender } from './lib/gst-stacks.js';
import { gstreamerStatus } from './lib/gstreamer.js';
import { startBench } from './lib/harness.js';
import { describe, type FidelityResult, judge, warningsIn } from './lib/jpeg-fidelity.js';
import { makeVariants, type Variant } from './lib/jpeg-variants.js';
import { finish, outputFiles, settle } from './lib/outputs.js';
import { startRelayChild } from './lib/relay.js';
import { sleep, table } from './lib/report.js';

const bench = startBench('fidelity');
/** Frames sent of each variant. */
const FIDELITY_FRAMES = 3;

/** Sends each variant through one long-running receiver per stack; returns the table's rows. */
async function runFidelity(
  stacks: readonly (Stack | 'udpcam-meta')[],
  variants: readonly Variant[],
  work: string,
): Promise<Record<string, Record<string, FidelityResult>>> {
  const table: Record<string, Record<string, FidelityResult>> = {};
  for (const variant of variants) table[variant.name] = {};
  for (const stack of stacks) {
    const receiverStack: Stack = stack === 'gstreamer' ? 'gstreamer' : 'udpcam';
    const outDir = path.join(work, `fidelity-out-${stack}`);
    const receiver = await startReceiver(receiverStack, outDir, undefined);
    try {
      for (const [index, variant] of variants.entries()) {
        process.stdout.write(`[fidelity ${stack}] ${variant.name}: `);
        const dir = path.join(work, `fidelity-in-${index}`);
        writeFrameDir(dir, [variant.data], FIDELITY_FRAMES);
        // A relay per variant (a new sender port); its frames are the files new since it began.
        const relay = await startRelayChild({
          targetPort: receiver.port,
          lossRate: 0,
          seed: 1,
          frameEnd: 'none',
        });
        const before = new Set(outputFiles(outDir));
        const receiverLinesBefore = receiver.child.lines.length;
        try {
          const sender = startSender(stack, dir, FIDELITY_FRAMES, relay.port, variant.packetSize, undefined);
          await finish(sender, FIDELITY_FRAMES, FPS);
          const fresh = () => outputFiles(outDir).filter((name) => !before.has(name));
          await settle(() => fresh().length, FIDELITY_FRAMES);
          await sleep(50);
          const outputs = fresh().map((name) => readFileSync(path.join(outDir, name)));
          const result: FidelityResult = { sent: FIDELITY_FRAMES, ...(await judge(variant.data, outputs)) };
          const warnings = warningsIn([...sender.lines, ...receiver.child.lines.slice(receiverLinesBefore)]);
          if (warnings.length > 0) result.warnings = warnings;
          table[variant.name]![stack] = result;
          console.log(describe(result));
        } finally {
          await relay.close();
        }
      }
    } finally {
      await receiver.child.stop(receiverStack === 'gstreamer' ? 'SIGINT' : 'SIGTERM');
    }
  }
  return table;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'udpcam-bench-fidelity-'));
const gst = gstreamerStatus();
console.log(gst.available ? `GStreamer: ${gst.version}` : `GStreamer columns skipped: ${gst.reason}`);
const stacks: (Stack | 'udpcam-meta')[] = gst.available ? ['udpcam', 'gstreamer'] : ['udpcam'];
if (!bench.quick) stacks.push('udpcam-meta');
let fidelity: Record<string, Record<string, FidelityResult>>;
const { variants, skipped } = await makeVariants();
try {
  fidelity = await runFidelity(stacks, variants, work);
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(
  `\nFidelity (each variant sent ${FIDELITY_FRAMES} times; Δ = largest per-channel pixel difference after decoding)`,
);
console.log(
  table(
    ['variant', 'bytes', ...stacks],
    variants.map(({ name, data }) => [
      name,
      String(data.length),
      ...stacks.map((stack) => (fidelity[name]?.[stack] ? describe(fidelity[name][stack]) : '-')),
    ]),
  ),
);
for (const [name, row] of Object.entries(fidelity)) {
  for (const [stack, result] of Object.entries(row)) {
    const why = [...(result.warnings ?? []), ...(result.error ? [result.error] : [])];
    if (why.length > 0) console.log(`  ${stack}, ${name}: ${why.join('; ')}`);
  }
}
for (const line of skipped) console.log(`skipped: ${line}`);
await bench.save({
  gstreamer: gst,
  framesPerVariant: FIDELITY_FRAMES,
  fidelity: variants.map(({ name, data, rtpJpeg }) => ({
    variant: name,
    bytes: data.length,
    rtpJpeg,
    results: fidelity[name],
  })),
  skipped,
});
