import { type AtlasResult, type ClassProfile, pytorchAgreement, type VariantResult } from '../../lab/atlas.js';
import { matrixText, num, pct, plural, seedList } from './lab-format.js';
import { formatTable } from './table.js';

// The text of `torchlet atlas`: every sentence is built from the measured profiles of the runs at hand.

/** What one class of outcomes looks like, from the medians over its runs. */
export function describeProfile(p: ClassProfile, probes: AtlasResult['probes']): string {
  const big = `${matrixText(probes[0]).slice(0, 15)}…] → ${num(p.probes[0], 3)}`;
  switch (p.outcome) {
    case 'learned':
      return `held-out accuracy ${pct(p.accuracy)} (constants ${pct(p.accuracyConstant)}, random ${pct(p.accuracyRandom)}); ` +
        `the output follows how unequal the elements are (correlation with their deviation ${num(p.deviationCorrelation, 2)}), not their level (${num(p.levelCorrelation, 2)}).`;
    case 'constant':
      return `the output is about ${num(p.median, 3)} whatever the input (5th–95th percentile spread ${num(p.spread, 2)}), ` +
        `so every held-out matrix gets the same verdict (accuracy ${pct(p.accuracy)}); only far outside the training range does it move (all 200: ${num(p.probes[0], 3)}, all -200: ${num(p.probes[4], 3)}).`;
    case 'swapped':
      return `the classes are the wrong way round: random matrices get higher outputs than constant ones (means ${num(p.meanRandom, 2)} vs ${num(p.meanConstant, 2)}, ` +
        `AUC ${num(p.auc, 2)}, correlation with the deviation +${num(Math.abs(p.deviationCorrelation), 2)}); constant matrices are called random (accuracy on them ${pct(p.accuracyConstant)}), most plainly large ones ` +
        `(${pct(p.largeAccuracyConstant)} right at 4× the training range; ${big}).`;
    case 'level': {
      const falling = p.count - p.risingWithLevel;
      const how = p.risingWithLevel === p.count ? 'rising with it: large positive matrices are called constant, equal or not'
        : falling === p.count ? 'falling as it rises: large positive matrices are called random, equal or not'
          : `rising with it in ${p.risingWithLevel}, falling in ${falling}`;
      return `the output follows the level of the input (size of its correlation with the mean ${num(p.levelCorrelationSize, 2)}) more than how unequal ` +
        `the elements are (${num(p.deviationCorrelationSize, 2)}), ${how}; AUC ${num(p.auc, 2)}, accuracy ${pct(p.accuracy)}.`;
    }
    case 'weak':
      return `the output leans the right way (AUC ${num(p.auc, 2)}, correlation with the deviation ${num(p.deviationCorrelation, 2)}) but not enough: ` +
        `accuracy ${pct(p.accuracy)} (constants ${pct(p.accuracyConstant)}, random ${pct(p.accuracyRandom)})` +
        (p.levelCorrelationSize > 0.3 ? `; it also follows the level (${num(p.levelCorrelationSize, 2)}), so large matrices land on the wrong side (all 200 → ${num(p.probes[0], 3)}, all -200 → ${num(p.probes[4], 3)}).` : '.');
    case 'diverged':
      return 'training produced a non-finite loss or weight.';
  }
}

/** "+3: 2, 18, 19" (the seeds only while the list is short). */
function change(sign: string, seeds: readonly number[]): string {
  if (seeds.length === 0) return '0';
  return seeds.length <= 6 ? `${sign}${seeds.length}: ${seedList(seeds)}` : `${sign}${seeds.length}`;
}

function variantRow(v: VariantResult): string[] {
  const base = v.variant.id === 'tutorial';
  return [
    v.variant.name, `${v.learned}/${v.total}`, pct(v.fraction, 0),
    String(v.counts.constant), String(v.counts.swapped), String(v.counts.level), String(v.counts.weak), String(v.counts.diverged),
    base ? '' : change('+', v.gained), base ? '' : change('-', v.lost),
  ];
}

export function atlasText(a: AtlasResult): string[] {
  const out: string[] = [];
  const base = a.variants.find((v) => v.variant.id === 'tutorial') ?? a.variants[0];
  const failures = base.total - base.learned;
  out.push(`${base.variant.description}:`);
  out.push(`  ${base.learned} of ${base.total} seeds learn (${pct(base.fraction, 0)}): ${seedList(base.runs.filter((r) => r.outcome === 'learned').map((r) => r.seed))}`);
  const agreement = pytorchAgreement(a);
  if (agreement && base.variant.id === 'tutorial') {
    out.push(agreement.disagree.length === 0
      ? `  PyTorch 1.13 gives the same verdict on all ${plural(agreement.seeds.length, 'seed', 'seeds')} it was run on (${seedList(agreement.seeds)}; it learns on 12 of seeds 0-19).`
      : `  PyTorch 1.13 disagrees on seeds ${seedList(agreement.disagree)} (agrees on ${agreement.agree.length} of ${agreement.seeds.length}).`);
  }
  out.push('');
  for (const p of base.profiles) {
    if (p.outcome === 'learned') {
      out.push(`  learned (${p.count}): ${describeProfile(p, a.probes)}`);
    }
  }
  if (failures > 0) {
    out.push(`how the ${plural(failures, 'failure fails', 'failures fail')} (classified from the outputs on the held-out set; medians over each group):`);
    for (const p of base.profiles) {
      if (p.outcome === 'learned') continue;
      out.push(`  ${p.outcome} (${p.count}: seed${p.count === 1 ? '' : 's'} ${seedList(p.seeds)}): ${describeProfile(p, a.probes)}`);
    }
  }
  if (a.variants.length > 1) {
    out.push('');
    out.push(`what makes training reliable, each over the same ${plural(a.seeds.length, 'seed', 'seeds')}:`);
    out.push(formatTable(
      ['procedure', 'learned', '', 'constant', 'swapped', 'level', 'weak', 'diverged', 'learn now', 'no longer'],
      a.variants.map(variantRow),
      { align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l'] },
    ));
    const ranked = [...a.variants].sort((x, y) => y.fraction - x.fraction);
    const best = ranked[0];
    const worse = a.variants.filter((v) => v.fraction < base.fraction).map((v) => v.variant.name);
    out.push(`most reliable here: ${best.variant.name} (${best.variant.description}), ${best.learned}/${best.total} against the tutorial's ${base.learned}/${base.total}` +
      (worse.length ? `; less reliable than the tutorial: ${worse.join(', ')}.` : '.'));
  }
  return out;
}
