// Headless rendering of the shared specs: SVG through vega, PNG through resvg, files written atomically.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { TopLevelSpec } from 'vega-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { compareCurvesSpec, heatmapSpec, LOSS_FALSE_COLOR, LOSS_TRUE_COLOR, lossCurveSpec, type LossPoint } from '../../src/charts/specs.js';
import { plotFormat, renderPng, renderSvg, writePlot } from '../../src/cli/render/plot-file.js';

const POINTS: LossPoint[] = Array.from({ length: 7 }, (_, i) => ({ epoch: 5 * i, lossTrue: 0.7 * 0.5 ** i, lossFalse: 0.7 * 0.7 ** i }));

/** The inside of each `<g class="CLASS…">` group (vega's mark groups hold only self-closed elements or text). */
function groups(svg: string, cls: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<g class="${cls}[^"]*"[^>]*>(.*?)</g>`, 'gs');
  for (const m of svg.matchAll(re)) out.push(m[1]);
  return out;
}
const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
/** The text of each <text> in the groups of class `cls`; lines of a multi-line text (tspans) joined by '\n'. */
const texts = (svg: string, cls: string) => groups(svg, cls).flatMap((g) => [...g.matchAll(/<text[^>]*>(.*?)<\/text>/g)]
  .map((m) => m[1].replace(/<\/tspan><tspan[^>]*>/g, '\n').replace(/<\/?tspan[^>]*>/g, '')));
const attr = (svg: string, name: string) => Number(new RegExp(`<svg[^>]* ${name}="([\\d.]+)"`).exec(svg)?.[1]);

interface Png { width: number; height: number; rgba: Uint8Array }

/** A minimal PNG reader (8-bit RGBA, non-interlaced, as resvg writes): checks the signature, undoes the filters. */
function readPng(bytes: Uint8Array): Png {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < bytes.length;) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      expect(at).toBe(8); // IHDR comes first
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      expect([data[8], data[9], data[12]]).toEqual([8, 6, 0]); // bit depth 8, RGBA, not interlaced
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? rgba[y * stride + x - 4] : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      rgba[y * stride + x] = (line[x] + pred) & 0xff;
    }
  }
  return { width, height, rgba };
}

function hex(color: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number];
}

/** Pixels within a small distance of `color`. */
function pixelsNear(png: Png, color: string): number {
  const [r, g, b] = hex(color);
  let n = 0;
  for (let i = 0; i < png.rgba.length; i += 4) {
    if (Math.abs(png.rgba[i] - r) + Math.abs(png.rgba[i + 1] - g) + Math.abs(png.rgba[i + 2] - b) < 30) n++;
  }
  return n;
}

describe('renderSvg', () => {
  it('draws one symbol per point, blue for loss_true and red for loss_false', async () => {
    const svg = await renderSvg(lossCurveSpec(POINTS));
    expect(svg.startsWith('<svg')).toBe(true);
    const marks = groups(svg, 'mark-symbol role-mark').join('');
    expect(count(marks, /<path /g)).toBe(2 * POINTS.length);
    expect(count(marks, new RegExp(`fill="${LOSS_TRUE_COLOR}"`, 'g'))).toBe(POINTS.length);
    expect(count(marks, new RegExp(`fill="${LOSS_FALSE_COLOR}"`, 'g'))).toBe(POINTS.length);
  });

  it('writes the axis titles, the legend labels and the title as text', async () => {
    const svg = await renderSvg(lossCurveSpec(POINTS, { title: 'seed 0' }));
    expect(texts(svg, 'mark-text role-axis-title')).toEqual(['epoch', 'BCE loss']);
    expect(texts(svg, 'mark-text role-legend-label')).toEqual(['loss_true', 'loss_false']);
    expect(texts(svg, 'mark-text role-title-text')).toEqual(['seed 0']);
    // The legend's swatches carry the same colours.
    const swatches = groups(svg, 'mark-symbol role-legend-symbol').join('');
    expect(count(swatches, new RegExp(`fill="${LOSS_TRUE_COLOR}"`, 'g'))).toBe(1);
    expect(count(swatches, new RegExp(`fill="${LOSS_FALSE_COLOR}"`, 'g'))).toBe(1);
  });

  it('draws a log axis with zero losses at the floor, and says so', async () => {
    const svg = await renderSvg(lossCurveSpec([...POINTS, { epoch: 35, lossTrue: 0, lossFalse: 1e-30 }], { logScale: true }));
    expect(count(groups(svg, 'mark-symbol role-mark').join(''), /<path /g)).toBe(2 * POINTS.length + 2);
    expect(texts(svg, 'mark-text role-axis-title')).toEqual(['epoch', 'BCE loss (log scale)\nvalues below 1e-12 drawn at 1e-12']);
    expect(svg).toContain("for a log scale");
  });

  it('renders the comparison and the heatmap (the values written in the cells)', async () => {
    const cmp = await renderSvg(compareCurvesSpec([{ label: 'with zero_grad', points: POINTS }, { label: 'without', points: POINTS.slice(0, 3) }]));
    expect(count(groups(cmp, 'mark-symbol role-mark').join(''), /<path /g)).toBe(2 * (POINTS.length + 3));
    expect(texts(cmp, 'mark-text role-legend-label')).toEqual(['loss_true', 'loss_false', 'with zero_grad', 'without']);
    const heat = await renderSvg(heatmapSpec(
      [{ row: '0.5', col: '100', value: 0.25 }, { row: '0.5', col: '200', value: 1 }],
      { rowTitle: 'lr', colTitle: 'epochs', valueTitle: 'fraction learned', domain: [0, 1] },
    ));
    expect(count(groups(heat, 'mark-rect role-mark').join(''), /<path /g)).toBe(2);
    expect(texts(heat, 'mark-text role-mark')).toEqual(['0.25', '1.00']);
    expect(texts(heat, 'mark-text role-axis-title')).toEqual(['epochs', 'lr']);
  });
});

