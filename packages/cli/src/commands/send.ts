/** `udpcam send`: capture, encode, chunk and send frames over UDP at a steady fps. */
import { isIP } from 'node:net';
import {
  isCameraName,
  LEGACY_PACKET_SIZE,
  MAX_PACKET_SIZE,
  MIN_PACKET_SIZE,
  preferredAead,
  SECURE_OVERHEAD_BYTES,
  UdpcamError,
} from '@udpcam/protocol';
import { cameraNameProblem } from '@udpcam/receiver';
import {
  CODEC_NAMES,
  type CodecName,
  isMulticast,
  loadCodec,
  Sender,
  Transmitter,
  WorkerWarp,
} from '@udpcam/sender';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadCaptureArea } from '../capture-area.js';
import { applyConfigFile } from '../config-file.js';
import { readKeyFiles } from '../key-file.js';
import {
  addSnakeOption,
  addStatusOptions,
  fraction,
  host,
  integer,
  isLoopback,
  port,
  positive,
} from '../options.js';
import { consoleOutput, exitAfterStopDeadline, formatBytes, type Output, untilSignal } from '../output.js';
import { addSourceOptions, openSourceFromFlags, type SourceFlags } from '../sources.js';

/**
 * 1400 payload bytes + 5 header + 8 UDP + 20 IPv4 (40 IPv6) = 1433 (1453) bytes: one Ethernet
 * frame (1500-byte MTU) with room for a VPN or PPPoE header, so no datagram is IP-fragmented and
 * losing one packet loses one chunk, not a whole datagram of fragments.
 */
export const DEFAULT_PACKET_SIZE = 1400;
const TYPICAL_MTU = 1500;

export interface SendFlags extends SourceFlags {
  ip: string;
  port: number;
  packet_size?: number;
  fps: number;
  /** Whether --fps was given (else a --camera_config's fps applies). */
  fpsFromFlag?: boolean;
  quality: number;
  frames?: number;
  duration?: number;
  legacy: boolean;
  meta: boolean;
  json: boolean;
  statusInterval: number;
  ttl?: number;
  multicastInterface?: string;
  broadcast?: boolean;
  pace?: number;
  codec: CodecName;
  area?: string;
  /** Stream key file: protect every datagram (docs/protocol.md#protected). */
  key?: string;
  name?: string;
  bind?: { address?: string; port: number };
  config?: string;
  /** Parity datagrams per data chunk; undefined: DEFAULT_FEC, or 0 with --legacy. */
  fec?: number;
  /** Keep recent frames and resend what a receiver asks for (docs/protocol.md#nack); --no-nack: false. */
  nack: boolean;
}

/** `--bind [ADDRESS:]PORT`: the local address and port to send from (IPv6 in brackets). */
export function bindAddress(value: string): { address?: string; port: number } {
  const match = /^(?:(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):)?(\d{1,5})$/.exec(value.trim());
  const portNumber = Number(match?.[2]);
  // Port 0 (any) only with an address: fixing the address alone is a use of its own.
  const lowest = match?.[1] === undefined ? 1 : 0;
  if (!match || !(portNumber >= lowest && portNumber <= 65535)) {
    throw new InvalidArgumentError(
      'expected [ADDRESS:]PORT, e.g. 5005, 0.0.0.0:5005, 10.0.0.5:0 or [::1]:5005.',
    );
  }
  const address = match[1]?.replace(/^\[|\]$/g, '');
  return address === undefined ? { port: portNumber } : { address, port: portNumber };
}

