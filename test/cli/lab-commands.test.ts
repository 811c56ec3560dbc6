import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveStateDict } from '../../src/io/files.js';
import { seedRun, stateDictOf } from '../lab/helpers.js';
import { cli } from './helpers.js';

let dir: string;
let modelJson: string;
let modelSt: string;
const pytorch0 = seedRun('seed_run_0.json');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'torchlet-lab-cli-'));
  modelJson = join(dir, 'seed0.json');
  modelSt = join(dir, 'seed0.safetensors');
  await saveStateDict(stateDictOf(pytorch0.final_state_dict), modelJson);
  await saveStateDict(stateDictOf(pytorch0.final_state_dict), modelSt);
});

/** The probability column of predict's table. */
function probabilities(stdout: string): number[] {
  return stdout.split('\n').filter((l) => l.startsWith('[[')).map((l) => Number(l.split(/\s+/)[1]));
}

describe('predict', () => {
  it("without --model trains the default model first, says so, and predicts the tutorial's four", async () => {
    const r = await cli('predict');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^no --model given: trained the tutorial's model first \(seed 0, Adadelta lr 0.5, 200 epochs/);
    const p = probabilities(r.stdout);
    expect(p).toHaveLength(4);
    p.forEach((x, i) => expect(x).toBeCloseTo(pytorch0.test_predictions[i], 3));
    expect(r.stdout).toContain('true  (all elements equal)');
    expect(r.stdout).toContain('false (random)');
  });

  for (const which of ['json', 'safetensors']) {
    it(`--model FILE (.${which}) and matrices in both notations, including a leading minus sign`, async () => {
      const r = await cli('predict', '--model', which === 'json' ? modelJson : modelSt,
        '[[10,-43,7],[49,50,-51],[39,-59,71]]', '-3,-3,-3,-3,-3,-3,-3,-3,-3', '200 200 200 200 200 200 200 200 200');
      expect(r.code).toBe(0);
      expect(r.err).toEqual([]);
      expect(r.stdout).not.toContain('no --model');
      const p = probabilities(r.stdout);
      expect(p[0] / pytorch0.test_predictions[2]).toBeCloseTo(1, 3); // 9.010e-32
      expect(p[1]).toBeGreaterThan(0.5);
      expect(p[2]).toBeCloseTo(pytorch0.test_predictions[0], 4);
    });
  }
});

