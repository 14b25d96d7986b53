/**
 * Waiting for a run of a sender into a receiver that writes files (bench-gstreamer,
 * bench-fidelity, bench-loss): the sender's end, then the output files as they settle.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Child } from './gstreamer.js';
import { sleep } from './report.js';

/**
 * The finished .jpg files under `dir`, in name order ("camera/file" for udpcam's folder per
 * camera): both stacks name them in arrival order, and write a dot-file or NAME.XXXXXX first.
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
