/** `udpcam receive`: reassemble frames from UDP and write them to disk. */

import { DEFAULT_ASSEMBLER_OPTIONS, UdpcamError } from '@udpcam/protocol';
import {
  cameraNameProblem,
  checkCameraNames,
  checkWritableDir,
  DiskSink,
  HttpServer,
  Receiver,
} from '@udpcam/receiver';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../config.js';
import { applyConfigFile } from '../config-file.js';
import { readKeyFiles } from '../key-file.js';
import {
  addSnakeOption,
  addStatusOptions,
  byteSize,
  host,
  hostList,
  integer,
  isLoopback,
  listenPort,
  outDir,
  positive,
  secret,
} from '../options.js';
import { consoleOutput, formatBinary, type Output, untilSignal } from '../output.js';
import { loadTlsFiles } from '../tls-files.js';
import { ReceiveStatus } from './receive-status.js';

export interface ReceiveFlags {
  port: number;
  bind: string;
  out?: string;
  statusInterval: number;
  json: boolean;
  max_frame_bytes: number;
  max_senders: number;
  max_senders_per_address: number;
  frame_timeout: number;
  max_frames_in_flight: number;
  max_buffered_bytes: number;
  recv_buffer: number;
  http?: number;
  httpHost: string;
  auth?: string;
  token?: string;
  name?: Record<string, string>;
  maxClients: number;
  ringSeconds: number;
  keep?: number;
  maxBytes?: number;
  every?: number;
  maxFps?: number;
  group?: string;
  groupInterface?: string;
  /** Ask udpcam senders to resend lost chunks (docs/protocol.md#nack); --no-nack: false. */
  nack: boolean;
  allow?: string[];
  cameras?: string;
  /** Stream key files (--key, repeatable): one key, or two while rotating. */
  key?: string[];
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  allowHost?: string[];
  maxTotalBytes?: number;
  namedOnly?: boolean;
  ringBytes: number;
  primary?: string;
  maxClientsPerAddress: number;
  maxConnections?: number;
  /** Camera names given inline in a --config file ("cameras": [...]). */
  cameraList?: CamerasConfig['cameras'];
  config?: string;
}

interface CamerasConfig {
  cameras: { sender: string; name: string }[];
}

/** `--allow 10.0.0.0/8,192.168.1.0/24`, repeatable. */
function cidrList(value: string, previous: string[] = []): string[] {
  const ranges = value.split(',').map((range) => range.trim());
  return [...previous, ...ranges.filter((range) => range !== '')];
}

/** `--name [ADDRESS:PORT|ADDRESS]=NAME`, repeatable (the address alone names any port of it). */
export function cameraName(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s=[\]:]+)(?::(\d{1,5}))?=(.*)$/.exec(value.trim());
  if (!match) {
    throw new InvalidArgumentError(
      "expected ADDRESS:PORT=NAME or ADDRESS=NAME, e.g. 10.0.0.5=door (name: 1-64 letters, digits, '.', '_' or '-', not only dots).",
    );
  }
  const problem = cameraNameProblem(match[3]!);
  if (problem !== undefined) throw new InvalidArgumentError(`camera name "${match[3]}": ${problem}.`);
  const sender = match[2] === undefined ? match[1]! : `${match[1]}:${match[2]}`;
  return { ...previous, [sender]: match[3]! };
}

/** Names from --cameras FILE, then --name flags (which win), checked before anything starts. */
function cameraNames(flags: ReceiveFlags): Record<string, string> {
  const names: Record<string, string> = {};
  const listed =
    flags.cameras === undefined ? [] : loadConfig<CamerasConfig>(flags.cameras, 'cameras').cameras;
  for (const { sender, name } of [...listed, ...(flags.cameraList ?? [])]) names[sender] = name;
  const all = { ...names, ...flags.name };
  checkCameraNames(all);
  return all;
}

