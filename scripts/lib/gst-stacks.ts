/**
 * The two stacks of bench-gstreamer and bench-fidelity as child processes: `udpcam receive --out`
 * or `udpsrc ! rtpjpegdepay ! multifilesink` receiving, `udpcam send --source dir:` or
 * `imagesequencesrc ! … ! rtpjpegpay ! udpsink` sending the files of a folder (lib/gstreamer.ts).
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  type Child,
  freeUdpPort,
  gstReceiverArgs,
  gstSenderArgs,
  receiveArgs,
  sendDirArgs,
  startChild,
  startUdpcam,
  UDPCAM_CLI,
} from './gstreamer.js';
import { sleep } from './report.js';

/** The two stacks compared. */
export type Stack = 'udpcam' | 'gstreamer';
/** Frames per second of every sender here. */
export const FPS = 30;
/** Payload bytes per datagram (udpcam) and the same datagram size for RTP (mtu = RTP packet). */
export const PACKET_SIZE = 1400;

/**
 * Starts a receiver writing into a fresh `outDir`; `nodeFlags` go to a udpcam receiver's node.
 * Resolves once it is ready for datagrams, with its port and outputDir(relayPort): the folder the
 * frames of a sender relayed from `relayPort` are written to.
 */
export async function startReceiver(
  stack: Stack,
  outDir: string,
  core: number | undefined,
  nodeFlags: readonly string[] = [],
) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  if (stack === 'udpcam') {
    const child = startChild(
      process.execPath,
      [...nodeFlags, UDPCAM_CLI, ...receiveArgs(0), '--out', outDir],
      core,
    );
    const port = Number((await child.waitFor(/receiving on udp 127\.0\.0\.1:(\d+)/))[1]);
    // The camera folder is named after the sender's address: the relay's port.
    return { child, port, outputDir: (relayPort: number) => path.join(outDir, `127.0.0.1_${relayPort}`) };
  }
  const port = await freeUdpPort();
  const child = startChild(
    'gst-launch-1.0',
    gstReceiverArgs(port, path.join(outDir, 'frame-%05d.jpg')),
    core,
  );
  await child.waitFor(/Setting pipeline to PLAYING/);
  await sleep(200);
  return { child, port, outputDir: () => outDir };
}

/** Starts a sender of `count` files of `dir` (frame-%04d.jpg) to 127.0.0.1:`port`. */
export function startSender(
  stack: Stack | 'udpcam-meta',
  dir: string,
  count: number,
  port: number,
  packetSize: number,
  core: number | undefined,
): Child {
  if (stack === 'gstreamer') {
    return startChild(
      'gst-launch-1.0',
      gstSenderArgs(path.join(dir, 'frame-%04d.jpg'), count, FPS, port, packetSize + 5),
      core,
    );
  }
  return startUdpcam(
    // No parity: like for like with plain RTP/JPEG (bench-loss compares the FEC of both).
    sendDirArgs({ dir, fps: FPS, port, frames: count, packetSize, meta: stack !== 'udpcam', fec: 0 }),
    core,
  );
}
