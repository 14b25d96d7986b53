/** `--source SPEC` → a FrameSource; which sources exist, and how their spec reads. */
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

/** What a source may need besides its spec. */
export interface SourceOptions {
  /** Frame size of the test pattern. */
  size: { width: number; height: number };
  /** Resolution and rate for cameras (--camera_config). */
  camera?: CameraConfig;
  /** user:password for an IP camera (else from the URL). */
  auth?: string;
  /** Told about reconnects, restarts and skipped files. */
  report: (message: string) => void;
}

/** Builds the source a spec names; throws UDPCAM_ERR_SOURCE for one it does not know. */
export function openSource(spec: string, options: SourceOptions): FrameSource {
  const onState = (state: string, detail: string) => {
    if (state === 'retrying') options.report(detail);
  };
  if (spec === 'test') return new TestPatternSource(options.size);
  if (spec === 'webcam' || spec.startsWith('webcam:'))
    return new WebcamSource(spec, { config: options.camera });
  if (spec.startsWith('v4l2:') || spec.startsWith('ffmpeg:')) {
    return new FfmpegSource(spec, { config: options.camera, onState });
  }
  if (spec.startsWith('file:')) return new FileSource(spec.slice('file:'.length));
  if (spec.startsWith('dir:'))
    return new DirectorySource(spec.slice('dir:'.length), { onWarning: options.report });
  if (/^https?:\/\//i.test(spec)) {
    return new HttpCameraSource(spec, { auth: options.auth, onState, onWarning: options.report });
  }
  throw new UdpcamError('UDPCAM_ERR_SOURCE', `unknown source '${spec}'; sources: ${SOURCE_HELP}`);
}
