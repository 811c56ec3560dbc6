import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { extname } from 'node:path';
import { writeFileAtomic as writeTextAtomic } from '../../io/files.js';

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';

/** Renders a Vega-Lite spec to SVG headless (no canvas needed). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders to PNG through resvg, with DejaVu fonts when the machine has them. */
export async function renderPng(spec: TopLevelSpec, scale = 2): Promise<Uint8Array> {
  const svg = await renderSvg(spec);
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, fontDirs: [FONT_DIR], defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

export const PLOT_EXTENSIONS = ['.svg', '.png'] as const;

/** Writes the figure as .svg or .png (by the file's extension), atomically. */
export async function writePlot(spec: TopLevelSpec, file: string): Promise<void> {
  const ext = extname(file).toLowerCase();
  if (ext === '.svg') return writeTextAtomic(file, await renderSvg(spec));
  if (ext === '.png') return writeTextAtomic(file, await renderPng(spec));
  throw new RangeError(`cannot draw a plot as '${ext || file}': use a file ending in ${PLOT_EXTENSIONS.join(' or ')}`);
}
