/**
 * The benches' receiving children (lib/fanout-server.ts: Receiver + HttpServer; lib/latency-bare-
 * socket.ts: a bare dgram socket) all speak one line protocol: `ready <udpPort> [<httpPort>]` on
 * start, a JSON line with their CPU time (µs, every thread) for each `cpu`, and `exit`. This
 * starts one, pinned to `core` when given, and speaks it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Where to run a child and with which node flags (e.g. --cpu-prof). */
export interface ServerChildOptions {
  core?: number;
  nodeArgs?: readonly string[];
}

/** What every child answers to `cpu`; fanout-server adds frames and clients, the bare socket datagrams. */
export interface ServerCpu {
  cpuUs: number;
}

/** fanout-server's answer: frames received and HTTP clients connected, too. */
export interface FanoutCpu extends ServerCpu {
  frames: number;
  clients: number;
}

/** A running child; see startServerChild. */
export type ServerChild = Awaited<ReturnType<typeof startServerChild>>;

export async function startServerChild(
  name: 'fanout-server' | 'latency-bare-socket',
  { core, nodeArgs = [] }: ServerChildOptions = {},
) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const node = [...nodeArgs, script];
  // taskset execs node, so the child's pid is the server's (for /proc/<pid>/status).
  const server =
    core === undefined
      ? spawn(process.execPath, node, { stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn('taskset', ['-c', String(core), process.execPath, ...node], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
  const lines = createInterface({ input: server.stdout! });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not answer within 10 s`)), 10_000);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const [, udpPort, httpPort] = (await nextLine()).split(' ').map(Number) as [number, number, number?];
  /** The child's CPU time so far and its counters. */
  const ask = async <T extends ServerCpu = ServerCpu>() => {
    server.stdin!.write('cpu\n');
    return JSON.parse(await nextLine()) as T;
  };
  const cpuUs = async () => (await ask()).cpuUs;
  /** Resident and peak resident memory from /proc (Linux), bytes. */
  const memory = () => {
    try {
      const status = readFileSync(`/proc/${server.pid}/status`, 'latin1');
      const kib = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
      return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
    } catch {
      return { rssBytes: null, peakRssBytes: null };
    }
  };
  /** Asks the child to exit (killing it after 5 s); does nothing once it has. */
  const stop = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.stdin!.write('exit\n');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { udpPort, httpPort, ask, cpuUs, memory, stop };
}
