/**
 * `udpcam area`: pick the capture area (the original's capture_area.json) on a live source, in a
 * local web page — or, with --points, write it straight from the command line. See docs/area.md.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  AreaServer,
  type Corner,
  captureArea,
  checkAreaTarget,
  LiveFrames,
  PreviewRenderer,
  parsePoints,
  type Size,
  writeCaptureArea,
} from '@udpcam/area';
import { type CaptureArea, loadCodec } from '@udpcam/sender';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkCaptureArea, loadCaptureArea } from '../capture-area.js';
import { openBrowser } from '../open-browser.js';
import { host, hostList, isLoopback, listenPort, positive } from '../options.js';
import { consoleOutput, exitAfterStopDeadline, type Output, untilSignal } from '../output.js';
import { addSourceOptions, frameSize, openSourceFromFlags, type SourceFlags } from '../sources.js';
import { loadTlsFiles } from '../tls-files.js';

/** Where the page is served unless --http says otherwise (the receiver's page defaults to 8080). */
export const DEFAULT_AREA_PORT = 8090;

export interface AreaFlags extends SourceFlags {
  out: string;
  outputSize?: Size;
  points?: Corner[];
  http: number;
  bind: string;
  open?: boolean;
  fps: number;
  tlsCert?: string;
  tlsKey?: string;
  allowHost?: string[];
}

/** --points: the format only; geometry is checked once the source's frame size is known. */
function points(value: string): Corner[] {
  try {
    return parsePoints(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

/**
 * Runs the page until SIGINT/SIGTERM or the page's quit, or with --points writes the file and
 * returns. `usage` reports a bad --points the way Commander reports a bad flag (exit 2).
 */
export async function area(
  flags: AreaFlags,
  usage: (message: string) => never,
  output: Output = consoleOutput(false),
): Promise<void> {
  checkAreaTarget(flags.out);
  if (flags.points === undefined) exitAfterStopDeadline(output);
  // An existing file is opened for editing, and must be as valid as `udpcam send --area` needs it.
  const existing =
    flags.points === undefined && existsSync(flags.out) ? loadCaptureArea(flags.out) : undefined;
  const tls = loadTlsFiles(flags, (message) => output.warn(message));
  const { source } = openSourceFromFlags(flags, output);
  const codec = await loadCodec('auto');
  const live = new LiveFrames(source, codec, {
    fps: flags.fps,
    onWarning: (message) => output.warn(`${flags.source}: ${message}`),
  });
  try {
    const first = await live.start();
    const frameSize = { width: first.width, height: first.height };
    const outputSize = flags.outputSize ?? visibleSize(existing) ?? frameSize;
    // The same checks `udpcam send --area` makes, plus corners inside this source's frame.
    const check = (value: unknown) => checkCaptureArea(value, flags.out, frameSize);

    if (flags.points !== undefined) {
      let checked: CaptureArea;
      try {
        checked = checkCaptureArea(captureArea(flags.points, outputSize), '--points', frameSize).area;
      } catch (error) {
        const reason = (error as Error).message.replace(/^--points: /, '');
        return usage(`error: option '--points <corners>' is invalid: ${reason}`);
      }
      const file = await writeCaptureArea(flags.out, checked);
      output.info(`udpcam: wrote ${file} (${describe(checked)})`);
      return;
    }

    const preview = new PreviewRenderer(live, codec, check);
    let quit: () => void = () => {};
    const quitRequested = new Promise<string>((resolve) => {
      quit = () => resolve('the page');
    });
    const server = await AreaServer.listen({
      host: flags.bind,
      port: flags.http,
      live,
      preview,
      check,
      out: flags.out,
      area: existing,
      outputSize,
      onSave: (file, saved) => output.info(`udpcam: saved ${file} (${describe(saved)})`),
      onQuit: () => quit(),
      tls,
      allowedHosts: flags.allowHost,
    });
    output.info(
      `udpcam: area page ${server.url}  (source ${live.name} ${frameSize.width}x${frameSize.height}, s saves ${path.resolve(flags.out)}${existing ? ', opened for editing' : ''}; Ctrl-C to stop)`,
    );
    if (!isLoopback(flags.bind)) {
      output.warn(
        `the area page is open on ${flags.bind} with no authentication: anyone who can reach it sees the camera and can overwrite ${flags.out}`,
      );
    }
    if (flags.open) openBrowser(server.url, (message) => output.warn(message));
    const why = await Promise.race([untilSignal(), quitRequested]);
    output.info(`udpcam: area tool stopped (${why})`);
    await server.close();
    await preview.close();
  } finally {
    await live.stop();
    await codec.close?.();
  }
}

/** The output size a capture area sets, if there is one. */
function visibleSize(area: CaptureArea | undefined): Size | undefined {
  const corner = area?.visible_rect[2];
  return corner === undefined ? undefined : { width: corner[0], height: corner[1] };
}

/** "[[x,y],…] → WxH", for the terminal. */
function describe(saved: CaptureArea): string {
  const size = visibleSize(saved)!;
  return `selected_rect ${JSON.stringify(saved.selected_rect)} → ${size.width}x${size.height}`;
}

/** Registers `area` on the program. */
export function areaCommand(program: Command): Command {
  const command = program
    .command('area')
    .description(
      'Pick the capture area (capture_area.json) on a live source in a local web page: click the 4 corners, s saves, Esc quits.',
    );
  addSourceOptions(command);
  command
    .option(
      '-o, --out <file>',
      'the capture_area.json to write (opened for editing when it exists)',
      'capture_area.json',
    )
    .addOption(
      new Option(
        '--output-size <WxH>',
        "size of the warped output, visible_rect (default: the --out file's, else the source frame size)",
      ).argParser(frameSize),
    )
    .option(
      '--points <corners>',
      'write --out from these corners and exit, no page: "x,y x,y x,y x,y" in source pixels, top-left first, clockwise',
      points,
    )
    .option('--http <port>', `TCP port of the page (0: any free port)`, listenPort, DEFAULT_AREA_PORT)
    .option(
      '--bind <address>',
      'address of the page (a non-loopback one prints a warning)',
      host,
      '127.0.0.1',
    )
    .option('--tls-cert <file>', 'serve the page over HTTPS with this PEM certificate (chain)')
    .option('--tls-key <file>', "the certificate's PEM private key")
    .option('--allow-host <name>', 'accept this host name in HTTP Host headers (repeatable)', hostList)
    .option('--open', 'open the page in the desktop browser', false)
    .option('--fps <n>', 'most frames per second the page shows', positive('fps', 60), 15)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  udpcam area --source v4l2:/dev/video0 --open',
        '  udpcam area --source test --size 640x360 --http 0 --out capture_area.json',
        '  udpcam area --source test --points "40,30 600,20 620,340 20,330" --out capture_area.json',
        '  udpcam send --ip 192.168.1.20 --source v4l2:/dev/video0 --area capture_area.json',
      ].join('\n'),
    );
  return command.action((flags: AreaFlags, self: Command) => area(flags, (message) => self.error(message)));
}
