/**
 * Real kernel packet loss for the CLI tests: a private network namespace (`unshare -n`, kept alive
 * by a sleeping child) whose nftables input rules drop chosen datagrams, with `udpcam send` and
 * `udpcam receive` run inside it (nsenter). The benches keep their own (scripts/lib/netns.ts), so
 * either can change without the other.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, type CliProcess, startProcess } from './cli.js';
import { frameIndex, type TaggedFrames } from './test-camera.js';

/** A skip reason unless this machine can make a namespace with nftables in it (root; .ci/run installs nftables). */
export const NETNS_MISSING = netnsMissing();

function netnsMissing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (unshare -n, nft)';
  const probe = spawnSync('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && nft list ruleset'], {
    encoding: 'utf8',
  });
  if (probe.status === 0) return false;
  return `unshare -n, ip or nft failed (apt-get install nftables): ${probe.stderr || probe.error?.message}`;
}

/** The UDP port the receiver listens on inside the namespace. */
export const PORT = 5000;

/** A network namespace that lives until `close()`; only a loopback, at a 1500-byte MTU (so large datagrams fragment as on Ethernet). */
export class NetNamespace {
  private constructor(private readonly holder: ChildProcess) {}

  static async create(): Promise<NetNamespace> {
    // The holder brings its loopback up, says so, then sleeps: its pid names the namespace.
    const holder = spawn(
      'unshare',
      ['-n', '--', 'sh', '-c', 'ip link set lo up mtu 1500 && echo up && exec sleep 3600'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let said = '';
    const up = await new Promise<boolean>((resolve) => {
      const hear = (chunk: Buffer) => {
        said += chunk.toString();
        if (said.includes('up\n')) resolve(true);
      };
      holder.stdout.on('data', hear);
      holder.stderr.on('data', hear);
      holder.once('exit', () => resolve(false));
    });
    if (!up) {
      holder.kill('SIGKILL');
      throw new Error(`unshare -n did not start: ${said}`);
    }
    return new NetNamespace(holder);
  }

  /** `argv` run inside the namespace. */
  #enter(argv: readonly string[]): string[] {
    return ['nsenter', '-t', String(this.holder.pid), '-n', '--', ...argv];
  }

  /** Starts `argv` inside the namespace. */
  start(argv: readonly string[]): CliProcess {
    return startProcess(this.#enter(argv));
  }

  /** `udpcam receive` on 127.0.0.1:PORT writing to `out`, JSON status lines; resolves once it listens. */
  async receive(out: string, args: readonly string[]): Promise<CliProcess> {
    const receiver = this.start([
      ...[process.execPath, CLI, 'receive', '--bind', '127.0.0.1', '--port', String(PORT)],
      ...['--out', out, '--json', ...args],
    ]);
    try {
      await receiver.waitFor(/receiving on udp/);
      return receiver;
    } catch (error) {
      await receiver.stop('SIGKILL');
      throw error;
    }
  }

  /**
   * Runs `udpcam send` of the `frames` files in `dir` at 10 fps, untouched (--no-meta), to the
   * receiver; asserts it exits with 0 and returns its last status (`"done"`). File i goes out with
   * image id i even when a busy machine makes the sender skip schedule slots: the folder source
   * reads one file per grab and the transmitter numbers each frame it sends.
   */
  async send<T>(dir: string, frames: number, args: readonly string[]): Promise<T> {
    const sender = this.start([
      ...[process.execPath, CLI, 'send', '--source', `dir:${dir}`, '--frames', String(frames)],
      ...['--fps', '10', '--no-meta', '--ip', '127.0.0.1', '--port', String(PORT)],
      ...['--json', '--status-interval', '3600', ...args],
    ]);
    // 'close', not 'exit': every line has been read by then.
    const [code] = await once(sender.child, 'close');
    assert.equal(code, 0, [...sender.stdout, ...sender.stderr].join('\n'));
    return lastEvent<T>(sender.stdout, 'done');
  }

  /** Runs a command inside the namespace to completion; throws with its stderr on failure. */
  #run(argv: readonly string[], input?: string): string {
    const [command, ...args] = this.#enter(argv);
    const result = spawnSync(command!, args, { input, encoding: 'utf8' });
    if (result.error || result.status !== 0) {
      throw new Error(`${argv.join(' ')}: ${result.stderr || result.error?.message}`);
    }
    return result.stdout;
  }

  /** Replaces the nftables rules with `rules`, each a statement of the input chain (`udp dport 5000 … counter drop`). */
  setInputRules(rules: readonly string[]): void {
    const chain = rules.map((rule) => `    ${rule}\n`).join('');
    this.#run(
      ['nft', '-f', '-'],
      `flush ruleset\ntable inet loss {\n  chain input {\n    type filter hook input priority 0; policy accept;\n${chain}  }\n}\n`,
    );
  }

  /** The packets each input rule's counter saw, in rule order (rules without `counter` are left out). */
  counters(): number[] {
    const listing = JSON.parse(this.#run(['nft', '-j', 'list', 'table', 'inet', 'loss'])) as {
      nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[];
    };
    return listing.nftables.flatMap(({ rule }) =>
      (rule?.expr ?? []).flatMap(({ counter }) => (counter ? [counter.packets] : [])),
    );
  }

  /** Ends the namespace (stop its processes first). */
  close(): void {
    this.holder.kill('SIGKILL');
  }
}

/** Writes `count` frames to `dir` as frame<i>.jpg, for `udpcam send --source dir:`. */
export function writeFrames(dir: string, count: number, frame: (i: number) => Buffer): void {
  mkdirSync(dir);
  for (let i = 0; i < count; i++) writeFileSync(path.join(dir, `frame${i}.jpg`), frame(i));
}

/** The frame files written under `dir` (the receiver makes one folder per camera). */
export function writtenFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.jpg') && !path.basename(name).startsWith('.'))
      .map((name) => path.join(dir, name));
  } catch {
    return [];
  }
}

/** The indexes of the frames written under `dir`, in order; each must be the one sent, byte for byte. */
export function writtenIndexes(dir: string, frames: TaggedFrames): number[] {
  const indexes = writtenFiles(dir).map((file) => {
    const data = readFileSync(file);
    const index = frameIndex(data);
    assert.ok(
      index !== undefined && data.equals(frames.frame(index)),
      'a written frame is a sent one, byte for byte',
    );
    return index;
  });
  return indexes.sort((a, b) => a - b);
}

/** Waits until `count` frames are written under `dir`, or 10 s pass (the assertions that follow say what is missing). */
export async function untilWritten(dir: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && writtenFiles(dir).length < count) await sleep(50);
}

/** The last line of `lines` holding `"event"` (e.g. "done", "stopped"), parsed. */
export function lastEvent<T>(lines: readonly string[], event: string): T {
  return JSON.parse([...lines].reverse().find((line) => line.includes(`"${event}"`))!) as T;
}
