/**
 * `--source SPEC` → a FrameSource; which sources exist, and how their spec reads. The flags that
 * pick a source (--source, --size, --auth, --camera_config) are shared by `send` and `area`.
 */
import { UdpcamError } from '@udpcam/protocol';
import {
  type CameraConfig,
  DirectorySource,
  FfmpegSource,
  FileSource,
  type FrameSource,
  HttpCameraSource,
  TestPatternSource,
  WebcamSource,
} from '@udpcam/sender';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from './config.js';
import { addSnakeOption } from './options.js';
import type { Output } from './output.js';

/** Source specs, for `udpcam send --help` and errors. */
export const SOURCE_HELP = [
  'test (a moving pattern with a frame counter and a clock)',
  'webcam[:DEVICE] (node-webcam: one fswebcam/imagesnap/CommandCam process per shot, a few fps)',
  'v4l2:/dev/videoN (one persistent ffmpeg; MJPEG passes through)',
  "ffmpeg:'ARGS' (ffmpeg input arguments, e.g. ffmpeg:'-f lavfi -i testsrc2=size=1280x720:rate=30')",
  'file:PATH (one JPEG, repeated)',
  'dir:PATH (every .jpg in name order, looped)',
  'http(s)://… (an IP camera: MJPEG stream or JPEG snapshot URL)',
].join(', ');

/**
 * The source the flags name, and the --camera_config it was opened with (whose size also sets the
 * test pattern's). Throws UDPCAM_ERR_CONFIG or UDPCAM_ERR_SOURCE_SPEC; the source is not started yet.
 */
export function openSourceFromFlags(
  flags: SourceFlags,
  output: Output,
): { source: FrameSource; camera: CameraConfig | undefined } {
  const camera =
    flags.camera_config === undefined
      ? undefined
      : loadConfig<CameraConfig>(flags.camera_config, 'camera_config');
  const spec = flags.source;
  // Reconnects, restarts and skipped files.
  const report = (message: string) => output.warn(`${spec}: ${message}`);
  const onState = (state: string, detail: string) => {
    if (state === 'retrying') report(detail);
  };
  const source = (): FrameSource => {
    if (spec === 'test') return new TestPatternSource(camera ?? flags.size);
    if (spec === 'webcam' || spec.startsWith('webcam:')) return new WebcamSource(spec, { config: camera });
    if (spec.startsWith('v4l2:') || spec.startsWith('ffmpeg:')) {
      return new FfmpegSource(spec, { config: camera, onState });
    }
    if (spec.startsWith('file:')) return new FileSource(spec.slice('file:'.length));
    if (spec.startsWith('dir:')) return new DirectorySource(spec.slice('dir:'.length), { onWarning: report });
    if (/^https?:\/\//i.test(spec)) {
      return new HttpCameraSource(spec, { auth: flags.auth, onState, onWarning: report });
    }
    throw new UdpcamError('UDPCAM_ERR_SOURCE_SPEC', `unknown source '${spec}'; sources: ${SOURCE_HELP}`);
  };
  return { source: source(), camera };
}

/** `WxH` in pixels, e.g. 640x360. */
export function frameSize(value: string): { width: number; height: number } {
  const match = /^(\d{2,5})x(\d{2,5})$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected WIDTHxHEIGHT, e.g. 640x360.');
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** The flags `addSourceOptions` adds. */
export interface SourceFlags {
  source: string;
  size: { width: number; height: number };
  auth?: string;
  camera_config?: string;
}

/** Adds --source, --size, --auth and --camera_config to a command. */
export function addSourceOptions(command: Command): Command {
  command
    .option('-s, --source <spec>', `what to capture: ${SOURCE_HELP}`, 'test')
    .addOption(
      new Option('--size <WxH>', 'frame size of the test source')
        .argParser(frameSize)
        .default({ width: 640, height: 360 }, '640x360'),
    )
    .option('--auth <user:password>', 'credentials of an http(s) camera (or put them in the URL)');
  return addSnakeOption(
    command,
    new Option(
      '--camera_config <file>',
      'camera resolution and rate, the original\'s {"width": 640, "height": 360, "fps": 60} (@udpcam/cli/schemas/camera_config.schema.json)',
    ),
  );
}
