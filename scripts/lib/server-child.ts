/**
 * The benches' receiving children (lib/fanout-server.ts: Receiver + HttpServer; lib/latency-bare-
 * socket.ts: a bare dgram socket) as ChildWorkers: `ready` with their ports on start, their CPU
 * time (µs, every thread) for each `cpu`, and `exit`.
 */
import { fileURLToPath } from 'node:url';
import { ChildWorker } from './ipc.js';
import { processMemory } from './proc.js';

/** fanout-server's answer to `cpu`: frames received and HTTP clients connected, too. */
export interface FanoutCpu {
  cpuUs: number;
  frames: number;
  clients: number;
}

/** A running child; see startServerChild. */
export type ServerChild = Awaited<ReturnType<typeof startServerChild>>;

/** Starts child `name` on `core` (undefined: unpinned) with `nodeArgs` (e.g. --cpu-prof). */
export async function startServerChild(
  name: 'fanout-server' | 'latency-bare-socket',
  { core, nodeArgs = [] }: { core: number | undefined; nodeArgs?: readonly string[] },
) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const child = new ChildWorker<{ type: 'cpu' }>(script, [], core, { nodeFlags: nodeArgs });
  const { udpPort, httpPort } = await child.next<{ udpPort: number; httpPort?: number }>(10_000);
  /** The child's CPU time so far and its counters. */
  const ask = <T extends { cpuUs: number } = { cpuUs: number }>() => child.request<T>({ type: 'cpu' });
  return {
    udpPort,
    httpPort,
    ask,
    cpuUs: async () => (await ask()).cpuUs,
    /** Resident and peak resident memory from /proc (Linux), bytes. */
    memory: () => processMemory(child.process.pid!),
    /** Asks the child to exit (killing it after 5 s); does nothing once it has. */
    stop: () => child.close(5_000),
  };
}
