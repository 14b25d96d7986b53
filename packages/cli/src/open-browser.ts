/** `--open`: shows a URL in the desktop's browser. Failing to is worth a warning, never an exit. */
import { spawn } from 'node:child_process';

/**
 * Opens `url` with $BROWSER when set, else the platform's opener (xdg-open, open, start), and
 * reports through `onFailure` when that cannot run or exits non-zero. Does not wait for it.
 */
export function openBrowser(url: string, onFailure: (message: string) => void): void {
  const [command, args] =
    process.env.BROWSER !== undefined && process.env.BROWSER !== ''
      ? [process.env.BROWSER, [url]]
      : process.platform === 'darwin'
        ? ['open', [url]]
        : process.platform === 'win32'
          ? ['cmd', ['/c', 'start', '""', url]]
          : ['xdg-open', [url]];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', (error: NodeJS.ErrnoException) =>
    onFailure(`cannot open a browser with ${command} (${error.code ?? error.message}); open ${url} yourself`),
  );
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) {
      onFailure(`${command} exited with status ${code}; open ${url} yourself`);
    }
  });
  child.unref();
}
