/**
 * `udpcam demo`: N synthetic cameras → a receiver with its live page, all on loopback, no camera
 * needed. Each camera is a real `udpcam send` child process (encoding is CPU-heavy and must not
 * stall the receiver), exactly as a user would run it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { UdpcamError } from '@udpcam/protocol';
import { checkWritableDir, DiskSink, HttpServer, Receiver } from '@udpcam/receiver';
import type { Command } from 'commander';
import { integer, positive } from '../options.js';
import { consoleOutput, formatBytes, type Output, untilSignal } from '../output.js';

const CLI = fileURLToPath(new URL('../../bin/udpcam.js', import.meta.url));

export interface DemoFlags {
  cameras: number;
  fps: number;
  duration: number;
  /** Frames each camera sends before it stops (the demo then ends); undefined: no limit. */
  frames?: number;
  out?: string;
  http: number;
  json: boolean;
}

/** Starts demo camera `name` (cam1, cam2, …): its name travels in the frames, so its tile keeps it. */
function startCamera(port: number, flags: DemoFlags, name: string, output: Output): ChildProcess {
  const args = `send --ip 127.0.0.1 --port ${port} --fps ${flags.fps} --status-interval 3600 --name ${name}`;
  const frames = flags.frames === undefined ? [] : ['--frames', String(flags.frames)];
  const child = spawn(process.execPath, [CLI, ...args.split(' '), ...frames], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null)
      output.warn(`a demo camera exited with status ${code}: ${errors.trim()}`);
  });
  return child;
}

/** Listens on `port`, or on any free port when it is taken: the demo must start anyway. */
async function listenHttp(receiver: Receiver, port: number, output: Output): Promise<HttpServer> {
  try {
    return await HttpServer.listen(receiver, { port, host: '127.0.0.1' });
  } catch (error) {
    if ((error as UdpcamError).code !== 'UDPCAM_ERR_ADDRESS_IN_USE' || port === 0) throw error;
    output.warn(`port ${port} is taken; the live page uses a free port instead`);
    return HttpServer.listen(receiver, { port: 0, host: '127.0.0.1' });
  }
}

/** Runs the demo for --frames frames per camera, or --duration seconds (0: until Ctrl-C). */
export async function demo(flags: DemoFlags, output: Output = consoleOutput(flags.json)): Promise<void> {
  const out = flags.out === undefined ? undefined : path.resolve(flags.out);
  let disk: DiskSink | undefined;
  if (out !== undefined) {
    await checkWritableDir(out);
    disk = new DiskSink({
      dir: out,
      onError: (error, file) => output.warn(`cannot write ${file}: ${error.code}`),
    });
  }
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
  if (disk) receiver.addSink(disk);
  let web: HttpServer;
  try {
    web = await listenHttp(receiver, flags.http, output);
  } catch (error) {
    await receiver.close();
    throw error;
  }
  const { port } = receiver.address;
  const plural = flags.cameras === 1 ? '' : 's';
  const until =
    flags.frames !== undefined
      ? `${flags.frames} frames each`
      : flags.duration > 0
        ? `${flags.duration} s`
        : 'Ctrl-C to stop';
  output.info(
    `udpcam demo: ${flags.cameras} test camera${plural} → udp 127.0.0.1:${port}${out ? ` → ${out}` : ''} (${until})`,
  );
  const url = web.url;
  output.info(`udpcam demo: watch them live at ${url}`);
  const cameras = Array.from({ length: flags.cameras }, (_, k) =>
    startCamera(port, flags, `cam${k + 1}`, output),
  );

  const report = (final = false) => {
    const rows = receiver.stats().cameras.map((camera) => {
      const { assembly: stats, fps, frames } = camera;
      const latencyMs = camera.latencyUs === undefined ? undefined : camera.latencyUs.p50 / 1000;
      const dropped = stats?.framesDropped ?? 0;
      const perFrame = formatBytes((stats?.frameBytes ?? 0) / Math.max(1, stats?.framesComplete ?? 0));
      const latency = latencyMs === undefined ? 'n/a' : `${latencyMs.toFixed(1)} ms`;
      return {
        camera: camera.id,
        text: `${camera.id}: ${final ? '' : `${fps.toFixed(1)} fps, `}${frames} frames, ${perFrame}/frame, dropped ${dropped}, latency p50 ${latency}`,
        fps,
        frames,
        dropped,
        latencyMs,
      };
    });
    const text = rows.length === 0 ? 'waiting for the first frame…' : rows.map((r) => r.text).join(' | ');
    output.status(`demo: ${text}`, {
      cameras: rows.map(({ text: _, ...rest }) => rest),
      written: disk?.stats.written,
      url,
    });
  };
  const timer = setInterval(report, 2000);
  const timeUp =
    flags.duration > 0
      ? [new Promise<string>((resolve) => setTimeout(resolve, flags.duration * 1000, 'time'))]
      : [];
  const exits = cameras.map((child) => once(child, 'exit'));
  const allExited = Promise.all(exits).then(() => 'cameras-exited');
  const why = await Promise.race([untilSignal(), allExited, ...timeUp]);
  const received = () => receiver.stats().cameras.reduce((sum, camera) => sum + camera.frames, 0);
  if (why === 'cameras-exited' && flags.frames !== undefined) {
    // The cameras sent their frames and left; let the last datagrams on loopback arrive.
    const expected = flags.frames * flags.cameras;
    for (let waited = 0; waited < 1000 && received() < expected; waited += 20) await sleep(20);
  }
  clearInterval(timer);
  for (const child of cameras) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(exits);
  await web.close();
  await receiver.close();
  report(true);
  const total = received();
  output.info(
    `udpcam demo: ${total} frames received${disk ? `, ${disk.stats.written} written to ${out}` : ''}`,
  );
  if (
    why === 'cameras-exited' &&
    (flags.frames === undefined || cameras.some((child) => child.exitCode !== 0))
  ) {
    throw new UdpcamError(
      'UDPCAM_ERR_SOURCE',
      'the demo cameras stopped on their own (see the warnings above)',
    );
  }
}

/** Registers `demo` on the program. */
export function demoCommand(program: Command): Command {
  return program
    .command('demo')
    .description('Run test-pattern cameras and a receiver with its live page on loopback (no camera needed).')
    .option('--cameras <n>', 'number of synthetic cameras', integer('cameras', 1, 16), 3)
    .option('--fps <n>', 'frames per second per camera', positive('fps', 120), 10)
    .option(
      '--http <port>',
      'live page port on 127.0.0.1 (a free one if taken; 0: any)',
      integer('http', 0, 65535),
      8080,
    )
    .option(
      '--duration <seconds>',
      'stop after this many seconds; 0 runs until Ctrl-C',
      integer('duration', 0, 86_400),
      0,
    )
    .option(
      '--frames <n>',
      'each camera sends this many frames, then the demo ends',
      integer('frames', 1, 1_000_000),
    )
    .option('-o, --out <dir>', 'also write every frame to DIR/<camera>/<time>-<seq>.jpg')
    .option('--json', 'print status as JSON lines on stdout', false)
    .addHelpText(
      'after',
      '\nExamples:\n  udpcam demo\n  udpcam demo --cameras 4 --fps 15 --duration 30 --out demo-frames\n  udpcam demo --frames 20 --out demo-frames',
    )
    .action((flags: DemoFlags) => demo(flags));
}
