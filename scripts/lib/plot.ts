/**
 * SVG plots for the README, drawn by vega-lite → vega in Node (no browser, no canvas: vega's SVG
 * renderer estimates text widths, which is fine for axis labels). Bench.plot (lib/harness.ts)
 * picks the folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Look shared by every plot: a white background and readable sizes on GitHub. */
const CONFIG = {
  background: 'white',
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.5 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const },
};

/** Renders a vega-lite spec (inline data) to `dir`/<name>.svg; returns the path. */
export async function savePlot(name: string, spec: TopLevelSpec, dir: string): Promise<string> {
  const withConfig = { ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(withConfig).spec), { renderer: 'none' });
  try {
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${name}.svg`);
    await writeFile(file, await view.toSVG());
    return file;
  } finally {
    view.finalize();
  }
}

/** One y axis of twoLines: a field of the rows, its title and optional vega-lite scale/axis. */
interface LineAxis {
  field: string;
  title: string;
  scale?: Record<string, unknown>;
  axis?: Record<string, unknown>;
}

/** Two line plots side by side over the same x (e.g. CPU and fps against the number of clients). */
export function twoLines(
  title: string,
  rows: object[],
  x: LineAxis,
  left: LineAxis,
  right: LineAxis,
): TopLevelSpec {
  const panel = (y: LineAxis, color: string) => ({
    width: 300,
    height: 220,
    mark: { type: 'line' as const, point: true, color },
    encoding: {
      x: { ...x, type: 'quantitative' as const },
      y: { ...y, type: 'quantitative' as const },
    },
  });
  return { title, data: { values: rows }, hconcat: [panel(left, '#4c78a8'), panel(right, '#e45756')] };
}
