/**
 * The benches' receiving children (lib/fanout-server.ts: Receiver + HttpServer; lib/latency-bare-
 * socket.ts: a bare dgram socket) all speak one line protocol: `ready <udpPort> [<httpPort>]` on
 * start, a JSON line with their CPU time (µs, every thread) for each `cpu`, and `exit`. This
 * starts one, pinned to `core` when given, and speaks it.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnPinned } from './pin.js';
import { processMemory } from './proc.js';

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
  // taskset execs node, so the child's pid is the server's (for /proc/<pid>/status).
  const server = spawnPinned(core, [process.execPath, ...nodeArgs, script], {
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
  const memory = () => processMemory(server.pid!);
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
