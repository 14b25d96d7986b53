/**
 * A private network namespace for real kernel packet loss: this kernel has no netem, but
 * `unshare -n` and nftables work as root. A holder process (`unshare -n … sleep`) keeps the
 * namespace alive; commands enter it with `nsenter -t PID -n`. Inside, only a loopback exists,
 * brought up with a 1500-byte MTU so large datagrams are IP-fragmented as on Ethernet.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

/** Whether this machine can make namespaces with nftables loss, and if not why. */
export type NetnsStatus = { available: true } | { available: false; reason: string };

/** Checks root, unshare, nsenter, ip and nft, and that `unshare -n` works here. */
export function netnsStatus(): NetnsStatus {
  if (process.getuid?.() !== 0) return { available: false, reason: 'needs root (unshare -n, nft)' };
  for (const [command, args] of [
    ['unshare', ['-n', 'true']],
    ['nsenter', ['--version']],
    ['ip', ['-V']],
    ['nft', ['--version']],
  ] as const) {
    const run = spawnSync(command, args, { stdio: 'ignore' });
    if (run.error || run.status !== 0)
      return { available: false, reason: `${command} ${args.join(' ')} failed (apt-get install nftables)` };
  }
  return { available: true };
}

/** One nft rule counter: packets and bytes it matched. */
export type RuleCounter = { packets: number; bytes: number };

/** A network namespace that lives until `close()`. */
export class NetNamespace {
  private constructor(readonly holder: ChildProcess) {}

  /** Creates the namespace and brings its loopback up at MTU 1500. */
  static async create(): Promise<NetNamespace> {
    const holder = spawn('unshare', ['-n', '--', 'sh', '-c', 'echo; exec sleep 3600'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      // sh runs once unshare has switched namespace: its echo says the namespace is there.
      await once(holder.stdout!, 'data', { signal: AbortSignal.timeout(5_000) });
    } catch {
      holder.kill('SIGKILL');
      throw new Error('unshare -n did not start');
    }
    const namespace = new NetNamespace(holder);
    namespace.run('ip', ['link', 'set', 'lo', 'up', 'mtu', '1500']);
    return namespace;
  }

  /** [command, args] that run `command args` inside the namespace. */
  wrap(command: string, args: readonly string[]): [string, string[]] {
    return ['nsenter', ['-t', String(this.holder.pid), '-n', '--', command, ...args]];
  }

  /** Runs a command inside the namespace to completion; throws with its stderr on failure. */
  run(command: string, args: readonly string[], input?: string): string {
    const [wrapper, wrapped] = this.wrap(command, args);
    const result = spawnSync(wrapper, wrapped, { input, encoding: 'utf8' });
    if (result.error || result.status !== 0) {
      throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.error?.message}`);
    }
    return result.stdout;
  }

  /**
   * Replaces the namespace's nftables rules with `rules`: each a statement for an input chain,
   * e.g. `udp dport 5000 numgen random mod 1000 < 20 counter drop`.
   */
  setInputRules(rules: readonly string[]): void {
    // nft takes `;` between statements as it takes newlines.
    const chain = ['type filter hook input priority 0', 'policy accept', ...rules].join('; ');
    this.run('nft', ['-f', '-'], `flush ruleset\ntable inet loss { chain input { ${chain}; }; }\n`);
  }

  /** The counters of the input rules, in rule order (rules without `counter` are left out). */
  counters(): RuleCounter[] {
    const listing = JSON.parse(this.run('nft', ['-j', 'list', 'table', 'inet', 'loss'])) as {
      nftables: { rule?: { expr: { counter?: RuleCounter }[] } }[];
    };
    return listing.nftables.flatMap((item) =>
      (item.rule?.expr ?? []).flatMap((expr) => (expr.counter ? [expr.counter] : [])),
    );
  }

  /** Ends the namespace (its processes must be stopped first). */
  close(): void {
    this.holder.kill('SIGKILL');
  }
}
