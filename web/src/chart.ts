import { parse, View, type Spec } from 'vega';
import { compile, type Config, type TopLevelSpec } from 'vega-lite';

// Renders the shared Vega-Lite specs (src/charts/specs.ts, the same the CLI renders to files) with vega's
// View. A live chart is compiled once; when a later spec differs only in its inline data, the data is swapped
// into the running view instead of building a new one. Colours follow the page (light or dark).

const darkQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

function themeConfig(): Config {
  const css = getComputedStyle(document.documentElement);
  const fg = css.getPropertyValue('--fg').trim() || '#222';
  const muted = css.getPropertyValue('--muted').trim() || '#666';
  const grid = css.getPropertyValue('--grid').trim() || '#ddd';
  return {
    axis: { labelColor: fg, titleColor: fg, domainColor: muted, tickColor: muted, gridColor: grid },
    legend: { labelColor: fg, titleColor: fg },
    title: { color: fg, subtitleColor: muted },
    view: { stroke: grid },
    text: { color: fg },
  };
}

interface Inline { name: string; values: unknown }

function splitData(spec: Spec): { key: string; inline: Inline[] } {
  const inline: Inline[] = [];
  const data = (spec.data ?? []).map((d) => {
    if ('values' in d && d.values !== undefined) {
      inline.push({ name: d.name, values: d.values });
      return { ...d, values: [] };
    }
    return d;
  });
  return { key: JSON.stringify({ ...spec, data }), inline };
}

export class VegaChart {
  private view: View | null = null;
  private key = '';
  private busy = false;
  private next: { spec: TopLevelSpec; tag: string } | null = null;
  private last: TopLevelSpec | null = null;
  private lastTag = '';
  private vlKey = '';
  private inlineName: string | null = null;

  /**
   * `label` is the accessible name of the figure. A `fit` chart takes its container's width (up to the spec's
   * own width), so it stays readable on a narrow screen.
   */
  constructor(private readonly container: HTMLElement, label: string, private readonly fit = true) {
    container.setAttribute('role', 'img');
    container.setAttribute('aria-label', label);
    darkQuery?.addEventListener('change', () => {
      if (this.last) {
        this.key = '';
        this.vlKey = '';
        void this.show(this.last, this.lastTag);
      }
    });
  }

  /**
   * Shows `spec`; while a render is in flight only the newest spec is kept. Once it is on screen the container's
   * data-shown attribute is set to `tag`, so a reader (the end-to-end tests) can tell which data the chart
   * shows: the number of marks alone cannot tell two runs of the same length apart.
   */
  show(spec: TopLevelSpec, tag = ''): Promise<void> {
    this.last = spec;
    this.lastTag = tag;
    this.next = { spec, tag };
    if (this.busy) return Promise.resolve();
    return this.drain();
  }

  /**
   * Renders the newest spec, then waits before the next one so that charts take at most about a fifth of the
   * main thread however fast data arrives (a live chart of thousands of points costs tens of ms a render).
   */
  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.next) {
        const { spec, tag } = this.next;
        this.next = null;
        const start = performance.now();
        await this.render(spec);
        this.container.dataset.shown = tag;
        const cost = performance.now() - start;
        if (this.next && cost > 4) await new Promise((r) => setTimeout(r, Math.min(1000, 4 * cost)));
      }
    } finally {
      this.busy = false;
    }
  }

  private async render(spec: TopLevelSpec): Promise<void> {
    const themed = { ...spec, background: 'transparent' } as TopLevelSpec & { width?: unknown; data?: { values?: unknown } };
    if (this.fit) {
      const max = typeof themed.width === 'number' ? themed.width : 560;
      this.container.style.maxWidth = `${max + 160}px`;
      themed.width = 'container';
    }
    // Only the inline data changed: swap it into the running view without compiling again.
    const values = themed.data?.values;
    const vlKey = Array.isArray(values) ? JSON.stringify({ ...themed, data: { values: [] }, dark: darkQuery?.matches }) : '';
    if (this.view && vlKey !== '' && vlKey === this.vlKey && this.inlineName) {
      this.view.data(this.inlineName, values as object[]);
      await this.view.runAsync();
      return;
    }
    const vg = compile(themed, { config: themeConfig() }).spec;
    const { key, inline } = splitData(vg);
    this.vlKey = vlKey;
    this.inlineName = inline.length === 1 ? inline[0].name : null;
    if (this.view && key === this.key) {
      for (const d of inline) this.view.data(d.name, d.values as object[]);
      await this.view.runAsync();
      return;
    }
    this.view?.finalize();
    this.container.replaceChildren();
    this.key = key;
    this.view = new View(parse(vg), { renderer: 'svg', container: this.container, hover: true });
    await this.view.runAsync();
  }
}