describe('explain', () => {
  it('writes out every cell with its numbers and reads the weights', async () => {
    const r = await cli('explain', '--model', modelJson, '[[10,-43,7],[49,50,-51],[39,-59,71]]');
    expect(r.code).toBe(0);
    for (const cell of ['h1 (row 0, col 0) = (-0.1972)·10 + 0.6567·(-43)', 'h4 (row 1, col 1)', 'a1 = 0.01 × -54', 'z = (-0.5782)·(-0.54)']) {
      expect(r.stdout).toContain(cell);
    }
    expect(r.stdout).toMatch(/Sigmoid: p = 1 \/ \(1 \+ e\^\(-z\)\) = 1 \/ \(1 \+ e\^\(71\.48\)\) = 9\.010e-32/);
    expect(r.stdout).toMatch(/check: the model's own float32 forward pass gives z = -71\.48\d*, p = 9\.0097\d*e-32/);
    expect(r.stdout).toContain('Σw1 = -0.1972 + 0.6567 + 0.3596 - 0.8284 = -0.009307');
    expect(r.stdout).toContain('all negative');
    expect(r.stdout).toContain('the kernel term decides');
    const constant = await cli('explain', '--model', modelJson, '11.11,11.11,11.11,11.11,11.11,11.11,11.11,11.11,11.11');
    expect(constant.stdout).toMatch(/too small to overturn it|push the same way/);
    expect(constant.stdout).toContain('verdict: p > 0.5 → true: all elements equal');
  });
});

describe('grad', () => {
  it('prints .grad as PyTorch does, checks each element, and previews an SGD and an Adadelta step', async () => {
    const r = await cli('grad', '--model', modelJson, '[[1,2,3],[4,5,6],[7,8,9]]', '--target', '1', '--lr', '0.1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('loss → tensor(0.0027, grad_fn=<BinaryCrossEntropyBackward0>)');
    expect(r.stdout).toContain('model.2.bias.grad\ntensor([-0.0027])');
    expect(r.stdout).toContain('check: 10 of 10 agree');
    expect(r.stdout).toContain('SGD(lr=0.1): w ← w − lr·grad');
    expect(r.stdout).toContain('Adadelta(lr=0.1, rho=0.9, eps=1e-06), from a fresh optimiser (square_avg = acc_delta = 0); state step 0 → 1');
  });

  it("without --model continues from the training run's optimiser state; a saturated output explains the clamp", async () => {
    const r = await cli('grad', '[[10,-43,7],[49,50,-51],[39,-59,71]]', '--target', '1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("continuing from the training run's optimiser state");
    expect(r.stdout).toContain('state step 40000 → 40001');
    expect(r.stdout).toContain('check: 10 of 10 BCE clamp');
    expect(r.stdout).toContain('p·(1−p) < 1e-12');
  });
});

describe('ablate, sweep, atlas', () => {
  it('ablate zero-grad: table, gradient norms, verdict and both plots', async () => {
    const plot = join(dir, 'ablate.svg');
    const gradPlot = join(dir, 'ablate-grad.png');
    const r = await cli('ablate', 'zero-grad', '--seed', '0', '--epochs', '4', '--plot', plot, '--grad-plot', gradPlot);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('held-out accuracy');
    expect(r.stdout).toMatch(/without zero_grad the first steps' ‖\.grad‖: [\d.e-]+, /);
    expect(r.stdout).toMatch(/Without zero_grad, \.grad is the sum of every gradient since the first step/);
    expect(readFileSync(plot, 'utf8')).toContain('<svg');
    expect(readFileSync(gradPlot).subarray(1, 4).toString()).toBe('PNG');
  });

  it('sweep: a small grid on two worker threads, JSON and heatmap', async () => {
    const json = join(dir, 'sweep.json');
    const plot = join(dir, 'sweep.svg');
    const r = await cli('sweep', '--lr', '0.5,1', '--epochs', '2,1', '--seeds', '0..2', '--workers', '2', '--json', json, '--plot', plot);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fraction of seeds reaching held-out accuracy ≥ 0.9:');
    expect(r.stdout).toMatch(/^0\.5\s+\d\/3\s+\d+%\s+\d\/3\s+\d+%$/m);
    const data = JSON.parse(readFileSync(json, 'utf8')) as { cells: Array<{ lr: number; epochs: number; runs: number }>; runs: unknown[]; workers: number };
    expect(data.cells.map((c) => [c.lr, c.epochs, c.runs])).toEqual([[0.5, 1, 3], [0.5, 2, 3], [1, 1, 3], [1, 2, 3]]);
    expect(data.runs).toHaveLength(6);
    expect(data.workers).toBe(2);
    expect(readFileSync(plot, 'utf8')).toContain('<svg');
  });

  it("atlas: the tutorial's verdicts with PyTorch's agreement, failure classes and a variants table", async () => {
    const json = join(dir, 'atlas.json');
    const r = await cli('atlas', '--seeds', '0,1,10', '--variants', 'tutorial,sgd', '--workers', '2', '--json', json);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 of 3 seeds learn (33%): 0');
    expect(r.stdout).toContain('PyTorch 1.13 gives the same verdict on all 3 seeds it was run on (0, 1, 10');
    expect(r.stdout).toMatch(/constant \(1: seed 10\): the output is about 0\.248 whatever the input/);
    expect(r.stdout).toMatch(/swapped \(1: seed 1\): the classes are the wrong way round/);
    expect(r.stdout).toMatch(/^sgd 0\.01\s+3\/3/m);
    const data = JSON.parse(readFileSync(json, 'utf8')) as { variants: Array<{ id: string; runs: Array<{ seed: number; outcome: string }> }> };
    expect(data.variants.map((v) => v.id)).toEqual(['tutorial', 'sgd']);
    expect(data.variants[0].runs.map((x) => x.outcome)).toEqual(['learned', 'swapped', 'constant']);
    expect(existsSync(json)).toBe(true);
  });
});
