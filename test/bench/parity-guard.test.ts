// Guards "numbers unchanged" while the engine's hot paths are rewritten for speed (bench/, issue 5): the tutorial
// under seeds 0 and 1 ends within 1e-5 of PyTorch's final state_dict, and the benchmark's copy of the example
// loop (bench/tutorial.ts, public API) computes exactly what the lab's Trainer does. (Bit-for-bit checks across
// an engine change: bench/golden/check.ts.)
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../src/lab/train.js';
import { PARAMETER_KEYS } from '../../src/lab/model.js';
import { runTutorial } from '../../bench/tutorial.js';

interface SeedRun { final_state_dict: Record<string, { data: number[] }> }

const fixture = (seed: number): SeedRun =>
  JSON.parse(readFileSync(new URL(`../fixtures/seed_run_${seed}.json`, import.meta.url), 'utf8')) as SeedRun;

describe('parity guard: the tutorial', () => {
  for (const seed of [0, 1]) {
    it(`seed ${seed}: final weights within 1e-5 of PyTorch's`, () => {
      const run = fixture(seed);
      const result = new Trainer({ seed }).run();
      for (const k of PARAMETER_KEYS) {
        const want = run.final_state_dict[k.replace(/^model\./, '')].data;
        result.final[k].forEach((v, i) => expect(Math.abs(v - want[i]), `${k}[${i}]`).toBeLessThanOrEqual(1e-5));
      }
    });
  }

  it('the example loop (bench/tutorial.ts, public API) ends bit for bit where the Trainer does', () => {
    const trainer = new Trainer({ seed: 0, epochs: 20 }).run();
    const example = runTutorial(0, 20);
    expect(example.final).toEqual(PARAMETER_KEYS.flatMap((k) => trainer.final[k]));
    expect(example.steps).toBe(20 * 200);
  });
});
