// The benchmark's floor must compute the same thing as PyTorch, or the ratio against it means nothing:
// a float64 run ends within ~2e-3 of PyTorch's float32 run (shared/reference/README.md).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { HandWrittenCNN, trainHandWritten } from '../../bench/baseline/hand-written.js';
import { Generator } from '../../src/random/generator.js';

interface SeedRun {
  init: Record<string, { data: number[] }>;
  first_steps: Array<{ loss: number; state_dict: Record<string, number[]> }>;
  false_set_first_3: number[][];
  final_state_dict: Record<string, { data: number[] }>;
}
const KEYS = ['0.weight', '0.bias', '2.weight', '2.bias'];
const run = JSON.parse(readFileSync(new URL('../fixtures/seed_run_0.json', import.meta.url), 'utf8')) as SeedRun;
const flatInit = KEYS.flatMap((k) => run.init[k].data);

describe('hand-written baseline', () => {
  it('takes the same first steps as PyTorch (seed 0)', () => {
    const net = new HandWrittenCNN(flatInit);
    const trueSet = new Float64Array(900);
    for (let v = 0; v < 100; v++) trueSet.fill(v - 50, v * 9, v * 9 + 9);
    for (let s = 0; s < 3; s++) {
      const loss = net.step(trueSet, s * 9, 1);
      expect(loss).toBeCloseTo(run.first_steps[s].loss, 5);
      const expected = KEYS.flatMap((k) => run.first_steps[s].state_dict[k]);
      expected.forEach((v, i) => expect(net.params[i]).toBeCloseTo(v, 5));
    }
  });

  it('ends within 5e-3 of PyTorch float32 after 200 epochs (float64 floor, same data)', () => {
    // Rebuild the tutorial's false set from PyTorch's generator: 10 draws for the initial weights, then
    // rand(100,1,1,3,3)*100-50 rounded in float32 as PyTorch computes it.
    const gen = new Generator(0);
    gen.fillUniform(new Float32Array(10));
    const r = new Float32Array(900);
    gen.fillUniform(r);
    const falseSet = Float64Array.from(r, (v) => Math.fround(Math.fround(v * 100) - 50));
    expect(Array.from(falseSet.subarray(0, 9))).toEqual(run.false_set_first_3[0]);
    const res = trainHandWritten(flatInit, falseSet, 200);
    const expected = KEYS.flatMap((k) => run.final_state_dict[k].data);
    expected.forEach((v, i) => expect(Math.abs(res.params[i] - v)).toBeLessThan(5e-3));
  });
});
