/**
 * What the benches read from Linux's /proc, in one place: a process's CPU time and memory, the
 * kernel's UDP counters and one socket's queue. Off Linux the readers return undefined (or throw,
 * for a process's CPU, which a bench cannot do without).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** USER_HZ, the unit of /proc/PID/stat's times: nearly always 100. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** CPU time (user + system, all threads) of process `pid` so far, µs; from /proc/PID/stat. */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15
  return (ticks * 1e6) / CLOCK_TICKS;
}

/** Resident and peak resident memory of process `pid`, bytes (VmRSS, VmHWM); null off Linux. */
export function processMemory(pid: number): { rssBytes: number | null; peakRssBytes: number | null } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
    return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
  } catch {
    return { rssBytes: null, peakRssBytes: null };
  }
}

/** The Udp counters of /proc/net/snmp (whole machine), or undefined off Linux. */
export function udpSnmp(): Record<string, number> | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('Udp: '));
    const names = lines[0]!.split(/\s+/).slice(1);
    const values = lines[1]!.split(/\s+/).slice(1).map(Number);
    return Object.fromEntries(names.map((name, index) => [name, values[index]!]));
  } catch {
    return undefined;
  }
}

/** How much counter `name` of two udpSnmp() readings grew, or undefined if either lacks it. */
export function snmpDelta(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
  name: string,
): number | undefined {
  if (before?.[name] === undefined || after?.[name] === undefined) return undefined;
  return after[name] - before[name];
}

/** The queue of the UDP socket bound to 127.0.0.1:`port` (/proc/net/udp): bytes waiting and drops so far. */
export function socketQueue(port: number): { queuedBytes: number; drops: number } | undefined {
  try {
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields[1] !== local) continue;
      return { queuedBytes: Number.parseInt(fields[4]!.split(':')[1]!, 16), drops: Number(fields[12]) };
    }
  } catch {
    // Not Linux: no queue figures.
  }
  return undefined;
}
