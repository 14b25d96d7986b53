/** `udpcam keygen`: a fresh random stream key, as a key file on stdout (or --out FILE, mode 600). */
import { writeFileSync } from 'node:fs';
import { formatKeyFile, generateKey, UdpcamError } from '@udpcam/protocol';
import type { Command } from 'commander';

/** Writes a new key file to `flags.out` (never overwriting one) or to stdout. */
export function keygen(flags: { out?: string }): void {
  const text = formatKeyFile(generateKey());
  if (flags.out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(flags.out, text, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new UdpcamError(
      'UDPCAM_ERR_KEY',
      code === 'EEXIST'
        ? `${flags.out} exists: a key file is never overwritten (remove it first, or pick another name)`
        : `cannot write ${flags.out} (${code})`,
      { cause },
    );
  }
}

/** Registers `keygen` on the program. */
export function keygenCommand(program: Command): Command {
  return program
    .command('keygen')
    .description(
      'Make a random stream key for --key (ChaCha20-Poly1305): the same file goes to sender and receiver.',
    )
    .option('-o, --out <file>', 'write the key to FILE, readable only by you (never overwrites)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  udpcam keygen > cam.key && chmod 600 cam.key',
        '  udpcam keygen --out cam.key',
        '  scp cam.key receiver-host:   # then: udpcam receive --key cam.key',
        '',
        'Rotation: the receiver takes two keys (--key old.key --key new.key, or one file with two key',
        'lines); switch the senders to new.key one by one, then drop old.key from the receiver.',
      ].join('\n'),
    )
    .action((flags: { out?: string }) => keygen(flags));
}
