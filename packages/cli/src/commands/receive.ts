/** `udpcam receive`: reassemble frames from UDP and write them to disk. */

import { DEFAULT_ASSEMBLER_OPTIONS } from '@udpcam/protocol';
import { checkWritableDir, DiskSink, Receiver } from '@udpcam/receiver';
import { type Command, Option } from 'commander';
import { addSnakeOption, host, integer, listenPort, positive } from '../options.js';
import { consoleOutput, formatBinary, type Output, untilSignal } from '../output.js';
import { ReceiveStatus } from './receive-status.js';

export interface ReceiveFlags {
  port: number;
  bind: string;
  out?: string;
  statusInterval: number;
  json: boolean;
  max_frame_bytes: number;
  max_senders: number;
  frame_timeout: number;
  recv_buffer: number;
}

/** Runs the receiver until SIGINT/SIGTERM; then flushes pending writes and returns. */
export async function receive(
  flags: ReceiveFlags,
  output: Output = consoleOutput(flags.json),
): Promise<void> {
  let disk: DiskSink | undefined;
  if (flags.out !== undefined) {
    await checkWritableDir(flags.out);
    disk = new DiskSink({
      dir: flags.out,
      onError: (error, file) =>
        output.warn(
          `cannot write ${file}: ${error.code ?? error.message} (frames are counted as failed; receiving goes on)`,
        ),
    });
  }
  const receiver = await Receiver.open({
    port: flags.port,
    host: flags.bind,
    recvBufferBytes: flags.recv_buffer,
    assembler: {
      maxFrameBytes: flags.max_frame_bytes,
      maxSenders: flags.max_senders,
      frameTimeoutMs: flags.frame_timeout,
    },
  });
  if (disk) receiver.addSink(disk);

  const where = receiver.address;
  const shown =
    where.family === 'IPv6' ? `[${where.address}]:${where.port}` : `${where.address}:${where.port}`;
  const buffer = `receive buffer ${formatBinary(receiver.recvBufferBytes)}`;
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
  const signal = untilSignal();
  const how = await signal.promise;
  signal.dispose();
  clearInterval(timer);
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
    .option('-o, --out <dir>', 'write every complete frame to DIR/<camera>/<time>-<seq>.jpg')
    .option(
      '--status-interval <seconds>',
      'seconds between status lines',
      positive('status interval', 3600),
      5,
    )
    .option('--json', 'print status as JSON lines on stdout', false);
  addSnakeOption(
    command,
    new Option('--max_frame_bytes <bytes>', 'largest frame accepted')
      .argParser(integer('max_frame_bytes', 1024, 64 * 1024 * 1024))
      .default(DEFAULT_ASSEMBLER_OPTIONS.maxFrameBytes),
  );
  addSnakeOption(
    command,
    new Option('--max_senders <n>', 'senders tracked at once')
      .argParser(integer('max_senders', 1, 4096))
      .default(DEFAULT_ASSEMBLER_OPTIONS.maxSenders),
  );
  addSnakeOption(
    command,
    new Option('--frame_timeout <ms>', 'drop a partial frame this long after its first chunk')
      .argParser(integer('frame_timeout', 10, 60_000))
      .default(DEFAULT_ASSEMBLER_OPTIONS.frameTimeoutMs),
  );
  addSnakeOption(
    command,
    new Option('--recv_buffer <bytes>', 'kernel receive buffer to ask for')
      .argParser(integer('recv_buffer', 65536, 1024 * 1024 * 1024))
      .default(32 * 1024 * 1024),
  );
  command.addHelpText(
    'after',
    '\nExamples:\n  udpcam receive --port 5000 --out frames\n  udpcam receive --port 5000 --bind :: --json',
  );
  return command.action((flags: ReceiveFlags) => receive(flags));
}
