/**
 * CPU pinning, written once: every bench child runs through `pinned(core, argv)` (taskset -c,
 * which execs, so the child's pid is the program's own, for /proc/<pid>/stat), and a bench moves
 * itself with `pinSelf`. A core of `undefined` is the one way to say "unpinned"; the harness
 * (Bench.core) hands out undefined when taskset is missing, on one core, or with --unpinned.
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import os from 'node:os';

let tasksetWorks: boolean | undefined;

/** Whether pinning means anything here: taskset (util-linux) runs and there are 2+ cores. */
export function canPin(): boolean {
  tasksetWorks ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return tasksetWorks && os.cpus().length >= 2;
}

/** `argv` to run on `core` (prefixed with taskset -c), or unchanged when `core` is undefined. */
export function pinned(core: number | undefined, argv: readonly string[]): string[] {
  return core === undefined ? [...argv] : ['taskset', '-c', String(core), ...argv];
}

/** Spawns `argv` pinned to `core` (undefined: unpinned). */
export function spawnPinned(
  core: number | undefined,
  argv: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const [command, ...args] = pinned(core, argv);
  return spawn(command!, args, options);
}

/** Moves this process, every thread of it, to `core`; nothing when `core` is undefined. */
export function pinSelf(core: number | undefined): void {
  if (core !== undefined)
    spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}
