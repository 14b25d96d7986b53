/** Runs the real `udpcam` CLI as a child process and reads its output line by line. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from build/test/...). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../../packages/cli/bin/udpcam.js', import.meta.url));

/** A running CLI process with its output collected. */
export interface CliProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first line (either stream) matching `pattern`, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts `udpcam ...args`. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return startProcess([process.execPath, CLI, ...args], env);
}

/** Starts any command (`argv[0]`) from the repository root, its output read as a CLI's is. */
export function startProcess([command, ...args]: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(command!, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onLine = (sink: string[]) => (line: string) => {
    sink.push(line);
    for (const waiter of [...waiters]) {
      const match = line.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine(stdout));
  createInterface({ input: child.stderr! }).on('line', onLine(stderr));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    stdout,
    stderr,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      for (const line of [...stdout, ...stderr]) {
        const match = line.match(pattern);
        if (match) return Promise.resolve(match);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `timed out waiting for ${pattern}\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.push({
          pattern,
          resolve: (match) => {
            clearTimeout(timer);
            resolve(match);
          },
        });
        exited.then(() => {
          clearTimeout(timer);
          reject(
            new Error(
              `exited before ${pattern}\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`,
            ),
          );
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs `udpcam ...args` to completion: exit code and output. */
export async function runCli(
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), timeoutMs);
  const code = await cli.exited;
  clearTimeout(timer);
  // Let readline drain the last lines.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: cli.stdout.join('\n'), stderr: cli.stderr.join('\n') };
}

/**
 * Receivers in tests hold a partial udpcam frame for a minute (default 500 ms): on a loaded
 * machine a process can stall that long inside a frame, and tests that count frames must not lose
 * one to that. (Expiry itself is tested in-process on a fake clock.)
 */
export const PATIENT_REASSEMBLY = ['--frame_timeout', '60000'];

/** Starts `udpcam receive --port 0 ...` and resolves once it is listening, with its port. */
export async function startReceiver(args: string[]): Promise<{ cli: CliProcess; port: number }> {
  const cli = startCli(['receive', '--port', '0', ...PATIENT_REASSEMBLY, ...args]);
  const match = await cli.waitFor(/receiving on udp .*:(\d+)/);
  return { cli, port: Number(match[1]) };
}

/** `udpcam receive --bind BIND --out DIR`, JSON status lines every 0.2 s, then `args` (startReceiver). */
export function startDiskReceiver(
  out: string,
  args: string[] = [],
  bind = '127.0.0.1',
): Promise<{ cli: CliProcess; port: number }> {
  return startReceiver(['--bind', bind, '--out', out, '--status-interval', '0.2', '--json', ...args]);
}

/**
 * Runs `udpcam send ARGS --frames N` into a `udpcam receive --out DIR`, waits until the N frames
 * are on disk and returns the first one's path (frames are named in arrival order).
 */
export async function sendToDisk(dir: string, frames: number, sendArgs: string[]): Promise<string> {
  const { cli: receiver, port } = await startDiskReceiver(dir);
  try {
    const sent = await runCli(['send', '--port', String(port), '--frames', String(frames), ...sendArgs]);
    if (sent.code !== 0) throw new Error(`udpcam send exited with ${sent.code}: ${sent.stderr}`);
    await receiver.waitFor(new RegExp(`"written":${frames}[,}]`), 30_000);
  } catch (error) {
    await receiver.stop();
    throw error;
  }
  const code = await receiver.stop();
  if (code !== 0) throw new Error(`udpcam receive exited with ${code}`);
  const [camera] = await readdir(dir);
  const [first] = (await readdir(path.join(dir, camera!))).sort();
  return path.join(dir, camera!, first!);
}

/**
 * Starts `udpcam receive` joined to multicast `group` on the loopback interface. A group needs a
 * known port (the sender addresses group:port), so a free one is found first.
 */
export async function startGroupReceiver(group: string): Promise<{ cli: CliProcess; port: number }> {
  const { createSocket } = await import('node:dgram');
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(resolve));
  const cli = startCli([
    'receive',
    '--port',
    String(port),
    '--group',
    group,
    '--group-interface',
    '127.0.0.1',
    ...PATIENT_REASSEMBLY,
    '--status-interval',
    '0.2',
    '--json',
  ]);
  await cli.waitFor(/receiving on udp/);
  return { cli, port };
}
