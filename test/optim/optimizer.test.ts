// The Optimizer API as PyTorch 1.13 behaves: zeroGrad, gradient accumulation, skipped parameters, parameter groups,
// state, stateDict/loadStateDict, validation errors and repr. Expected strings and numbers marked "PyTorch" were
// printed by torch 1.13.0a0 (Debian's python3-torch) for the same calls.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { Tensor } from '../../src/index.js';
import type { Optimizer, OptimizerStateDict } from '../../src/optim/index.js';

const { Adadelta, SGD, Adam, RMSprop } = torch.optim;

const P0 = [0.5, -1.5, 2.0, 0.0];
const param = (values: number[] = P0, dtype: 'float32' | 'float64' = 'float32') => torch.tensor(values, { dtype, requiresGrad: true });
const setGrad = (p: Tensor, g: number[]) => { p.grad = torch.tensor(g, { dtype: p.dtype }); };
const quadratic = (p: Tensor) => p.sub(1).pow(2).mul(torch.tensor([1, 2, 3, 4])).sum();

describe('zeroGrad', () => {
  it('zeroes the existing .grad in place by default (PyTorch 1.13), detached', () => {
    const p = param();
    const opt = new Adadelta([p]);
    quadratic(p).backward();
    const g = p.grad as Tensor;
    expect(g.toArray()).toEqual([-1, -10, 6, -8]);
    opt.zeroGrad();
    expect(p.grad).toBe(g); // the same tensor, zeroed
    expect(g.toArray()).toEqual([0, 0, 0, 0]);
    expect(g.requiresGrad).toBe(false);
    expect(g.gradFn).toBeNull();
  });

  it('sets .grad to null with setToNone', () => {
    const p = param();
    const opt = new SGD([p], { lr: 0.1 });
    quadratic(p).backward();
    opt.zeroGrad({ setToNone: true });
    expect(p.grad).toBeNull();
    opt.zeroGrad(); // nothing to clear: no error
    expect(p.grad).toBeNull();
  });

  it('zeroes a gradient that is a strided view, element by element', () => {
    const p = param([1, 2, 3, 4]);
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = new Tensor(new Float32Array([9, 1, 9, 2, 9, 3, 9, 4]), [4], [2], 1);
    opt.zeroGrad();
    expect(Array.from(p.grad.data)).toEqual([9, 0, 9, 0, 9, 0, 9, 0]);
  });
});

describe('gradient accumulation (the tutorial lesson of zero_grad)', () => {
  it('two backward calls without zeroGrad: the step uses the sum of both gradients', () => {
    const a = param();
    const optA = new Adadelta([a], { lr: 0.5 });
    quadratic(a).backward();
    quadratic(a).backward();
    expect(a.grad?.toArray()).toEqual([-2, -20, 12, -16]);
    optA.step();

    const b = param();
    const optB = new Adadelta([b], { lr: 0.5 });
    setGrad(b, [-2, -20, 12, -16]);
    optB.step();
    expect(a.toArray()).toEqual(b.toArray());

    const c = param();
    const optC = new Adadelta([c], { lr: 0.5 });
    quadratic(c).backward();
    optC.zeroGrad();
    quadratic(c).backward();
    expect(c.grad?.toArray()).toEqual([-1, -10, 6, -8]); // with zeroGrad the step sees one gradient only
    optC.step();
    // Adadelta's first step is about sqrt(eps / (1 - rho)) whatever the gradient's size, so the parameters agree;
    // the running average of squared gradients saw four times as much
    expect(c.toArray()).toEqual(a.toArray());
    const sqA = (optA.state.get(a)?.squareAvg as Tensor).toArray();
    const sqC = (optC.state.get(c)?.squareAvg as Tensor).toArray();
    expect(sqA).toEqual(sqC.map((v) => Math.fround(v * 4)));
  });

  it('SGD: accumulated gradients make a proportionally larger step', () => {
    const p = param([1, 2], 'float64');
    const opt = new SGD([p], { lr: 0.1 });
    p.mul(p).sum().backward();
    p.mul(p).sum().backward(); // grad = 2 * 2p
    opt.step();
    expect(p.toArray()).toEqual([1 - 0.1 * 4, 2 - 0.1 * 8]);
  });
});

