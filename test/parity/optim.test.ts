// Every optimiser trace of optim.json (PyTorch 1.13): 8 steps of zeroGrad → backward → step on a fixed loss.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { loadFixture } from './fixture-utils.js';

interface OptimCase {
  optimizer: 'Adadelta' | 'SGD' | 'Adam' | 'RMSprop';
  args: Record<string, number | boolean | number[]>;
  initial: number[];
  grads: number[][];
  params_after_each_step: number[][];
}
const fixture = loadFixture<{ cases: OptimCase[] }>('optim.json');

function make(c: OptimCase, params: torch.Tensor[]): torch.optim.Optimizer<object> {
  const a = c.args;
  const common = { lr: Number(a.lr), ...(a.weight_decay !== undefined ? { weightDecay: Number(a.weight_decay) } : {}) };
  switch (c.optimizer) {
    case 'Adadelta':
      return new torch.optim.Adadelta(params, { ...common, ...(a.rho !== undefined ? { rho: Number(a.rho) } : {}), ...(a.eps !== undefined ? { eps: Number(a.eps) } : {}) });
    case 'SGD':
      return new torch.optim.SGD(params, { ...common, momentum: Number(a.momentum ?? 0), nesterov: Boolean(a.nesterov ?? false) });
    case 'Adam':
      return new torch.optim.Adam(params, { ...common, ...(a.betas ? { betas: a.betas as [number, number] } : {}), amsgrad: Boolean(a.amsgrad ?? false) });
    case 'RMSprop':
      return new torch.optim.RMSprop(params, common);
  }
}

/** Adadelta's trace is bit-exact (PyTorch's rounding and fused multiply-adds reproduced); the others within 1e-6. */
const EXACT = new Set(['Adadelta']);

describe('optim.json parity with PyTorch 1.13', () => {
  fixture.cases.forEach((c, k) => {
    it(`${k}: ${c.optimizer} ${JSON.stringify(c.args)}`, () => {
      const p = torch.tensor(c.initial, { requiresGrad: true });
      const opt = make(c, [p]);
      const weights = torch.tensor([1, 2, 3, 4]);
      for (let step = 0; step < 8; step++) {
        opt.zeroGrad();
        const loss = p.sub(1).pow(2).mul(weights).sum().add(p.sum().mul(0.1 * step));
        loss.backward();
        c.grads[step].forEach((g, i) => expect(Math.abs(p.grad!.toArray()[i] - g)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(g))));
        opt.step();
        const got = p.toArray();
        c.params_after_each_step[step].forEach((want, i) => {
          if (EXACT.has(c.optimizer)) expect(got[i], `step ${step} param ${i}`).toBe(want);
          else expect(Math.abs(got[i] - want), `step ${step} param ${i}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
        });
      }
    });
  });
});
