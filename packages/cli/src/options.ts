/** Flag value parsers: each turns a string into a checked value or a one-line InvalidArgumentError. */
import net from 'node:net';
import { type Command, InvalidArgumentError, Option } from 'commander';

/** An integer in [min, max]. */
export function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return parsed;
  };
}

/** A number in (0, max]. */
export function positive(name: string, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0 || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a number above 0 and at most ${max}.`);
    }
    return parsed;
  };
}

export const port = integer('port', 1, 65535);

/** A port to listen on: 0 lets the system pick a free one (the chosen port is printed). */
export const listenPort = integer('port', 0, 65535);

/** An IPv4 or IPv6 address literal or a host name. */
export function host(value: string): string {
  const trimmed = value.trim().replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(trimmed) !== 0) return trimmed;
  if (/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(trimmed)) return trimmed;
  throw new InvalidArgumentError('expected an IPv4 or IPv6 address or a host name.');
}

/**
 * Adds `--name_with_underscores` (the original's spelling) plus a hidden kebab-case alias that
 * sets the same value, so both `--packet_size 1400` and `--packet-size 1400` work.
 */
export function addSnakeOption(command: Command, option: Option): Command {
  command.addOption(option);
  const long = option.long;
  if (long?.includes('_')) {
    const kebab = long.replace(/_/g, '-');
    const flags = option.flags.replace(long, kebab).replace(/^-\w, /, '');
    const alias = new Option(flags).hideHelp();
    if (option.parseArg) alias.argParser(option.parseArg);
    command.addOption(alias);
    command.on(`option:${kebab.slice(2)}`, (value: unknown) => {
      command.setOptionValueWithSource(option.attributeName(), value, 'cli');
    });
  }
  return command;
}

/** A size in bytes: a whole number with an optional k, M, G or T suffix (powers of 1024). */
export function byteSize(name: string): (value: string) => number {
  return (value) => {
    const match = /^(\d+(?:\.\d+)?)\s*([kKMGT]?)(i?B)?$/.exec(value.trim());
    const scale = { '': 1, k: 1024, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 } as const;
    const bytes = match ? Math.floor(Number(match[1]) * scale[match[2] as keyof typeof scale]) : Number.NaN;
    if (!Number.isSafeInteger(bytes) || bytes < 1) {
      throw new InvalidArgumentError(`${name} must be a size such as 500M, 2G or 1048576.`);
    }
    return bytes;
  };
}

/** True for localhost, ::1 and 127.0.0.0/8: traffic that never leaves this machine. */
export function isLoopback(address: string): boolean {
  return (
    address === 'localhost' || address === '::1' || (net.isIP(address) === 4 && address.startsWith('127.'))
  );
}

/** A number in [0, 1] (`--pace`, `--fec`). */
export function fraction(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (value.trim() === '' || !(parsed >= 0 && parsed <= 1)) {
      throw new InvalidArgumentError(`${name} must be a number from 0 to 1.`);
    }
    return parsed;
  };
}

/** `--status-interval` and `--json`, as `send` and `receive` both take them. */
export function addStatusOptions(command: Command): Command {
  return command
    .option(
      '--status-interval <seconds>',
      'seconds between status lines',
      positive('status interval', 3600),
      5,
    )
    .option('--json', 'print status as JSON lines on stdout', false);
}

/** A secret (`--token`): not empty, no white space (an empty one would accept `?token=` and `Bearer `). */
export function secret(value: string): string {
  if (!/^\S+$/.test(value)) {
    throw new InvalidArgumentError('expected a non-empty secret without white space.');
  }
  return value;
}

/** `--allow-host NAME`, repeatable: host names the web server answers to besides IPs and localhost. */
export function hostList(value: string, previous: string[] = []): string[] {
  return [...previous, host(value)];
}

/** An output folder: not empty (an empty --out would write into the current folder). */
export function outDir(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a folder, got an empty path.');
  return value;
}
