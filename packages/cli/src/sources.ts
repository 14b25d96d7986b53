/** `--source SPEC` → a FrameSource. Only `test` for now; later issues add cameras, files and URLs. */
import { UdpcamError } from '@udpcam/protocol';
import { type FrameSource, TestPatternSource } from '@udpcam/sender';

/** Source specs `udpcam send --help` lists. */
export const SOURCE_HELP = 'test (a synthetic moving pattern with a frame counter and a clock)';

/** Builds the source a spec names; throws UDPCAM_ERR_SOURCE for one it does not know. */
export function openSource(spec: string, size: { width: number; height: number }): FrameSource {
  if (spec === 'test') return new TestPatternSource(size);
  throw new UdpcamError('UDPCAM_ERR_SOURCE', `unknown source '${spec}'; sources: ${SOURCE_HELP}`);
}
