import { heatmapSpec } from '../../../src/charts/specs.js';
import { type AtlasResult, atlasTasks, DEFAULT_VARIANTS, OUTCOME_CLASSES, type OutcomeClass, summarizeAtlas, type Variant, type VariantResult } from '../../../src/lab/atlas.js';
import { LEARNED_ACCURACY } from '../../../src/lab/evaluate.js';
import { batchControls, type BatchJob } from '../batch-controls.js';
import { VegaChart } from '../chart.js';
import { el } from '../dom.js';
import { formatNumber } from '../heatmap.js';
import { parseIntegerList, type Settings } from '../settings.js';

const CLASS_TEXT: Record<OutcomeClass, string> = {
  learned: `held-out accuracy ≥ ${LEARNED_ACCURACY * 100} %`,
  constant: 'the output hardly depends on the input',
  swapped: 'random matrices score above constant ones: the classes are the wrong way round',
  level: 'the output follows the input’s level (its mean), not how unequal it is',
  weak: 'leans the right way, too little to pass',
  diverged: 'training hit a non-finite loss or weight',
};

/**
 * The seed atlas: over many seeds, how often the tutorial's procedure (and variants of it) learns, and how the
 * failures fail (the lab's atlas). Each seed is a button that loads it, with the variant's settings, into the
 * Run panel.
 */
export function atlasPanel(root: HTMLElement, load: (s: Partial<Settings>) => void) {
  const seedsInput = el('input', { id: 'atlas-seeds', type: 'text', value: '0..19', autocomplete: 'off', spellcheck: 'false' });
  const boxes = DEFAULT_VARIANTS.map((v, i) => {
    const box = el('input', { type: 'checkbox', id: `atlas-variant-${i}`, checked: i === 0 });
    return { v, box, row: el('span', { class: 'check', title: v.description }, box, el('label', { for: `atlas-variant-${i}` }, v.name)) };
  });
  const figure = el('div', { id: 'atlas-chart', class: 'chart' });
  const chart = new VegaChart(figure, 'Heatmap: held-out accuracy of each seed under each procedure', false);
  const summary = el('div', { id: 'atlas-summary' });
  const controls = batchControls(root, 'atlas', 'Run atlas', prepare, draw);
  root.append(
    el('div', { class: 'field' }, el('label', { for: 'atlas-seeds' }, 'Seeds'), seedsInput),
    el('fieldset', { class: 'inline' }, el('legend', {}, 'Procedures (the first is the tutorial’s)'), ...boxes.map((b) => b.row)),
    controls.buttons, controls.error, controls.progress,
    figure, summary);

  function draw(r: AtlasResult): void {
    void chart.show(heatmapSpec(r.variants.flatMap((v) => v.runs.map((x) => ({ row: v.variant.name, col: String(x.seed), value: x.accuracy }))), {
      rowTitle: 'procedure', colTitle: 'seed', valueTitle: 'held-out accuracy', domain: [0, 1],
      width: Math.min(900, Math.max(200, 34 * r.seeds.length)), height: Math.max(40, 30 * r.variants.length),
      title: `Held-out accuracy per seed (learned: ≥ ${r.threshold})`,
    }));
    summary.replaceChildren(...r.variants.map((v) => variantView(v, load)));
  }

  function prepare(): BatchJob<AtlasResult> {
    const variants: Variant[] = boxes.filter((b) => b.box.checked).map((b) => b.v);
    const seeds = parseIntegerList(seedsInput.value, 'seeds', 200);
    if (variants.length === 0) throw new RangeError('pick at least one procedure');
    return { tasks: atlasTasks(seeds, variants), summarize: (outcomes) => summarizeAtlas(seeds, variants, outcomes) };
  }
}

function variantView(v: VariantResult, load: (s: Partial<Settings>) => void): HTMLElement {
  const counts = OUTCOME_CLASSES.filter((c) => v.counts[c] > 0).map((c) => `${v.counts[c]} ${c}`).join(', ');
  const changes = v.gained.length || v.lost.length
    ? ` Compared with the tutorial's procedure: learns ${v.gained.length ? `seeds ${v.gained.join(', ')}` : 'no new seeds'}; ${v.lost.length ? `loses seeds ${v.lost.join(', ')}` : 'loses none'}.`
    : '';
  const seeds = el('ul', { class: 'seed-strip', 'aria-label': `Seeds under ${v.variant.name}` }, ...v.runs.map((x) => {
    const b = el('button', {
      type: 'button', class: `seed ${x.outcome}`,
      title: `seed ${x.seed}: ${x.outcome} (${CLASS_TEXT[x.outcome]}), accuracy ${formatNumber(x.accuracy, 3)}. Load it into the Run panel.`,
      'aria-label': `seed ${x.seed}: ${x.outcome}, accuracy ${(100 * x.accuracy).toFixed(1)} %. Load into the Run panel`,
    }, el('span', {}, String(x.seed)), el('small', {}, x.outcome));
    b.addEventListener('click', () => load({
      seed: x.seed, lr: v.variant.settings.lr, optimizer: v.variant.settings.optimizer, shuffle: v.variant.settings.shuffle,
      batchSize: v.variant.settings.batchSize, epochs: v.variant.epochs, zeroGrad: true,
    }));
    return el('li', {}, b);
  }));
  const profiles = el('table', { class: 'numbers', 'aria-label': `How the runs of ${v.variant.name} turned out` },
    el('thead', {}, el('tr', {}, ...['outcome', 'runs', 'median accuracy', 'AUC', 'output spread', ...['cnn(all 200)', 'cnn(all 11.11)']].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...v.profiles.map((p) => el('tr', {},
      el('th', { scope: 'row', title: CLASS_TEXT[p.outcome] }, p.outcome), el('td', {}, String(p.count)),
      el('td', {}, formatNumber(p.accuracy, 3)), el('td', {}, formatNumber(p.auc, 3)), el('td', {}, formatNumber(p.spread, 3)),
      el('td', {}, formatNumber(p.probes[0], 3)), el('td', {}, formatNumber(p.probes[1], 3))))));
  return el('section', { class: 'variant', 'aria-label': v.variant.name },
    el('h3', {}, `${v.variant.name}: ${v.learned} of ${v.total} seeds learn`),
    el('p', { class: 'hint' }, `${v.variant.description}. ${counts}.${changes}`),
    seeds,
    el('details', {}, el('summary', {}, 'How the runs turned out (medians per outcome)'), el('div', { class: 'side-by-side' }, profiles),
      el('ul', { class: 'reading' }, ...OUTCOME_CLASSES.filter((c) => v.counts[c] > 0).map((c) => el('li', {}, el('strong', {}, c), `: ${CLASS_TEXT[c]}`)))));
}
