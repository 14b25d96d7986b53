/**
 * The files a receiver writes in a run of a sender (bench-gstreamer, bench-fidelity, bench-loss):
 * waiting for the sender's end and for the output files to settle, and when each was complete.
 */
import { type FSWatcher, readdirSync, watch } from 'node:fs';
import path from 'node:path';
import type { Child } from './gstreamer.js';
import { monotonicUs } from './relay.js';
import { sleep } from './report.js';

/**
 * The finished .jpg files under `dir`, in name order ("camera/file" for udpcam's folder per
 * camera): both stacks name them in arrival order, and write an unnamed file (udpcam, O_TMPFILE) or
 * NAME.XXXXXX first.
 */
export function outputFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.jpg') && !path.basename(name).startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}

/** Waits until `count()` reaches `expected` or stops moving for 400 ms (at most 4 s). */
export async function settle(count: () => number, expected: number): Promise<void> {
  const deadline = Date.now() + 4_000;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const now = count();
    if (now >= expected) return;
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 400) return;
    await sleep(25);
  }
}

/** Waits for a sender of `frames` at `fps` to exit (killed after their time plus `graceMs`); throws if it failed. */
export async function finish(sender: Child, frames: number, fps: number, graceMs = 15_000): Promise<void> {
  const timer = setTimeout(() => sender.process.kill('SIGKILL'), (frames / fps) * 1000 + graceMs);
  const code = await sender.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`sender exited with ${code}:\n${sender.lines.slice(-10).join('\n')}`);
}

/** When each output file of a folder was complete: the last inotify event on its final name. */
export class OutputWatcher {
  /** File name → monotonic µs of its last event. */
  readonly completedUs = new Map<string, number>();
  readonly #watcher: FSWatcher;

  /**
   * Watches `dir` (which must exist). udpcam links a written unnamed file (O_TMPFILE) under its
   * name, or renames a dot-file where O_TMPFILE is missing; multifilesink (1.22) writes
   * NAME.XXXXXX and renames it: for both the name appears when the whole file is there. The last
   * event on the final name is that (udpcam: the close right after the link, a few µs later; for a
   * writer in place, it would be its last write).
   */
  constructor(dir: string, onFile?: (count: number) => void) {
    this.#watcher = watch(dir, (_event, name) => {
      const atUs = monotonicUs();
      if (!name || name.startsWith('.') || !name.endsWith('.jpg')) return;
      const isNew = !this.completedUs.has(name);
      this.completedUs.set(name, atUs);
      if (isNew) onFile?.(this.completedUs.size);
    });
  }

  /** Output files in name order (both stacks number them in arrival order). */
  files(): string[] {
    return [...this.completedUs.keys()].sort();
  }

  close(): void {
    this.#watcher.close();
  }
}