describe('parameters without a gradient', () => {
  it('are skipped: no update, no state', () => {
    const p = param();
    const q = param([1]);
    const opt = new Adadelta([p, q]);
    p.mul(2).sum().backward();
    opt.step();
    expect(q.toArray()).toEqual([1]);
    expect(opt.state.has(q)).toBe(false);
    expect(opt.state.size).toBe(1); // PyTorch: 'q state none False 1'
  });

  it('a zeroed gradient is not skipped (its step count advances), a null one is (PyTorch zero_grad note)', () => {
    const p = param();
    const q = param([1]);
    const opt = new Adadelta([p, q]);
    p.mul(2).sum().backward();
    setGrad(q, [0]);
    opt.step();
    opt.zeroGrad();
    p.mul(2).sum().backward();
    opt.step();
    expect(opt.state.get(q)?.step).toBe(2); // PyTorch: 'q step with zeroed grad 2 [1.0]'
    expect(q.toArray()).toEqual([1]);
    opt.zeroGrad({ setToNone: true });
    p.mul(2).sum().backward();
    opt.step();
    expect(opt.state.get(q)?.step).toBe(2);
    expect(opt.state.get(p)?.step).toBe(3);
  });
});

describe('state (readable for teaching)', () => {
  it("Adadelta's running averages after each step equal PyTorch's", () => {
    const p = param();
    const opt = new Adadelta([p], { lr: 0.5 });
    const want = [
      // PyTorch: state['square_avg'], state['acc_delta'], p after steps 1 and 2 with grad [1, -2, 0.5, 4]
      {
        sq: [0.10000000149011612, 0.4000000059604645, 0.02500000037252903, 1.600000023841858],
        acc: [9.99990106720361e-7, 9.999974963648128e-7, 9.999602070820401e-7, 9.999995427278918e-7],
        p: [0.4984188675880432, -1.4984188079833984, 1.998418927192688, -0.0015811384655535221],
      },
      {
        sq: [0.1899999976158142, 0.7599999904632568, 0.04749999940395355, 3.0399999618530273],
        acc: [1.952611910382984e-6, 1.952626689671888e-6, 1.9525525658536935e-6, 1.952630782398046e-6],
        p: [0.4967966675758362, -1.4967966079711914, 1.996796727180481, -0.0032033524475991726],
      },
    ];
    let buffers: unknown[] = [];
    const same = (xs: unknown[], ys: unknown[]) => xs.forEach((x, i) => expect(x).toBe(ys[i]));
    want.forEach((w, k) => {
      setGrad(p, [1, -2, 0.5, 4]);
      opt.step();
      const s = opt.paramState(p) as torch.optim.AdadeltaState;
      expect(opt.state.get(p)).toBe(s as unknown as object);
      expect(s.step).toBe(k + 1);
      expect(s.squareAvg.toArray()).toEqual(w.sq);
      expect(s.accDelta.toArray()).toEqual(w.acc);
      expect(p.toArray()).toEqual(w.p);
      if (k === 0) buffers = [s.squareAvg, s.accDelta, s.squareAvg.data, p.data];
      else same([s.squareAvg, s.accDelta, s.squareAvg.data, p.data], buffers); // updated in place
    });
    expect(Object.keys(opt.state.get(p) ?? {})).toEqual(['step', 'squareAvg', 'accDelta']);
  });

  it('keeps each optimiser state under PyTorch 1.13 names and types', () => {
    const p = param();
    const sgd0 = new SGD([p], { lr: 0.1 });
    const sgd1 = new SGD([p], { lr: 0.1, momentum: 0.9 });
    const adam = new Adam([p], { amsgrad: true });
    const rms = new RMSprop([p], { momentum: 0.5, centered: true });
    setGrad(p, [1, 1, 1, 1]);
    for (const o of [sgd0, sgd1, adam, rms]) o.step();
    expect(sgd0.state.get(p)).toEqual({ momentumBuffer: null }); // PyTorch: {'momentum_buffer': None}
    expect(Object.keys(sgd1.state.get(p) ?? {})).toEqual(['momentumBuffer']);
    const a = adam.state.get(p) as unknown as torch.optim.AdamState;
    expect(Object.keys(a)).toEqual(['step', 'expAvg', 'expAvgSq', 'maxExpAvgSq']);
    expect(a.step).toBeInstanceOf(Tensor); // PyTorch 1.13: tensor(1.)
    expect(a.step.shape).toEqual([]);
    expect(a.step.dtype).toBe('float32');
    expect(a.step.item()).toBe(1);
    expect(Object.keys(rms.state.get(p) ?? {})).toEqual(['step', 'squareAvg', 'momentumBuffer', 'gradAvg']);
  });

  it('refuses a non-dense parameter once, when its state is created', () => {
    const p = new Tensor(new Float32Array([1, 0, 2, 0]), [2], [2], 0, true);
    const opt = new Adadelta([p]);
    setGrad(p, [1, 1]);
    expect(() => opt.step()).toThrow(/dense/);
  });

  it('refuses a gradient of another dtype or size', () => {
    const p = param();
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = torch.tensor([1, 2, 3, 4], { dtype: 'float64' });
    expect(() => opt.step()).toThrow('SGD: a float64 gradient for a float32 parameter');
    p.grad = torch.tensor([1, 2]);
    expect(() => opt.step()).toThrow(/dense tensor of the parameter's shape \[4\], got shape \[2\]/);
  });
});

describe('parameter groups', () => {
  it('each group uses its own options, the rest from the defaults', () => {
    const a = param([1, 1], 'float64');
    const b = param([1, 1], 'float64');
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.01 }], { lr: 0.1, momentum: 0.5 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([[0.1, 0.5], [0.01, 0.5]]);
    setGrad(a, [1, 2]);
    setGrad(b, [1, 2]);
    opt.step();
    expect(a.toArray()).toEqual([1 - 0.1, 1 - 0.2]);
    expect(b.toArray()).toEqual([1 - 0.01, 1 - 0.02]);
  });

  it('an option given as undefined takes the default', () => {
    const opt = new Adadelta([{ params: [param()], lr: undefined }], { lr: 0.5, rho: undefined });
    expect(opt.paramGroups[0].lr).toBe(0.5);
    expect(opt.paramGroups[0].rho).toBe(0.9);
  });

  it('an lr changed in paramGroups takes effect at the next step', () => {
    const p = param([1], 'float64');
    const opt = new SGD([p], { lr: 0.1 });
    setGrad(p, [1]);
    opt.step();
    opt.paramGroups[0].lr = 0.5;
    opt.step();
    expect(p.toArray()).toEqual([1 - 0.1 - 0.5]);
  });

  it('addParamGroup adds parameters later (e.g. unfrozen layers)', () => {
    const a = param([1], 'float64');
    const b = param([1], 'float64');
    const opt = new SGD([a], { lr: 0.1 });
    opt.addParamGroup({ params: b, lr: 1 });
    expect(opt.paramGroups).toHaveLength(2);
    expect(opt.paramGroups[1].params).toHaveLength(1);
    expect(opt.paramGroups[1].params[0]).toBe(b);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow('some parameters appear in more than one parameter group');
    expect(() => opt.addParamGroup({ params: new Set([param()]) })).toThrow(
      'optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.',
    );
  });

  it('accepts any iterable of tensors, e.g. a generator or module.parameters()', () => {
    const ps = [param(), param([1])];
    function* gen() { yield* ps; }
    const opt = new Adam(gen());
    expect(opt.paramGroups[0].params).toHaveLength(2);
    opt.paramGroups[0].params.forEach((p, i) => expect(p).toBe(ps[i]));
  });
});

