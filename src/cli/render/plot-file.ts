import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSans-BoldOblique.ttf']
  .map((f) => join(FONT_DIR, f));

/** The file extensions writePlot knows. */
export const PLOT_EXTENSIONS = ['.svg', '.png'] as const;
export type PlotExtension = (typeof PLOT_EXTENSIONS)[number];

/**
 * vega, vega-lite and resvg, loaded on first use: loading them takes about a quarter of a second, which every
 * command would otherwise pay at start-up, plot or not (and a sweep's start-up is time its workers cannot share).
 */
let renderers: Promise<{
  vega: typeof import('vega');
  compile: typeof import('vega-lite').compile;
  Resvg: typeof import('@resvg/resvg-js').Resvg;
}> | null = null;

function loadRenderers() {
  renderers ??= Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')])
    .then(([vega, vegaLite, resvg]) => ({ vega, compile: vegaLite.compile, Resvg: resvg.Resvg }));
  return renderers;
}

/** Renders a Vega-Lite spec to SVG text headless (vega's View with no renderer: no canvas or browser needed). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, compile } = await loadRenderers();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders to PNG through resvg on a white background, `scale` pixels per SVG pixel. Text is set in DejaVu Sans
 * (loaded from /usr/share/fonts/truetype/dejavu); on a machine without it, in whatever sans-serif it has.
 */
export async function renderPng(spec: TopLevelSpec, scale = 2): Promise<Uint8Array> {
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`scale must be a positive number, got ${scale}`);
  const svg = await renderSvg(spec);
  const { Resvg } = await loadRenderers();
  const fontFiles = FONT_FILES.filter((f) => existsSync(f));
  const family = fontFiles.length > 0 ? 'DejaVu Sans' : undefined;
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: {
      fontFiles,
      loadSystemFonts: fontFiles.length === 0,
      ...(family ? { defaultFontFamily: family, sansSerifFamily: family } : {}),
    },
  });
  return new Uint8Array(resvg.render().asPng());
}

/**
 * Which format a file name asks for. Anything else throws a RangeError naming the extension and the allowed
 * ones (a RangeError, which the CLI reports as one line, exit code 2). Cheap: call it before a long run.
 */
export function plotFormat(file: string): PlotExtension {
  const ext = extname(file).toLowerCase();
  const known = PLOT_EXTENSIONS.find((e) => e === ext);
  if (known) return known;
  const allowed = PLOT_EXTENSIONS.join(' or ');
  throw new RangeError(ext === ''
    ? `cannot write a plot to '${file}': the name has no extension; use ${allowed}`
    : `cannot write a plot as '${ext}' (${file}): use ${allowed}`);
}

/**
 * Writes `contents` to `file` atomically: into a temporary file in the same directory, then renamed over
 * `file`, so a reader never sees half a figure; the temporary file is removed if anything fails.
 */
async function writeAtomic(file: string, contents: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file).slice(0, 100)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let done = false;
  try {
    const handle = await open(tmp, 'wx', 0o666);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    done = true;
  } finally {
    if (!done) await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** Writes the figure as .svg or .png (by the file's extension, case-insensitive), atomically. */
export async function writePlot(spec: TopLevelSpec, file: string): Promise<void> {
  const format = plotFormat(file);
  const contents = format === '.svg' ? await renderSvg(spec) : await renderPng(spec);
  await writeAtomic(file, contents);
}
