/**
 * The programs the comparison benches run (bench-gstreamer, -fidelity, -loss, -secure, -pauses):
 * GStreamer's RTP/JPEG pipelines (and whether they can run here) and the udpcam CLI's argv, as
 * pinned child processes whose output lines a bench can wait for.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnPinned } from './pin.js';

/** packages/cli/bin/udpcam.js (scripts compile to build/scripts/lib/). */
export const UDPCAM_CLI = fileURLToPath(new URL('../../../packages/cli/bin/udpcam.js', import.meta.url));

/** The Debian package holding each GStreamer element the benches use. */
const ELEMENT_PACKAGES: Record<string, string> = {
  imagesequencesrc: 'gstreamer1.0-plugins-good',
  jpegparse: 'gstreamer1.0-plugins-bad',
  clocksync: 'libgstreamer1.0-0',
  rtpjpegpay: 'gstreamer1.0-plugins-good',
  rtpjpegdepay: 'gstreamer1.0-plugins-good',
  udpsrc: 'gstreamer1.0-plugins-good',
  udpsink: 'gstreamer1.0-plugins-good',
  multifilesink: 'gstreamer1.0-plugins-good',
};

/** Whether GStreamer can run the RTP/JPEG pipelines, and if not, why (with the package to install). */
export type GstreamerStatus = { available: true; version: string } | { available: false; reason: string };

/** Checks gst-launch-1.0 and every element with gst-inspect-1.0. */
export function gstreamerStatus(): GstreamerStatus {
  const version = spawnSync('gst-launch-1.0', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    return {
      available: false,
      reason:
        'gst-launch-1.0 not found: apt-get install gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad',
    };
  }
  const missing = Object.keys(ELEMENT_PACKAGES).filter(
    (element) => spawnSync('gst-inspect-1.0', [element], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((element) => ELEMENT_PACKAGES[element]!))];
    return {
      available: false,
      reason: `GStreamer element(s) ${missing.join(', ')} missing: apt-get install ${packages.join(' ')}`,
    };
  }
  return { available: true, version: version.stdout.split('\n')[0]!.trim() };
}

/**
 * The sender: `imagesequencesrc ! jpegparse ! clocksync ! rtpjpegpay ! udpsink`, files
 * `pattern` (printf-style, e.g. frame-%04d.jpg) 0..count-1 at `fps`; `mtu` is the RTP packet size.
 */
export function gstSenderArgs(pattern: string, count: number, fps: number, port: number, mtu: number) {
  return [
    ...['imagesequencesrc', `location=${pattern}`, 'start-index=0', `stop-index=${count - 1}`],
    ...[`framerate=${fps}/1`, '!', 'jpegparse', '!', 'clocksync', '!', 'rtpjpegpay', `mtu=${mtu}`],
    ...['!', 'udpsink', 'host=127.0.0.1', `port=${port}`],
  ];
}

/**
 * The receiver: `udpsrc ! rtpjpegdepay ! multifilesink`. The receive buffer asked for is
 * udpcam's default (32 MiB, both capped by net.core.rmem_max): with udpsrc's default (0: the
 * kernel's 208 KiB) a 720p frame's burst overflows it and most frames are lost even at 0% loss.
 */
export function gstReceiverArgs(port: number, outPattern: string): string[] {
  return [
    ...['udpsrc', 'address=127.0.0.1', `port=${port}`, 'buffer-size=33554432'],
    'caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=JPEG,payload=26',
    ...['!', 'rtpjpegdepay', '!', 'multifilesink', 'sync=false', `location=${outPattern}`],
  ];
}

/** A free UDP port on 127.0.0.1 (for udpsrc, which cannot report the port it bound). */
export async function freeUdpPort(): Promise<number> {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Starts `command args`, pinned to `core` (undefined: unpinned), and keeps its output lines. */
export function startChild(command: string, args: readonly string[], core: number | undefined) {
  const child = spawnPinned(core, [command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  /** The line listeners of waitFor() calls still waiting. */
  const waiters = new Set<(line: string) => void>();
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of waiters) waiter(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    lines,
    exited,
    /** The first output line matching `pattern` (rejects after `timeoutMs` or at exit). */
    waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
      const found = lines.map((line) => line.match(pattern)).find((match) => match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const fail = (why: string) =>
          reject(new Error(`${command}: ${why} waiting for ${pattern}\n${lines.slice(-20).join('\n')}`));
        const timer = setTimeout(() => fail('timed out'), timeoutMs);
        const waiter = (line: string) => {
          const match = line.match(pattern);
          if (!match) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(match);
        };
        waiters.add(waiter);
        exited.then(() => {
          clearTimeout(timer);
          fail('exited');
        });
      });
    },
    /** Sends `signal` and waits, SIGKILL after 3 s. */
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** What a bench's `udpcam send` of a folder of JPEGs varies. */
export interface SendDirOptions {
  dir: string;
  fps: number;
  port: number;
  frames: number;
  packetSize?: number;
  /** Stamp the metadata segment (default true); false sends the files byte for byte. */
  meta?: boolean;
  /** --fec ratio (parity datagrams per data chunk); undefined: the CLI's default. */
  fec?: number;
  /** false: --no-nack (no resending on request); undefined: the CLI's default (on). */
  nack?: boolean;
}

/** A running child with its output lines. */
export type Child = ReturnType<typeof startChild>;

/** `udpcam send` argv for the benches: the files of `dir` to 127.0.0.1:port, JSON logs, no status lines. */
export function sendDirArgs(options: SendDirOptions): string[] {
  const { dir, fps, port, frames, packetSize, meta = true, fec, nack } = options;
  const args = ['send', '--source', `dir:${dir}`, '--fps', String(fps)];
  args.push('--ip', '127.0.0.1', '--port', String(port), '--frames', String(frames));
  if (fec !== undefined) args.push('--fec', String(fec));
  if (packetSize !== undefined) args.push('--packet_size', String(packetSize));
  if (!meta) args.push('--no-meta');
  if (nack === false) args.push('--no-nack');
  return [...args, '--json', '--status-interval', '3600'];
}

/** `udpcam receive` argv for the benches: on 127.0.0.1:`port`, JSON logs, status lines every `statusInterval` s. */
export function receiveArgs(port: number, statusInterval = '3600'): string[] {
  const json = ['--json', '--status-interval', statusInterval];
  return ['receive', '--bind', '127.0.0.1', '--port', String(port), ...json];
}

/** `node udpcam.js ...args` as a Child, pinned to `core` (undefined: unpinned). */
export function startUdpcam(args: readonly string[], core: number | undefined): Child {
  return startChild(process.execPath, [UDPCAM_CLI, ...args], core);
}