describe('closure', () => {
  it('re-evaluates the loss with grad enabled and returns it', () => {
    const p = param();
    const opt = new SGD([p], { lr: 0.01 });
    const loss = torch.noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = quadratic(p);
        l.backward();
        return l;
      }),
    );
    expect(loss?.item()).toBe(19.75);
    const lr = Math.fround(0.01);
    expect(p.toArray()).toEqual([-1, -10, 6, -8].map((g, i) => Math.fround(P0[i] - lr * g)));
  });

  it('returns undefined without a closure', () => {
    expect(new SGD([param()], { lr: 1 }).step()).toBeUndefined();
  });
});

/** Runs `steps` steps of a deterministic gradient sequence. */
function run(opt: Optimizer<object>, ps: Tensor[], from: number, steps: number): void {
  for (let k = from; k < from + steps; k++) {
    ps.forEach((p, j) => setGrad(p, p.toArray().map((x, i) => Math.fround(x * (1 + i) - 0.3 * ((k + j) % 5)))));
    opt.step();
  }
}

describe('stateDict / loadStateDict', () => {
  const makers: Array<[string, (ps: Tensor[]) => Optimizer<object>]> = [
    ['Adadelta', (ps) => new Adadelta(ps, { lr: 0.5, weightDecay: 0.01 })],
    ['SGD', (ps) => new SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true })],
    ['SGD without momentum', (ps) => new SGD(ps, { lr: 0.01 })],
    ['Adam', (ps) => new Adam(ps, { lr: 0.01, amsgrad: true })],
    ['RMSprop', (ps) => new RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: a restored optimiser continues the trace bit for bit`, () => {
      const ps = [param(), param([0.25, -3])];
      const opt = make(ps);
      run(opt, ps, 0, 5);
      const saved = opt.stateDict();
      const copies = ps.map((p) => param(p.toArray()));
      const restored = make(copies);
      restored.loadStateDict(saved);
      run(opt, ps, 5, 6);
      run(restored, copies, 5, 6);
      ps.forEach((p, i) => expect(copies[i].toArray()).toEqual(p.toArray()));
      expect(restored.toString()).toBe(opt.toString());
    });
  }

  it("has PyTorch's structure and key order, with the live state tensors", () => {
    const p = param();
    const opt = new Adadelta([p], { lr: 0.5 });
    setGrad(p, [1, -2, 0.5, 4]);
    opt.step();
    opt.step();
    const sd = opt.stateDict();
    // PyTorch: {'state': {0: {'step': 2, 'square_avg': tensor([...]), 'acc_delta': tensor([...])}},
    //           'param_groups': [{'lr': 0.5, 'rho': 0.9, 'eps': 1e-06, 'weight_decay': 0, 'maximize': False, 'foreach': None, 'params': [0]}]}
    expect(Object.keys(sd)).toEqual(['state', 'param_groups']);
    expect(Object.keys(sd.state)).toEqual(['0']);
    expect(Object.keys(sd.state[0])).toEqual(['step', 'square_avg', 'acc_delta']);
    expect(sd.state[0].step).toBe(2);
    const s = opt.state.get(p) as unknown as torch.optim.AdadeltaState;
    expect(sd.state[0].square_avg).toBe(s.squareAvg);
    expect(sd.param_groups).toEqual([{ lr: 0.5, rho: 0.9, eps: 1e-6, weight_decay: 0, maximize: false, foreach: null, params: [0] }]);
    expect(Object.keys(sd.param_groups[0])).toEqual(['lr', 'rho', 'eps', 'weight_decay', 'maximize', 'foreach', 'params']);
  });

  it('numbers parameters across groups; keys a group was given come first (as a Python dict keeps them)', () => {
    const opt = new Adadelta([{ params: [param()] }, { params: [param([1])], lr: 0.1, maximize: true }], { lr: 0.5 });
    const sd = opt.stateDict();
    // PyTorch: {'lr': 0.1, 'maximize': True, 'rho': 0.9, 'eps': 1e-06, 'weight_decay': 0, 'foreach': None, 'params': [1]}
    expect(Object.keys(sd.param_groups[1])).toEqual(['lr', 'maximize', 'rho', 'eps', 'weight_decay', 'foreach', 'params']);
    expect(sd.param_groups.map((g) => g.params)).toEqual([[0], [1]]);
    const adam = new Adam([param()]).stateDict();
    expect(adam.param_groups[0]).toEqual({
      lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false,
      foreach: null, capturable: false, differentiable: false, fused: false, params: [0],
    });
    expect(Object.keys(new RMSprop([param()]).stateDict().param_groups[0])).toEqual(
      ['lr', 'momentum', 'alpha', 'eps', 'centered', 'weight_decay', 'foreach', 'maximize', 'differentiable', 'params'],
    );
    expect(Object.keys(new SGD([param()], { lr: 0.05 }).stateDict().param_groups[0])).toEqual(
      ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize', 'foreach', 'differentiable', 'params'],
    );
  });

  it('loading copies the state (casting buffers to the parameter dtype) and takes the saved options', () => {
    const p = param();
    const opt = new Adadelta([p], { lr: 0.5 });
    setGrad(p, [1, 2, 3, 4]);
    opt.step();
    const sd = opt.stateDict();
    const q = param(P0, 'float64');
    const other = new Adadelta([q], { lr: 1 });
    other.loadStateDict(sd);
    expect(other.paramGroups[0].lr).toBe(0.5);
    const s = other.state.get(q) as unknown as torch.optim.AdadeltaState;
    expect(s.squareAvg.dtype).toBe('float64');
    expect(s.squareAvg.toArray()).toEqual((sd.state[0].square_avg as Tensor).toArray());
    expect(s.squareAvg === sd.state[0].square_avg).toBe(false); // (toBe on tensors would iterate them)
    opt.step();
    expect(s.squareAvg.toArray()).not.toEqual((sd.state[0].square_avg as Tensor).toArray()); // the source moved on, the copy did not
  });

  it('reads a dict saved by PyTorch: constant keys ignored, a numeric Adam step becomes a tensor', () => {
    const p = param();
    const adam = new Adam([p]);
    const saved: OptimizerStateDict = {
      state: { 7: { step: 3, exp_avg: torch.zeros([4]), exp_avg_sq: torch.zeros([4]) } },
      param_groups: [{
        lr: 0.1, betas: [0.8, 0.9], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false,
        foreach: null, capturable: false, differentiable: false, fused: false, initial_lr: 0.1, params: [7],
      }],
    };
    adam.loadStateDict(saved);
    const s = adam.state.get(p) as unknown as torch.optim.AdamState;
    expect(s.step).toBeInstanceOf(Tensor);
    expect(s.step.item()).toBe(3);
    expect(adam.paramGroups[0].betas).toEqual([0.8, 0.9]);
    expect(adam.paramGroups[0].params[0]).toBe(p);
    expect('foreach' in adam.paramGroups[0]).toBe(false);
    // keys torchlet does not use (an LR scheduler's initial_lr) survive a round trip, in their saved place
    expect(Object.keys(adam.stateDict().param_groups[0])).toEqual(Object.keys(saved.param_groups[0]));
    expect(adam.stateDict().param_groups[0].initial_lr).toBe(0.1);
  });

  it("validates the group and parameter counts with PyTorch's messages", () => {
    const p = param();
    const q = param([1]);
    const one = new SGD([p], { lr: 0.1 });
    const two = new SGD([{ params: [p] }, { params: [q] }], { lr: 0.1 });
    const pair = new SGD([p, q], { lr: 0.1 });
    expect(() => one.loadStateDict(two.stateDict())).toThrow('loaded state dict has a different number of parameter groups');
    expect(() => two.loadStateDict(one.stateDict())).toThrow('loaded state dict has a different number of parameter groups');
    expect(() => one.loadStateDict(pair.stateDict())).toThrow(
      "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
    );
  });

  it('refuses state buffers whose shape does not match the parameter', () => {
    const p = param();
    const opt = new Adadelta([p]);
    const bad: OptimizerStateDict = {
      state: { 0: { step: 1, square_avg: torch.zeros([3]), acc_delta: torch.zeros([4]) } },
      param_groups: opt.stateDict().param_groups,
    };
    expect(() => opt.loadStateDict(bad)).toThrow("Adadelta: loaded state 'square_avg' has shape [3], the parameter has [4]");
  });
});

describe('validation errors (PyTorch messages)', () => {
  const p = param();
  const cases: Array<[() => unknown, string]> = [
    [() => new Adadelta([p], { lr: -1 }), 'Invalid learning rate: -1'],
    [() => new Adadelta([p], { rho: 1.5 }), 'Invalid rho value: 1.5'],
    [() => new Adadelta([p], { eps: -1 }), 'Invalid epsilon value: -1'],
    [() => new Adadelta([p], { weightDecay: -0.1 }), 'Invalid weight_decay value: -0.1'],
    [() => new SGD([p], { lr: -0.5 }), 'Invalid learning rate: -0.5'],
    [() => new SGD([p], { lr: 0.1, momentum: -1 }), 'Invalid momentum value: -1'],
    [() => new SGD([p], { lr: 0.1, weightDecay: -1 }), 'Invalid weight_decay value: -1'],
    [() => new SGD([p], { lr: 0.1, nesterov: true }), 'Nesterov momentum requires a momentum and zero dampening'],
    [() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), 'Nesterov momentum requires a momentum and zero dampening'],
    [() => new Adam([p], { betas: [0.9, -0.1] }), 'Invalid beta parameter at index 1: -0.1'],
    [() => new Adam([p], { betas: [1.5, 0.9] }), 'Invalid beta parameter at index 0: 1.5'],
    [() => new Adam([p], { eps: -1 }), 'Invalid epsilon value: -1'],
    [() => new Adam([p], { lr: NaN }), 'Invalid learning rate: NaN'],
    [() => new RMSprop([p], { alpha: -1 }), 'Invalid alpha value: -1'],
    [() => new RMSprop([p], { momentum: -1 }), 'Invalid momentum value: -1'],
    [() => new SGD([], { lr: 0.1 }), 'optimizer got an empty parameter list'],
    [() => new SGD([p, p.mul(2)], { lr: 0.1 }), "can't optimize a non-leaf Tensor"],
    [() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), 'some parameters appear in more than one parameter group'],
    [() => new SGD([{ params: [p] }]), "parameter group didn't specify a value of required optimization parameter lr"],
    [() => new SGD(p as unknown as Tensor[], { lr: 1 }), 'params argument given to the optimizer should be an iterable of Tensors or dicts, but got torch.FloatTensor'],
    [() => new SGD([1.5] as unknown as Tensor[], { lr: 1 }), 'optimizer can only optimize Tensors, but one of the params is float'],
  ];
  cases.forEach(([fn, message]) => it(message, () => expect(fn).toThrow(message)));

  it('SGD without a default lr works when every group gives one', () => {
    const opt = new SGD([{ params: [param()], lr: 0.1 }]);
    expect(opt.paramGroups[0].lr).toBe(0.1);
    expect(() => opt.addParamGroup({ params: [param()] })).toThrow('required optimization parameter lr');
  });
});

describe('repr (PyTorch 1.13 text)', () => {
  const p = param();
  const q = param([1]);
  const cases: Array<[Optimizer<object>, string]> = [
    [new Adadelta([p], { lr: 0.5 }), 'Adadelta (\nParameter Group 0\n    eps: 1e-06\n    foreach: None\n    lr: 0.5\n    maximize: False\n    rho: 0.9\n    weight_decay: 0\n)'],
    [new Adadelta([p]), 'Adadelta (\nParameter Group 0\n    eps: 1e-06\n    foreach: None\n    lr: 1.0\n    maximize: False\n    rho: 0.9\n    weight_decay: 0\n)'],
    [new SGD([p], { lr: 0.05 }), 'SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n    lr: 0.05\n    maximize: False\n    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)'],
    [new SGD([p], { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }), 'SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n    lr: 0.05\n    maximize: False\n    momentum: 0.9\n    nesterov: True\n    weight_decay: 0.01\n)'],
    [new Adam([p]), 'Adam (\nParameter Group 0\n    amsgrad: False\n    betas: (0.9, 0.999)\n    capturable: False\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n    fused: False\n    lr: 0.001\n    maximize: False\n    weight_decay: 0\n)'],
    [new Adam([p], { lr: 0.1, betas: [0.8, 0.9], weightDecay: 0.01, amsgrad: true }), 'Adam (\nParameter Group 0\n    amsgrad: True\n    betas: (0.8, 0.9)\n    capturable: False\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n    fused: False\n    lr: 0.1\n    maximize: False\n    weight_decay: 0.01\n)'],
    [new RMSprop([p]), 'RMSprop (\nParameter Group 0\n    alpha: 0.99\n    centered: False\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n    lr: 0.01\n    maximize: False\n    momentum: 0\n    weight_decay: 0\n)'],
    [new Adadelta([{ params: [p] }, { params: [q], lr: 0.1, maximize: true }], { lr: 0.5 }), 'Adadelta (\nParameter Group 0\n    eps: 1e-06\n    foreach: None\n    lr: 0.5\n    maximize: False\n    rho: 0.9\n    weight_decay: 0\n\nParameter Group 1\n    eps: 1e-06\n    foreach: None\n    lr: 0.1\n    maximize: True\n    rho: 0.9\n    weight_decay: 0\n)'],
  ];
  cases.forEach(([opt, text], i) => it(`case ${i}: ${text.split(' ')[0]}`, () => {
    expect(opt.toString()).toBe(text);
    expect(`${opt}`).toBe(text);
  }));
});
