// Replays every trace of test/fixtures/optim.json (PyTorch 1.13, CPU, float32): eight rounds of
// zeroGrad → loss_k(p) = sum((p-1)^2 * [1,2,3,4]) + 0.1*k*sum(p) → backward → step.
// The gradients and the parameters after every step must equal PyTorch's bit for bit (every case is exact);
// the 1e-6 tolerance of the brief is checked as well, so a failure says which bound broke.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';

interface OptimCase {
  optimizer: 'Adadelta' | 'SGD' | 'Adam' | 'RMSprop';
  args: Record<string, number | boolean | number[]>;
  initial: number[];
  grads: number[][];
  params_after_each_step: number[][];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: OptimCase[];
};

/** PyTorch's keyword arguments as torchlet options (weight_decay → weightDecay). */
function options(args: OptimCase['args']): Record<string, number | boolean | [number, number]> {
  const out: Record<string, number | boolean | [number, number]> = {};
  for (const [k, v] of Object.entries(args)) {
    out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = Array.isArray(v) ? [v[0], v[1]] : v;
  }
  return out;
}

function make(name: OptimCase['optimizer'], params: torch.Tensor[], args: OptimCase['args']): torch.optim.Optimizer<object> {
  const o = options(args);
  switch (name) {
    case 'Adadelta': return new torch.optim.Adadelta(params, o);
    case 'SGD': return new torch.optim.SGD(params, o);
    case 'Adam': return new torch.optim.Adam(params, o);
    case 'RMSprop': return new torch.optim.RMSprop(params, o);
  }
}

describe(`optim.json (PyTorch ${fixture.torch}): every trace bit for bit`, () => {
  it('has the eight cases the generator writes', () => {
    expect(fixture.cases.map((c) => c.optimizer)).toEqual(['Adadelta', 'Adadelta', 'SGD', 'SGD', 'SGD', 'Adam', 'Adam', 'RMSprop']);
  });

  fixture.cases.forEach((c, index) => {
    it(`case ${index}: ${c.optimizer}(${JSON.stringify(c.args)})`, () => {
      const p = torch.tensor(c.initial, { requiresGrad: true });
      const weights = torch.tensor([1, 2, 3, 4]);
      const opt = make(c.optimizer, [p], c.args);
      for (let k = 0; k < 8; k++) {
        opt.zeroGrad();
        const loss = p.sub(1).pow(2).mul(weights).sum().add(p.sum().mul(0.1 * k));
        loss.backward();
        expect(p.grad?.toArray(), `grad before step ${k + 1}`).toEqual(c.grads[k]);
        opt.step();
        const got = p.toArray();
        const want = c.params_after_each_step[k];
        got.forEach((x, i) => expect(Math.abs(x - want[i]), `step ${k + 1}, element ${i}`).toBeLessThanOrEqual(1e-6));
        expect(got, `params after step ${k + 1}`).toEqual(want);
      }
    });
  });
});