/** Runs the receiver until SIGINT/SIGTERM; then flushes pending writes and returns. */
export async function receive(
  flags: ReceiveFlags,
  output: Output = consoleOutput(flags.json),
): Promise<void> {
  const diskOnly = [
    flags.keep,
    flags.maxBytes,
    flags.every,
    flags.maxFps,
    flags.maxTotalBytes,
    flags.namedOnly,
  ].some((v) => v !== undefined);
  if (diskOnly && flags.out === undefined) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      '--keep, --max-bytes, --max-total-bytes, --named-only, --every and --max-fps need --out DIR',
    );
  }
  const names = cameraNames(flags);
  if (flags.namedOnly && Object.keys(names).length === 0) {
    throw new UdpcamError(
      'UDPCAM_ERR_INVALID_OPTION',
      '--named-only needs cameras named by --name or --cameras',
    );
  }
  const warn = (message: string) => output.warn(message);
  const keys = flags.key === undefined ? undefined : readKeyFiles(flags.key, 2, warn);
  const tls = flags.http === undefined ? undefined : loadTlsFiles(flags, warn);
  if (flags.http === undefined && (flags.tlsCert !== undefined || flags.tlsKey !== undefined)) {
    throw new UdpcamError('UDPCAM_ERR_INVALID_OPTION', '--tls-cert and --tls-key need --http PORT');
  }
  const auth = flags.auth !== undefined || flags.token !== undefined;
  if (
    flags.http !== undefined &&
    auth &&
    tls === undefined &&
    !isLoopback(flags.httpHost) &&
    !flags.insecureHttp
  ) {
    throw new UdpcamError(
      'UDPCAM_ERR_TLS',
      `--auth/--token on ${flags.httpHost} over plain HTTP would send the password in clear: add --tls-cert FILE --tls-key FILE (or --insecure-http to accept that)`,
    );
  }
  if (flags.out !== undefined) await checkWritableDir(flags.out);
  const disk =
    flags.out === undefined
      ? undefined
      : new DiskSink({
          dir: flags.out,
          retention: { keep: flags.keep, maxBytes: flags.maxBytes },
          maxTotalBytes: flags.maxTotalBytes,
          onlyCameras: flags.namedOnly ? new Set(Object.values(names)) : undefined,
          thinning: { every: flags.every, maxFps: flags.maxFps },
          onError: (error, file) =>
            output.warn(
              `cannot write ${file}: ${error.code ?? error.message} (frames are counted as failed; receiving goes on)`,
            ),
        });
  const receiver = await Receiver.open({
    port: flags.port,
    host: flags.bind,
    recvBufferBytes: flags.recv_buffer,
    assembler: {
      maxFrameBytes: flags.max_frame_bytes,
      maxSenders: flags.max_senders,
      maxSendersPerAddress: flags.max_senders_per_address,
      frameTimeoutMs: flags.frame_timeout,
      maxFramesInFlight: flags.max_frames_in_flight,
      maxBufferedBytes: flags.max_buffered_bytes,
    },
    names,
    group: flags.group,
    groupInterface: flags.groupInterface,
    allow: flags.allow,
    keys,
    nack: flags.nack !== false,
  });
  receiver.on('notice', warn);
  if (disk) receiver.addSink(disk);
  let web: HttpServer | undefined;
  if (flags.http !== undefined) {
    try {
      web = await HttpServer.listen(receiver, {
        port: flags.http,
        host: flags.httpHost,
        auth: { basic: flags.auth, token: flags.token },
        maxClients: flags.maxClients,
        maxClientsPerAddress: flags.maxClientsPerAddress,
        maxConnections: flags.maxConnections,
        ring: { ...HttpServer.defaults.ring, maxAgeUs: flags.ringSeconds * 1e6 },
        tls,
        ringTotalBytes: flags.ringBytes,
        primary: flags.primary,
        allowedHosts: flags.allowHost,
        onWarning: warn,
      });
    } catch (error) {
      await receiver.close();
      throw error;
    }
    output.info(`udpcam: live page ${web.url}  (MJPEG: ${web.url}stream.mjpg, stats: ${web.url}api/cameras)`);
    if (!isLoopback(flags.httpHost) && flags.auth === undefined && flags.token === undefined) {
      output.warn(
        `HTTP is open on ${flags.httpHost} without --auth or --token: anyone who can reach it sees the cameras`,
      );
    }
  }

  const where = receiver.address;
  const shown =
    where.family === 'IPv6' ? `[${where.address}]:${where.port}` : `${where.address}:${where.port}`;
  const buffer = `receive buffer ${formatBinary(receiver.recvBufferBytes)} read by ${receiver.receivePath === 'recvmmsg' ? 'recvmmsg' : 'node:dgram'}${keys ? `, protected (key ${keys.map((k) => k.idHex).join(', key ')}; ChaCha20-Poly1305 by ${receiver.aeadBackend}${receiver.openedInBatch ? ', opened as received' : ''})` : ''}`;
  output.info(
    `udpcam: receiving on udp ${shown}${flags.out ? `, writing frames to ${flags.out}` : ''}, ${buffer} (Ctrl-C to stop)`,
  );
  if (receiver.recvBufferCappedBy !== undefined && receiver.recvBufferBytes < 2 * 1024 * 1024) {
    output.warn(
      `the kernel capped the receive buffer at net.core.rmem_max (${receiver.recvBufferCappedBy} bytes); bursts of datagrams may be lost: raise it with 'sysctl -w net.core.rmem_max=${flags.recv_buffer}'`,
    );
  }

  const status = new ReceiveStatus(receiver, disk);
  const timer = setInterval(() => {
    const { line, record } = status.sample();
    output.status(line, record);
  }, flags.statusInterval * 1000);
  const how = await untilSignal();
  clearInterval(timer);
  await web?.close();
  await receiver.close();
  const { line, record } = status.sample();
  output.status(`${line} | stopped (${how})`, { ...record, stopped: how });
}