/** `--name NAME`: the camera's name, checked here so a bad one is a one-line usage error. */
function cameraNameFlag(value: string): string {
  if (!isCameraName(value)) {
    throw new InvalidArgumentError("use 1-64 letters, digits, '.', '_' or '-' (not only dots).");
  }
  // The receiver takes a name shaped like an automatic id (10.0.0.5_5000) for none: say so here.
  const problem = cameraNameProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

/**
 * Default parity ratio: 4 parity datagrams for a 720p frame's 41 chunks (9.8 % more bytes), which
 * keeps 99.8 % of frames whole at 2 % random loss and rebuilds a burst of 4 (README, loss).
 */
export const DEFAULT_FEC = 0.1;

/** Sends until --frames/--duration is reached or SIGINT/SIGTERM. */
export async function send(flags: SendFlags, output: Output = consoleOutput(flags.json)): Promise<void> {
  exitAfterStopDeadline(output);
  const packetSize = flags.packet_size ?? (flags.legacy ? LEGACY_PACKET_SIZE : DEFAULT_PACKET_SIZE);
  const ipOverhead = isIP(flags.ip) === 6 ? 48 : 28;
  const secureBytes = flags.key === undefined ? 0 : SECURE_OVERHEAD_BYTES;
  if (packetSize + 5 + secureBytes + ipOverhead > TYPICAL_MTU && !isLoopback(flags.ip)) {
    output.warn(
      `datagrams of ${packetSize + 5 + secureBytes} bytes exceed a typical ${TYPICAL_MTU}-byte path MTU: IP will fragment each one, and losing any fragment loses the whole chunk (--packet_size 1400 avoids it)`,
    );
  }
  const { source, camera } = openSourceFromFlags(flags, output);
  const fps = camera !== undefined && !flags.fpsFromFlag ? camera.fps : flags.fps;
  if ((flags.ttl !== undefined || flags.multicastInterface !== undefined) && !isMulticast(flags.ip)) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      `--ttl and --multicast-interface need a multicast --ip (224.0.0.0/4 or ff00::/8), not ${flags.ip}`,
    );
  }
  const key =
    flags.key === undefined ? undefined : readKeyFiles([flags.key], 1, (message) => output.warn(message))[0];
  const transmitter = new Transmitter({
    key,
    host: flags.ip,
    port: flags.port,
    packetSize,
    legacy: flags.legacy,
    multicastTtl: flags.ttl,
    multicastInterface: flags.multicastInterface,
    broadcast: flags.broadcast,
    spreadMs: ((flags.pace ?? 0) * 1000) / fps,
    bind: flags.bind,
    fec: flags.fec ?? (flags.legacy ? 0 : DEFAULT_FEC),
    nack: flags.nack !== false && !flags.legacy,
  });
  const encoder = await loadCodec(flags.codec);
  // The --area file (the original's capture_area.json) warps each frame.
  const transform = flags.area === undefined ? undefined : new WorkerWarp(loadCaptureArea(flags.area));
  const sender = new Sender({
    source,
    encoder,
    transform,
    transmitter,
    fps,
    quality: flags.quality,
    frames: flags.frames,
    durationMs: flags.duration === undefined ? undefined : flags.duration * 1000,
    meta: flags.meta,
    name: flags.name,
  });
  sender.on('warning', (warning) => output.warn(warning.message));

  output.info(
    `udpcam: sending ${source.name} to ${transmitter.target} at ${fps} fps, ${packetSize}-byte packets, codec ${encoder.name}${flags.legacy ? ', Python sender framing' : ''}${transmitter.fec > 0 ? `, parity ${transmitter.fec}` : ''}${transmitter.nack ? ', resends on request' : ''}${key ? `, protected with key ${key.idHex} (ChaCha20-Poly1305 by ${preferredAead().name})` : ''}, sent by ${transmitter.sendPath === 'sendmmsg' ? 'sendmmsg' : 'node:dgram'} (Ctrl-C to stop)`,
  );
  const status = (final = '', extra = {}) => {
    const stats = sender.stats;
    const nack = transmitter.nack;
    output.status(
      `send: ${stats.fps.toFixed(1)} fps | ${formatBytes(stats.fps * stats.lastFrameBytes)}/s | ${formatBytes(stats.lastFrameBytes)}/frame | ${stats.lastFrameChunks} chunks/frame | frames ${stats.framesSent} skipped ${stats.framesSkipped} | quality ${stats.quality}${nack ? ` | nacks ${nack.nacksReceived} resent ${nack.datagramsResent}` : ''}${final}`,
      { ...stats, ...(nack && { nack: { ...nack } }), ...extra },
    );
  };
  const timer = setInterval(status, flags.statusInterval * 1000);
  untilSignal().then(() => sender.stop());
  try {
    await sender.run();
  } finally {
    clearInterval(timer);
  }
  status(' | done', { done: true });
}

