/** Printing for the commands: human lines by default, one JSON object per line with --json. */
import { isUdpcamError } from '@udpcam/protocol';

/** Exit codes: 1 for a failure a person can fix or retry, 2 for bad usage, 70 for a bug. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_BUG = 70;

/**
 * Prints why a command failed and returns its exit code, by the error table's kind: user and
 * retryable errors are one line with the code (exit 1); a fatal one is a bug in udpcam (exit 70),
 * as is any error udpcam did not raise on purpose (with its stack).
 */
export function printFailure(error: unknown): number {
  if (!isUdpcamError(error)) {
    process.stderr.write(
      `udpcam: unexpected error — please report it:\n${(error as Error)?.stack ?? error}\n`,
    );
    return EXIT_BUG;
  }
  const bug = error.kind === 'fatal' ? ' — a bug: please report it' : '';
  process.stderr.write(`udpcam: ${error.message} (${error.code})${bug}\n`);
  return bug ? EXIT_BUG : EXIT_FAILURE;
}

export interface Output {
  /** A line for people (stderr keeps stdout clean for --json). */
  info(message: string): void;
  /** A warning line, prefixed so it stands out. */
  warn(message: string): void;
  /** A periodic status record: a line for people, or JSON with --json. */
  status(line: string, record: Record<string, unknown>): void;
}

/**
 * Output to the process's stdout/stderr. On a terminal the status is one line redrawn in place
 * (a warning first ends it, so nothing is overwritten); otherwise each status is its own line,
 * which suits logs and pipes.
 */
export function consoleOutput(json: boolean, live = process.stdout.isTTY === true && !json): Output {
  let showing = false;
  const endLive = () => {
    if (showing) process.stdout.write('\n');
    showing = false;
  };
  const line = (level: 'info' | 'warn', prefix: string) => (message: string) => {
    if (json) process.stdout.write(`${JSON.stringify({ level, message })}\n`);
    else {
      endLive();
      process.stderr.write(`${prefix}${message}\n`);
    }
  };
  return {
    info: line('info', ''),
    warn: line('warn', 'udpcam: warning: '),
    status: (line, record) => {
      if (json) process.stdout.write(`${JSON.stringify({ level: 'status', ...record })}\n`);
      else if (live) {
        const width = process.stdout.columns ?? 120;
        process.stdout.write(`\r\x1b[K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
        showing = true;
        if (record.done !== undefined || record.stopped !== undefined) endLive();
      } else process.stdout.write(`${line}\n`);
    },
  };
}

/** Formats a byte count as B, kB, MB (decimal, as network rates are). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

/** Formats a byte count as KiB/MiB (for buffer sizes, which the kernel counts in powers of two). */
export function formatBinary(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

let stopSignal: Promise<string> | undefined;

/**
 * Resolves on the first SIGINT or SIGTERM, for a clean shutdown. One promise for the whole
 * process, installed by main() before any command starts, so a signal that arrives while a
 * command is still starting is not lost (nor does it kill the process half-way). A second signal
 * gets the default action: Ctrl-C twice forces the exit.
 */
export function untilSignal(): Promise<string> {
  stopSignal ??= new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  return stopSignal;
}

/**
 * How long a command may take to stop after SIGINT/SIGTERM before it exits anyway (ms);
 * UDPCAM_STOP_DEADLINE_MS overrides it (tests use it to see a stop that needs no deadline).
 */
export const STOP_DEADLINE_MS = Number(process.env.UDPCAM_STOP_DEADLINE_MS) || 800;

/**
 * After the stop signal, ends the process if it is still running `ms` later (a source stuck
 * connecting or an encode must not hold a stop for seconds: issue 11, finding 12). It re-raises
 * the signal, whose default action is back (untilSignal listens once): process.exit() would first
 * wait for the libuv thread pool's job (a 64 MP sharp encode takes seconds). The timer is unref'd.
 */
export function exitAfterStopDeadline(output: Output, ms = STOP_DEADLINE_MS): void {
  untilSignal().then((signal) => {
    setTimeout(() => {
      output.warn(`still stopping ${ms} ms after ${signal}: exiting now`);
      process.kill(process.pid, signal);
    }, ms).unref();
  });
}
