/**
 * The `udpcam` command line. User errors print one line and exit non-zero; bugs print a stack.
 * Importing it runs nothing: bin/udpcam.js calls runAsProcess.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { areaCommand } from './commands/area.js';
import { demoCommand } from './commands/demo.js';
import { keygenCommand } from './commands/keygen.js';
import { receiveCommand } from './commands/receive.js';
import { sendCommand } from './commands/send.js';
import { EXIT_USAGE, printFailure, untilSignal } from './output.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Builds the program (exported for tests and for `--help` generation). */
export function buildProgram(): Command {
  const program = new Command('udpcam')
    .description(
      'Send webcam frames as JPEG over UDP, and receive them (wire-compatible with the Python UDP Webcam Server).',
    )
    .version(version)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (message, write) => write(`udpcam: ${message.replace(/^error: /, '')}`),
    });
  sendCommand(program);
  receiveCommand(program);
  areaCommand(program);
  demoCommand(program);
  keygenCommand(program);
  for (const command of program.commands) {
    command.exitOverride().configureOutput({
      outputError: (message, write) => write(`udpcam ${command.name()}: ${message.replace(/^error: /, '')}`),
    });
  }
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  untilSignal();
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its one-line message (or the help/version text).
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return printFailure(error);
  }
}

/** Runs the CLI as the `udpcam` process (bin/udpcam.js): process.argv in, process.exitCode out. */
export async function runAsProcess(): Promise<void> {
  // `udpcam ... | head` closes our stdout early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  process.exitCode = await main(process.argv);
}