describe('renderPng', () => {
  it('is a PNG the size of the SVG times the scale, white with blue and red points', async () => {
    const spec = lossCurveSpec(POINTS, { width: 300, height: 200 });
    const svg = await renderSvg(spec);
    const [w, h] = [attr(svg, 'width'), attr(svg, 'height')];
    expect(w).toBeGreaterThan(300); // the plotting area plus axes and legend
    expect(h).toBeGreaterThan(200);
    for (const scale of [1, 2]) {
      const png = readPng(await renderPng(spec, scale));
      expect([png.width, png.height]).toEqual([Math.round(w * scale), Math.round(h * scale)]);
      expect([...png.rgba.subarray(0, 4)]).toEqual([255, 255, 255, 255]); // white background, opaque
      expect(pixelsNear(png, LOSS_TRUE_COLOR)).toBeGreaterThan(POINTS.length * 10 * scale * scale);
      expect(pixelsNear(png, LOSS_FALSE_COLOR)).toBeGreaterThan(POINTS.length * 10 * scale * scale);
    }
  });

  it('has exactly the spec\'s size times the scale when the spec fixes its outer size', async () => {
    const spec: TopLevelSpec = { ...lossCurveSpec(POINTS, { width: 400, height: 300 }), autosize: { type: 'fit', contains: 'padding' } };
    const png = readPng(await renderPng(spec, 1.5));
    expect([png.width, png.height]).toEqual([600, 450]);
  });

  it('paints a white background even when the spec asks for a transparent one', async () => {
    const bare: TopLevelSpec = { ...lossCurveSpec(POINTS, { width: 100, height: 80 }), background: 'transparent' };
    expect(await renderSvg(bare)).not.toMatch(/<svg[^>]*><rect[^>]*fill="white"/);
    const png = readPng(await renderPng(bare, 1));
    expect([...png.rgba.subarray(0, 4)]).toEqual([255, 255, 255, 255]);
  });

  it('refuses a scale that is not positive', async () => {
    await expect(renderPng(lossCurveSpec(POINTS), 0)).rejects.toThrow(/scale/);
  });
});

describe('writePlot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-plot-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const spec = lossCurveSpec(POINTS);

  it('writes .svg and .png by the extension, leaving no temporary files', async () => {
    const d = mkdtempSync(join(dir, 'ok-'));
    await writePlot(spec, join(d, 'loss.svg'));
    await writePlot(spec, join(d, 'loss.PNG'));
    expect(readdirSync(d).sort()).toEqual(['loss.PNG', 'loss.svg']);
    expect(readFileSync(join(d, 'loss.svg'), 'utf8')).toBe(await renderSvg(spec));
    expect(readPng(new Uint8Array(readFileSync(join(d, 'loss.PNG')))).width).toBeGreaterThan(0);
  });

  it('replaces an existing file', async () => {
    const d = mkdtempSync(join(dir, 'over-'));
    writeFileSync(join(d, 'loss.svg'), 'old');
    await writePlot(spec, join(d, 'loss.svg'));
    expect(readFileSync(join(d, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readdirSync(d)).toEqual(['loss.svg']);
  });

  it('refuses other extensions, naming the extension and the allowed ones, and writes nothing', async () => {
    const d = mkdtempSync(join(dir, 'bad-'));
    await expect(writePlot(spec, join(d, 'loss.jpg'))).rejects.toThrow(/'\.jpg'.*\.svg or \.png/);
    await expect(writePlot(spec, join(d, 'loss'))).rejects.toThrow(/no extension.*\.svg or \.png/);
    expect(readdirSync(d)).toEqual([]);
    expect(() => plotFormat('a.jpeg')).toThrow(RangeError);
    expect(plotFormat('a.b.Svg')).toBe('.svg');
  });

  it('cleans up its temporary file when the final rename fails', async () => {
    const d = mkdtempSync(join(dir, 'fail-'));
    mkdirSync(join(d, 'loss.svg')); // a directory where the file should go
    await expect(writePlot(spec, join(d, 'loss.svg'))).rejects.toThrow();
    expect(readdirSync(d)).toEqual(['loss.svg']);
  });

  it('fails cleanly in a directory that does not exist', async () => {
    await expect(writePlot(spec, join(dir, 'missing', 'loss.svg'))).rejects.toThrow(/ENOENT/);
  });
});
