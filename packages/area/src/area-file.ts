/** Writing capture_area.json: the original's format, atomically, so a sender never reads half a file. */
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '@udpcam/common';
import { UdpcamError } from '@udpcam/protocol';
import type { CaptureArea } from '@udpcam/sender';

/** The file's text: one line per rect, as people edit it by hand. */
export function formatCaptureArea(area: CaptureArea): string {
  const quad = (points: [number, number][]) => `[${points.map(([x, y]) => `[${x}, ${y}]`).join(', ')}]`;
  return `{\n  "selected_rect": ${quad(area.selected_rect)},\n  "visible_rect": ${quad(area.visible_rect)}\n}\n`;
}

/**
 * Throws UDPCAM_ERR_OUT_DIR unless `file` is absent or a regular file: the rename would replace
 * a symlink, a device node or a FIFO at that path with a new file (issue 11, finding 13).
 */
export function checkAreaTarget(file: string): void {
  let stat: import('node:fs').Stats;
  try {
    stat = lstatSync(file);
  } catch (cause) {
    const { code } = cause as NodeJS.ErrnoException;
    if (code === 'ENOENT') return;
    throw new UdpcamError('UDPCAM_ERR_OUT_DIR', `cannot use ${file} (${code})`, { cause });
  }
  if (!stat.isFile()) {
    throw new UdpcamError(
      'UDPCAM_ERR_OUT_DIR',
      `${file} is not a regular file (${stat.isSymbolicLink() ? 'a symlink' : stat.isDirectory() ? 'a folder' : 'a device, FIFO or socket'}); refusing to replace it`,
    );
  }
}

/**
 * Writes `area` to `file` through a temporary file in the same folder and a rename (atomic on
 * POSIX), and resolves to the absolute path written. Throws UDPCAM_ERR_OUT_DIR.
 */
export async function writeCaptureArea(file: string, area: CaptureArea): Promise<string> {
  const target = path.resolve(file);
  checkAreaTarget(target);
  try {
    await writeFileAtomic(target, formatCaptureArea(area));
  } catch (cause) {
    throw new UdpcamError(
      'UDPCAM_ERR_OUT_DIR',
      `cannot write ${target} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`,
      { cause },
    );
  }
  return target;
}
