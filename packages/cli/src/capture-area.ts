/**
 * capture_area.json checks shared by `udpcam send --area` and `udpcam area`: the JSON Schema
 * (@udpcam/cli/schemas/capture_area.schema.json: the shape and limits, checked only there), then
 * the warp's geometry, so a file the area tool writes is exactly a file the sender accepts.
 */
import { UdpcamError } from '@udpcam/protocol';
import { AreaWarp, type CaptureArea } from '@udpcam/sender';
import { loadConfig, validateConfig } from './config.js';

/**
 * Checks a parsed capture area: schema, shape, a convex quad and — when `source` (pixels) is
 * given — corners inside the source frame. Returns it with the warp built from it; throws
 * UDPCAM_ERR_CONFIG naming `label`.
 */
export function checkCaptureArea(
  value: unknown,
  label: string,
  source?: { width: number; height: number },
): { area: CaptureArea; warp: AreaWarp } {
  const area = validateConfig<CaptureArea>(value, 'capture_area', label);
  try {
    return { area, warp: new AreaWarp(area, source?.width, source?.height) };
  } catch (error) {
    // A quad that parses but cannot be warped (three corners in a line, crossed edges) is still the file's fault.
    const reason = (error as Error).message.replace(/^capture area: /, '');
    throw new UdpcamError('UDPCAM_ERR_CONFIG', `${label}: ${reason}`, { cause: error });
  }
}

/** Reads and checks a capture_area.json file; throws UDPCAM_ERR_CONFIG naming the file and field. */
export function loadCaptureArea(file: string): CaptureArea {
  return checkCaptureArea(loadConfig<CaptureArea>(file, 'capture_area'), file).area;
}
