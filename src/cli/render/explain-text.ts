import type { Explanation, FirstLayerCell } from '../../lab/explain.js';
import { factor, matrixText, num, pct, shortFloat32, signedSum } from './lab-format.js';

// The text of `torchlet explain`: every number comes from the Explanation (the model at hand); the words
// that judge a number ("nearly 0", "all negative", "decides") are chosen by comparing numbers.

function kernelText(k: readonly number[]): string {
  return `[[${num(k[0])}, ${num(k[1])}], [${num(k[2])}, ${num(k[3])}]]`;
}

function cellLines(name: string, c: FirstLayerCell | Explanation['secondLayer'], inputs: string): string[] {
  const products = c.terms.map((t) => `${factor(t.weight)}·${factor(t.input)}`).join(' + ');
  const head = `  ${name} = `;
  const pad = ' '.repeat(head.length);
  return [
    `${head}${products} + ${factor(c.bias)}${inputs}`,
    `${pad}= ${signedSum([...c.terms.map((t) => t.product), c.bias])}`,
    `${pad}= ${num(c.value)}`,
  ];
}

export function explainText(e: Explanation, source: string): string[] {
  const r = e.reading;
  const out: string[] = [];
  const x = e.input;
  out.push(`explain: ${matrixText(x)} through ${source}, by hand`);
  out.push('');
  out.push('input (as float32, the dtype the model computes in):');
  for (const row of x) out.push(`  [${row.map((v) => num(v).padStart(9)).join(' ')} ]`);
  out.push('');
  out.push(`layer 1, Conv2d(1, 1, kernel_size=2): kernel w1 = ${kernelText(e.weights['model.0.weight'])}, bias b1 = ${num(r.bias1)}`);
  out.push('  each output cell is the kernel laid over one 2×2 patch of the input: Σ w1 ⊙ patch + b1');
  e.firstLayer.forEach((c, i) => {
    const [ri, ci] = c.at;
    out.push(...cellLines(`h${i + 1} (row ${ri}, col ${ci})`, c, ''));
  });
  out.push('');
  const slope = shortFloat32(e.negativeSlope);
  out.push(`LeakyReLU (negative slope ${slope}): positive values pass, negative ones are multiplied by ${slope}`);
  e.firstLayer.forEach((c, i) => {
    out.push(c.negative
      ? `  a${i + 1} = ${slope} × ${num(c.value)} = ${num(c.activated)}   (h${i + 1} < 0)`
      : `  a${i + 1} = h${i + 1} = ${num(c.activated)}`);
  });
  out.push('');
  out.push(`layer 2, Conv2d(1, 1, kernel_size=2): kernel w2 = ${kernelText(e.weights['model.2.weight'])}, bias b2 = ${num(r.bias2)}`);
  out.push('  the 2×2 activations are one patch, so there is one output: z = Σ w2 ⊙ a + b2');
  out.push(...cellLines('z', e.secondLayer, ''));
  out.push('');
  out.push(`Sigmoid: p = 1 / (1 + e^(-z)) = 1 / (1 + e^(${num(-e.logit)})) = ${num(e.probability)}`);
  out.push(`verdict: p ${e.verdict ? '>' : '≤'} 0.5 → ${e.verdict ? 'true: all elements equal' : 'false: random'}`);
  const rel = Math.abs(e.forward.probability - e.probability) / Math.max(Math.abs(e.probability), Number.MIN_VALUE);
  out.push(`check: the model's own float32 forward pass gives z = ${num(e.forward.logit, 8)}, p = ${num(e.forward.probability, 8)} ` +
    `(relative difference ${rel.toExponential(1)}: float32 rounding)`);

  out.push('');
  out.push("reading the weights (the tutorial's argument, with these numbers):");
  const share = Math.abs(r.kernel1Sum) / r.kernel1AbsSum;
  const nearZero = share < 0.1;
  out.push(`  Σw1 = ${signedSum(r.kernel1)} = ${num(r.kernel1Sum)}: ${pct(share)} of Σ|w1| = ${num(r.kernel1AbsSum)}, ` +
    (nearZero ? 'nearly 0: the kernel\'s elements cancel.' : 'not near 0: the elements do not cancel.'));
  const lo = r.constant[0], hi = r.constant[r.constant.length - 1];
  out.push(`  a constant input c makes every first-layer cell c·Σw1 + b1 = c·${factor(r.kernel1Sum)} + ${factor(r.bias1)}: ` +
    `${num(lo.firstLayer)} at c = ${lo.c}, ${num(hi.firstLayer)} at c = ${hi.c} (the training constants' range)` +
    (r.constantFirstLayerMax < 1 ? ', always small.' : `, up to ${num(r.constantFirstLayerMax)} in size.`));
  const signs = r.kernel2Signs;
  const allNeg = signs.every((s) => s === '-');
  const allPos = signs.every((s) => s === '+');
  out.push(`  second kernel signs [[${signs[0]} ${signs[1]}], [${signs[2]} ${signs[3]}]], Σw2 = ${num(r.kernel2Sum)}: ` +
    (allNeg ? 'all negative, so every positive first-layer output pulls z down (negative ones are first shrunk by the slope).'
      : allPos ? 'all positive, so every positive first-layer output pushes z up.'
        : 'mixed: positive first-layer outputs push z one way or the other depending on the cell.'));
  out.push(`  second bias b2 = ${num(r.bias2)}: sigmoid(b2) = ${num(r.bias2Probability)}, the output when the first layer gives 0` +
    `${r.bias2Probability > 0.5 ? ' ("all equal")' : ' ("random")'}.`);
  out.push(`  for constant inputs: ${r.constant.map((k) => `c = ${k.c} → z = ${num(k.logit)}, p = ${num(k.probability)}`).join('; ')}.`);
  const ratio = Math.abs(r.kernelTerm) / Math.max(Math.abs(r.bias2), Number.MIN_VALUE);
  const cell = e.firstLayer[r.strongestCell];
  const dir = e.verdict ? 'true' : 'false';
  let decide: string;
  if (r.decider === 'kernel') {
    decide = `the kernel term decides: Σ w2⊙a = ${num(r.kernelTerm)} is ${num(ratio, 3)}× the size of b2 = ${num(r.bias2)} and of the opposite sign, so z = ${num(e.logit)} → ${dir}.`;
  } else if (r.decider === 'bias') {
    decide = `the bias decides: Σ w2⊙a = ${num(r.kernelTerm)} is only ${num(ratio, 3)}× the size of b2 = ${num(r.bias2)}, too small to overturn it, so z = ${num(e.logit)} → ${dir}.`;
  } else {
    decide = `the kernel term Σ w2⊙a = ${num(r.kernelTerm)} and b2 = ${num(r.bias2)} push the same way: z = ${num(e.logit)} → ${dir}.`;
  }
  out.push(`  this matrix: z = Σ w2⊙a + b2 = ${num(r.kernelTerm)} + ${factor(r.bias2)}; ${decide}`);
  out.push(`  the largest single term is ${r.largestTerm.name} = ${num(r.largestTerm.value)}` +
    (r.largestTerm.name === 'b2' ? '.' : `; its cell h${r.strongestCell + 1} = ${num(cell.value)} splits into the patch's level ` +
      `Σw1·mean(patch) = ${num(cell.levelPart)}, its variation Σw1⊙(patch − mean) = ${num(cell.variationPart)}, and b1 = ${num(cell.bias)}.`));
  return out;
}