/** Registers `send` on the program. */
export function sendCommand(program: Command): Command {
  const command = program
    .command('send')
    .description(
      'Capture frames, encode them as JPEG and send them over UDP (the Python UDP Webcam Server format).',
    )
    .option('--ip <address>', 'receiver address (IPv4, IPv6 or host name)', host, '127.0.0.1')
    .option('-p, --port <port>', 'receiver UDP port', port, 5000);
  addSnakeOption(
    command,
    new Option(
      '--packet_size <bytes>',
      `payload bytes per datagram, ${MIN_PACKET_SIZE}..${MAX_PACKET_SIZE} (default ${DEFAULT_PACKET_SIZE}: one 1500-byte Ethernet frame; ${LEGACY_PACKET_SIZE} with --legacy)`,
    ).argParser(integer('packet_size', MIN_PACKET_SIZE, MAX_PACKET_SIZE)),
  );
  command.option('--fps <n>', 'frames per second', positive('fps', 1000), 30);
  addSourceOptions(command);
  command
    .option('-q, --quality <1-100>', 'JPEG quality', integer('quality', 1, 100), 80)
    .option('--frames <n>', 'stop after N frames', integer('frames', 1, Number.MAX_SAFE_INTEGER))
    .option('--duration <seconds>', 'stop after this many seconds', positive('duration', 365 * 24 * 3600))
    .option('--legacy', 'frame exactly like the Python sender (random ids 10..99, its chunk count)', false)
    .option('--no-meta', 'do not stamp frames with a sequence number and capture time (JPEG COM segment)');
  addStatusOptions(command)
    .option(
      '--ttl <hops>',
      'with a multicast --ip: hops the datagrams may take (0: this machine only)',
      integer('ttl', 0, 255),
    )
    .option(
      '--multicast-interface <address>',
      'with a multicast --ip: the interface address to send from',
      host,
    )
    .option(
      '--pace <fraction>',
      'spread each frame over this fraction of the frame interval instead of one burst (0..1; gaps stay under 5 ms)',
      fraction('pace'),
    )
    .option(
      '--area <file>',
      "warp the selected quad of each frame onto the visible rect (the original's capture_area.json; see udpcam area)",
    )
    .addOption(
      new Option(
        '--codec <name>',
        'JPEG codec: auto (sharp when installed, else jpeg-js on a worker thread), sharp, jpeg-js',
      )
        .choices(CODEC_NAMES)
        .default('auto'),
    )
    .option(
      '--fec <ratio>',
      `parity datagrams per data chunk, 0..1 (default ${DEFAULT_FEC}; 0: none; never with --legacy): any k of a frame's k + m datagrams rebuild it`,
      fraction('fec'),
    )
    .option(
      '--no-nack',
      'do not resend chunks a receiver asks for (default: keep the last ~1 MiB of frames and resend, at most 25 % of the stream; off with --legacy or a multicast --ip)',
    )
    .option(
      '--key <file>',
      'protect every datagram with this stream key (udpcam keygen; the receiver needs it too)',
    )
    .option('--broadcast', 'allow a broadcast --ip such as 192.168.1.255 (255.255.255.255 needs no flag)')
    .option(
      '--name <name>',
      'camera name carried in the frame metadata: the receiver keeps the camera (folder, URLs, counters) across restarts',
      cameraNameFlag,
    )
    .option(
      '--config <file>',
      'every flag from a JSON file (schema: @udpcam/cli/schemas/send.schema.json); flags given here win',
    )
    .option(
      '--bind <[address:]port>',
      'send from this local port (and address) instead of an ephemeral one',
      bindAddress,
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  udpcam send --ip 127.0.0.1 --port 5000 --fps 15 --source test',
        '  udpcam send --ip 192.168.1.20 --source v4l2:/dev/video0 --camera_config configs/camera_config.example.json',
        '  udpcam send --ip 192.168.1.20 --source webcam:/dev/video0 --fps 5        # node-webcam: one process per shot',
        "  udpcam send --ip 192.168.1.20 --source 'ffmpeg:-f lavfi -i testsrc2=size=1280x720:rate=30'",
        '  udpcam send --ip 192.168.1.20 --source http://admin:secret@10.0.0.9/video.mjpg',
        '  udpcam send --ip 192.168.1.20 --source dir:recordings/ --fps 10',
        '  udpcam send --ip 239.1.2.3 --ttl 1 --source test                       # multicast',
        '  udpcam send --ip 192.168.1.20 --source v4l2:/dev/video0 --key cam.key # encrypted (udpcam keygen)',
        '  udpcam send --ip 192.168.1.20 --port 5000 --packet_size 8000 --legacy   # for the Python receiver',
      ].join('\n'),
    );
  return command.action((_flags: SendFlags, self: Command) => {
    const file = self.opts<SendFlags>().config;
    if (file !== undefined) applyConfigFile(self, file, 'send');
    const fpsFrom = self.getOptionValueSource('fps');
    return send({ ...self.opts<SendFlags>(), fpsFromFlag: fpsFrom === 'cli' || fpsFrom === 'config' });
  });
}
