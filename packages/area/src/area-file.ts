/** Writing capture_area.json: the original's format, atomically, so a sender never reads half a file. */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UdpcamError } from '@udpcam/protocol';
import type { CaptureArea } from '@udpcam/sender';

/** The file's text: one line per rect, as people edit it by hand. */
export function formatCaptureArea(area: CaptureArea): string {
  const quad = (points: [number, number][]) => `[${points.map(([x, y]) => `[${x}, ${y}]`).join(', ')}]`;
  return `{\n  "selected_rect": ${quad(area.selected_rect)},\n  "visible_rect": ${quad(area.visible_rect)}\n}\n`;
}

/**
 * Writes `area` to `file` through a temporary file in the same folder and a rename (atomic on
 * POSIX), and resolves to the absolute path written. Throws UDPCAM_ERR_OUT_DIR.
 */
export async function writeCaptureArea(file: string, area: CaptureArea): Promise<string> {
  const target = path.resolve(file);
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, formatCaptureArea(area), { flag: 'wx' });
    await rename(temporary, target);
  } catch (cause) {
    await unlink(temporary).catch(() => {});
    throw new UdpcamError(
      'UDPCAM_ERR_OUT_DIR',
      `cannot write ${target} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`,
      { cause },
    );
  }
  return target;
}
