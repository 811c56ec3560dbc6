import type { CheckStatus, GradReport } from '../../lab/gradients.js';
import { pyFloat } from '../../format/py-format.js';
import { matrixText, num } from './lab-format.js';
import { formatTable } from './table.js';

// The text of `torchlet grad`, from a GradReport.

const STATUS: Record<CheckStatus, string> = {
  'agree': 'agree',
  'fd-limited': 'agree within the finite difference\'s error',
  'clamped': 'BCE clamp (see below)',
  'kink': 'on LeakyReLU\'s kink',
  'mismatch': 'MISMATCH',
};

function index(shape: readonly number[], flat: number): string {
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${idx.join(',')}]`;
}

export function gradText(r: GradReport, source: string, stateNote: string): string[] {
  const out: string[] = [];
  out.push(`grad: one sample through loss.backward(), with ${source}`);
  out.push(`input ${matrixText(r.input)}, target ${r.target} (${r.target === 1 ? 'all elements equal' : 'random'})`);
  out.push(`output p = ${num(r.output, 6)}; loss = BCELoss(p, ${r.target}) = ${r.target === 1 ? '-log(p)' : '-log(1 - p)'}`);
  out.push(`loss → ${r.lossText}`);
  out.push('');
  out.push('loss.backward() leaves each parameter\'s gradient in .grad (printed as PyTorch prints it), checked against');
  out.push('a central finite difference (L(w+h) − L(w−h)) / 2h of the loss on a float64 copy of the model:');
  for (const p of r.params) {
    out.push('');
    out.push(`${p.key}.grad`);
    out.push(p.gradText);
    out.push(formatTable(
      ['element', 'value', '.grad (backward)', 'finite difference', 'rel. diff', 'check'],
      p.grad.map((g, i) => [
        index(p.shape, i), num(p.value[i], 6), num(g, 6), num(p.numeric[i], 6),
        p.relativeError[i].toExponential(1), STATUS[p.status[i]],
      ]),
      { align: ['l', 'r', 'r', 'r', 'r', 'l'] },
    ));
  }
  const all = r.params.flatMap((p) => p.status);
  const counts = new Map<CheckStatus, number>();
  for (const s of all) counts.set(s, (counts.get(s) ?? 0) + 1);
  out.push('');
  out.push(`check: ${[...counts].map(([s, n]) => `${n} of ${all.length} ${STATUS[s]}`).join(', ')}; largest relative difference ${r.maxRelativeError.toExponential(1)}.`);
  if (r.clamped) {
    out.push(`The output is so close to ${r.output < 0.5 ? 0 : 1} that p·(1−p) < 1e-12: PyTorch's BCELoss backward divides by max(p·(1−p), 1e-12),`);
    out.push(`so .grad is the true slope times p·(1−p)/1e-12 = ${num(r.clampFactor)} — the check confirms exactly that ratio.`);
  }
  if (counts.has('fd-limited')) out.push('(where the float64 loss has too few digits to resolve the slope better, agreement is judged against the finite difference\'s own error estimate)');

  out.push('');
  const lr = r.params[0].sgd.lr;
  out.push(`one optimizer.step() with these gradients:`);
  out.push(`SGD(lr=${pyFloat(lr)}): w ← w − lr·grad`);
  out.push(formatTable(
    ['parameter', 'w before', 'grad', 'w after', 'change'],
    r.params.flatMap((p) => p.value.map((w, i) => [
      `${p.key}${index(p.shape, i)}`, num(w, 8), num(p.grad[i], 6), num(p.sgd.after[i], 8), num(p.sgd.after[i] - w, 4),
    ])),
    { align: ['l', 'r', 'r', 'r', 'r'] },
  ));
  const a = r.params[0].adadelta;
  out.push('');
  out.push(`Adadelta(lr=${pyFloat(a.lr)}, rho=${pyFloat(a.rho)}, eps=${pyFloat(a.eps)}), ${stateNote}; state step ${a.step - 1} → ${a.step}:`);
  out.push('  square_avg ← rho·square_avg + (1−rho)·g²;  std = √(square_avg + eps);  delta = √(acc_delta + eps) / std · g');
  out.push('  acc_delta ← rho·acc_delta + (1−rho)·delta²;  w ← w − lr·delta');
  out.push(formatTable(
    ['parameter', 'g', 'square_avg before → after', 'std', '√(acc_delta+eps)', 'delta', 'acc_delta before → after', 'w after', 'change'],
    r.params.flatMap((p) => p.value.map((w, i) => {
      const d = p.adadelta;
      return [
        `${p.key}${index(p.shape, i)}`, num(p.grad[i]),
        `${num(d.squareAvgBefore[i])} → ${num(d.squareAvgAfter[i])}`, num(d.std[i]), num(d.rmsDelta[i]), num(d.delta[i]),
        `${num(d.accDeltaBefore[i])} → ${num(d.accDeltaAfter[i])}`, num(d.after[i], 8), num(d.after[i] - w),
      ];
    })),
    { align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'] },
  ));
  return out;
}
