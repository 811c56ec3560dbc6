// Guards "numbers unchanged" while the engine's hot paths are rewritten for speed (bench/, issue 5):
// - the tutorial under seeds 0 and 1 ends within 1e-5 of PyTorch's final state_dict;
// - the tutorial runs and a battery of ops (forward and backward, float32 and float64) give exactly the bits
//   recorded before the rewrite (bench/golden/, regenerated only on purpose).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../src/lab/train.js';
import { PARAMETER_KEYS } from '../../src/lab/model.js';
import { fingerprint, goldenCases } from '../../bench/golden/cases.js';
import { type TutorialGolden, tutorialRun } from '../../bench/golden/tutorial.js';
import { runTutorial } from '../../bench/tutorial.js';

const readJson = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as T;

interface SeedRun { final_state_dict: Record<string, { data: number[] }> }

describe('parity guard: the tutorial against PyTorch', () => {
  for (const seed of [0, 1]) {
    it(`seed ${seed}: final weights within 1e-5 of PyTorch's`, () => {
      const run = readJson<SeedRun>(`../fixtures/seed_run_${seed}.json`);
      const result = new Trainer({ seed }).run();
      for (const k of PARAMETER_KEYS) {
        const want = run.final_state_dict[k.replace(/^model\./, '')].data;
        result.final[k].forEach((v, i) => expect(Math.abs(v - want[i]), `${k}[${i}]`).toBeLessThanOrEqual(1e-5));
      }
    });
  }
});

describe('parity guard: bit for bit against the results recorded before the rewrite', () => {
  const golden = readJson<TutorialGolden[]>('./golden-tutorial.json');
  for (const g of golden) {
    it(`tutorial seed ${g.seed}${g.zeroGrad ? '' : ' without zero_grad'}: losses, curve, final weights, predictions`, () => {
      expect(tutorialRun(g.seed, g.zeroGrad)).toEqual(g);
    });
  }

  it('the example loop (bench/tutorial.ts, public API) ends where the Trainer does', () => {
    const final = golden.find((g) => g.seed === 0 && g.zeroGrad)!.final;
    expect(runTutorial(0).final).toEqual(final);
  });

  it('every op of the battery, forward and backward', () => {
    const want = readJson<Record<string, string>>('./golden-ops.json');
    const got = goldenCases();
    expect(Object.keys(got)).toEqual(Object.keys(want));
    const changed = Object.keys(want).filter((k) => fingerprint(got[k]) !== want[k]);
    expect(changed).toEqual([]);
  });
});