/** Registers `receive` on the program. */
export function receiveCommand(program: Command): Command {
  const command = program
    .command('receive')
    .description('Receive frames over UDP, reassemble them, and write each to DIR as a .jpg file.')
    .option('-p, --port <port>', 'UDP port to listen on (0: any free port)', listenPort, 5000)
    .option(
      '--bind <address>',
      'address to bind: 0.0.0.0 (all IPv4), :: (all IPv6+IPv4), or one address',
      host,
      '0.0.0.0',
    )
    .option('-o, --out <dir>', 'write every complete frame to DIR/<camera>/<time>-<seq>.jpg', outDir);
  addStatusOptions(command)
    .option(
      '--http <port>',
      'serve the live page, MJPEG streams, snapshots and stats on this TCP port',
      listenPort,
    )
    .option(
      '--http-host <address>',
      'address for --http (a non-loopback one without auth prints a warning)',
      host,
      '127.0.0.1',
    )
    .option('--auth <user:password>', 'require HTTP Basic auth', (v: string) => {
      if (!/^[^:]+:.*\S.*$/.test(v)) throw new InvalidArgumentError('expected user:password.');
      return v;
    })
    .option('--token <token>', 'accept a bearer token (Authorization: Bearer T, or ?token=T)', secret)
    .option('--allow-host <name>', 'accept this host name in HTTP Host headers (repeatable)', hostList)
    .option(
      '--name <address[:port]=name>',
      'name a camera whose frames carry no name, by its sender address and port or its address alone (repeatable)',
      cameraName,
    )
    .option(
      '--keep <n>',
      'with --out: keep only the newest N frames per camera',
      integer('keep', 1, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--max-bytes <size>',
      'with --out: keep at most this much per camera (e.g. 500M, 2G)',
      byteSize('max-bytes'),
    )
    .option(
      '--max-total-bytes <size>',
      'with --out: keep at most this much across all cameras, oldest deleted first (e.g. 20G)',
      byteSize('max-total-bytes'),
    )
    .option(
      '--primary <camera>',
      'the camera behind /stream.mjpg, /snapshot.jpg and ?action= (default: a named one, online first)',
    )
    .option('--named-only', 'with --out: write only cameras named by --name or --cameras')
    .option('--every <n>', 'with --out: write one frame in N', integer('every', 1, 1_000_000))
    .option(
      '--max-fps <n>',
      'with --out: write at most N frames per second per camera',
      positive('max-fps', 1000),
    )
    .option(
      '--cameras <file>',
      'camera names from a JSON file (schema: @udpcam/cli/schemas/cameras.schema.json)',
    )
    .option(
      '--config <file>',
      'every flag from a JSON file (schema: @udpcam/cli/schemas/receive.schema.json); flags given here win',
    )
    .option('--group <address>', 'join this multicast group (e.g. 239.1.2.3) on the bound port')
    .option('--group-interface <address>', 'address of the interface to join --group on', host)
    .option(
      '--no-nack',
      "do not ask udpcam senders to resend lost chunks (default: ask at once, as many bytes as asked for, at most a quarter of the sender's own bytes; never with --group)",
    )
    .option(
      '--allow <cidr,...>',
      'hear only senders in these ranges, e.g. 10.0.0.0/8,::1/128 (repeatable)',
      cidrList,
    )
    .option(
      '--key <file>',
      'accept only datagrams protected with this stream key (udpcam keygen); twice, or a file with two keys, while rotating',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--tls-cert <file>', 'with --http: serve HTTPS with this PEM certificate (chain)')
    .option('--tls-key <file>', "with --http: the certificate's PEM private key")
    .option('--insecure-http', 'allow --auth/--token over plain HTTP on a non-loopback --http-host', false)
    .option(
      '--max-clients <n>',
      'MJPEG clients and waiting snapshots at once',
      integer('max-clients', 1, 100_000),
      256,
    )
    .option(
      '--max-clients-per-address <n>',
      'MJPEG clients and waiting snapshots from one address',
      integer('max-clients-per-address', 1, 100_000),
      32,
    )
    .option(
      '--max-connections <n>',
      'TCP connections at once (default: 2 × --max-clients + 64, kept 128 below the open-file limit)',
      integer('max-connections', 1, 1_000_000),
    )
    .option(
      '--ring-seconds <s>',
      'seconds of recent frames kept in memory per camera',
      positive('ring-seconds', 3600),
      10,
    )
    .option(
      '--ring-bytes <size>',
      'bytes of recent frames kept in memory across all cameras (e.g. 256M)',
      byteSize('ring-bytes'),
      HttpServer.defaults.ringTotalBytes,
    );
  // The original's snake_case spellings (addSnakeOption adds the kebab-case aliases).
  const limits: [string, string, (value: string) => number, number][] = [
    [
      '--max_frame_bytes <bytes>',
      'largest frame accepted',
      integer('max_frame_bytes', 1024, 64 * 1024 * 1024),
      DEFAULT_ASSEMBLER_OPTIONS.maxFrameBytes,
    ],
    [
      '--max_senders <n>',
      'senders tracked at once',
      integer('max_senders', 1, 4096),
      DEFAULT_ASSEMBLER_OPTIONS.maxSenders,
    ],
    [
      '--max_senders_per_address <n>',
      'senders tracked at once from one address (named cameras always get in)',
      integer('max_senders_per_address', 1, 4096),
      DEFAULT_ASSEMBLER_OPTIONS.maxSendersPerAddress,
    ],
    [
      '--frame_timeout <ms>',
      "drop a partial frame of udpcam's sender this long after its first chunk (legacy frames end by sequence)",
      integer('frame_timeout', 10, 60_000),
      DEFAULT_ASSEMBLER_OPTIONS.frameTimeoutMs,
    ],
    [
      '--max_frames_in_flight <n>',
      'partial frames kept per sender',
      integer('max_frames_in_flight', 1, 100),
      DEFAULT_ASSEMBLER_OPTIONS.maxFramesInFlight,
    ],
    [
      '--max_buffered_bytes <size>',
      'bytes held in partial frames across all senders (e.g. 64M)',
      byteSize('max_buffered_bytes'),
      DEFAULT_ASSEMBLER_OPTIONS.maxBufferedBytes,
    ],
    [
      '--recv_buffer <bytes>',
      'kernel receive buffer to ask for',
      integer('recv_buffer', 65536, 1024 * 1024 * 1024),
      32 * 1024 * 1024,
    ],
  ];
  for (const [flags, description, parse, value] of limits) {
    addSnakeOption(command, new Option(flags, description).argParser(parse).default(value));
  }
  command.addHelpText(
    'after',
    '\nExamples:\n  udpcam receive --port 5000 --out frames\n  udpcam receive --port 5000 --bind :: --json\n  udpcam receive --port 5000 --key cam.key --http 8443 --http-host 0.0.0.0 --auth me:secret --tls-cert cert.pem --tls-key key.pem',
  );
  return command.action((_flags: ReceiveFlags, self: Command) => receive(withConfigFile(self)));
}

/** The flags, with those of --config FILE that the command line did not give. */
function withConfigFile(command: Command): ReceiveFlags {
  const file = command.opts<ReceiveFlags>().config;
  if (file === undefined) return command.opts<ReceiveFlags>();
  const { cameras } = applyConfigFile(command, file, 'receive', new Set(['cameras']));
  const flags = command.opts<ReceiveFlags>();
  // "cameras" is a cameras file, as with --cameras, or its list inline; --cameras FILE wins.
  if (typeof cameras === 'string' && flags.cameras === undefined) return { ...flags, cameras };
  if (Array.isArray(cameras) && flags.cameras === undefined) {
    return { ...flags, cameraList: cameras as CamerasConfig['cameras'] };
  }
  return flags;
}
