// Tiny DOM helpers: no framework, just typed element creation.

type Attrs = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) e.append(c);
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

/** Calls `render` at most once per animation frame, however often `request` is called. */
export class FrameScheduler {
  private pending = false;
  constructor(private readonly render: () => void) {}
  /** Makes sure a render happens within `ms` even if nothing else asks for one. */
  requestLater(ms: number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => { this.timer = null; this.request(); }, ms);
  }

  private timer: ReturnType<typeof setTimeout> | null = null;

  request(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }
}
