/**
 * `udpcam demo`: a receiver and N synthetic cameras on loopback, no camera needed. Each camera
 * is a real `udpcam send` child process (encoding is CPU-heavy and must not stall the receiver),
 * exactly as a user would run it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UdpcamError } from '@udpcam/protocol';
import { checkWritableDir, DiskSink, Receiver } from '@udpcam/receiver';
import type { Command } from 'commander';
import { integer, positive } from '../options.js';
import { consoleOutput, formatBytes, type Output, untilSignal } from '../output.js';

const CLI = fileURLToPath(new URL('../../bin/udpcam.js', import.meta.url));

export interface DemoFlags {
  cameras: number;
  fps: number;
  duration: number;
  out: string;
  json: boolean;
}

function startCamera(port: number, fps: number, output: Output): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'send',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--fps',
      String(fps),
      '--status-interval',
      '3600',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
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

/** Runs the demo for --duration seconds (0: until Ctrl-C). */
export async function demo(flags: DemoFlags, output: Output = consoleOutput(flags.json)): Promise<void> {
  const out = path.resolve(flags.out);
  await checkWritableDir(out);
  const disk = new DiskSink({
    dir: out,
    onError: (error, file) => output.warn(`cannot write ${file}: ${error.code}`),
  });
  const receiver = await Receiver.open({ port: 0, host: '127.0.0.1' });
  receiver.addSink(disk);
  const { port } = receiver.address;
  output.info(
    `udpcam demo: ${flags.cameras} test camera${flags.cameras === 1 ? '' : 's'} → udp 127.0.0.1:${port} → ${out} (${flags.duration > 0 ? `${flags.duration} s` : 'Ctrl-C to stop'})`,
  );
  const cameras = Array.from({ length: flags.cameras }, () => startCamera(port, flags.fps, output));

  const previous = new Map<string, number>();
  let last = performance.now();
  const report = (final = false) => {
    const now = performance.now();
    const seconds = Math.max(1e-3, (now - last) / 1000);
    last = now;
    const rows = [...receiver.cameras()].map((camera) => {
      const stats = receiver.assembler.senderStats(camera.sender)!;
      const fps = (camera.frames - (previous.get(camera.sender) ?? 0)) / seconds;
      previous.set(camera.sender, camera.frames);
      const latency =
        camera.lastLatencyUs === undefined ? 'n/a' : `${(camera.lastLatencyUs / 1000).toFixed(1)} ms`;
      return {
        camera: camera.camera,
        text: `${camera.camera}: ${final ? '' : `${fps.toFixed(1)} fps, `}${camera.frames} frames, ${formatBytes(stats.frameBytes / Math.max(1, stats.framesComplete))}/frame, dropped ${stats.framesDropped}, latency ${latency}`,
        fps,
        frames: camera.frames,
        dropped: stats.framesDropped,
        latencyMs: camera.lastLatencyUs === undefined ? undefined : camera.lastLatencyUs / 1000,
      };
    });
    const text = rows.length === 0 ? 'waiting for the first frame…' : rows.map((r) => r.text).join(' | ');
    output.status(`demo: ${text}`, {
      cameras: rows.map(({ text: _, ...rest }) => rest),
      written: disk.stats.written,
    });
  };
  const timer = setInterval(report, 2000);
  const signal = untilSignal();
  const stopAfter =
    flags.duration > 0
      ? new Promise<string>((resolve) => setTimeout(resolve, flags.duration * 1000, 'time'))
      : undefined;
  const exits = cameras.map((child) => once(child, 'exit'));
  const allExited = Promise.all(exits).then(() => 'cameras-exited');
  const why = await Promise.race([signal.promise, allExited, ...(stopAfter ? [stopAfter] : [])]);
  signal.dispose();
  clearInterval(timer);
  for (const child of cameras) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(exits);
  await receiver.close();
  report(true);
  const total = [...receiver.cameras()].reduce((sum, camera) => sum + camera.frames, 0);
  output.info(`udpcam demo: ${total} frames received, ${disk.stats.written} written to ${out}`);
  if (why === 'cameras-exited') {
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
    .description(
      'Run test-pattern cameras and a receiver on loopback and watch frames arrive (no camera needed).',
    )
    .option('--cameras <n>', 'number of synthetic cameras', integer('cameras', 1, 16), 2)
    .option('--fps <n>', 'frames per second per camera', positive('fps', 120), 15)
    .option(
      '--duration <seconds>',
      'stop after this many seconds; 0 runs until Ctrl-C',
      integer('duration', 0, 86_400),
      10,
    )
    .option('-o, --out <dir>', 'where received frames are written', 'udpcam-demo')
    .option('--json', 'print status as JSON lines on stdout', false)
    .addHelpText('after', '\nExamples:\n  udpcam demo\n  udpcam demo --cameras 4 --fps 10 --duration 0')
    .action((flags: DemoFlags) => demo(flags));
}
