/**
 * Same-process A/B of the fused chain's generated kernels (src/ops/chain-codegen.ts): the tutorial's 200 epochs
 * (runTutorial, a fresh model and data per run) with `chainCodegen.enabled` on and off, in pairs whose order
 * alternates, each run after a full collection and three short untimed runs with the same setting (see
 * bench/run.ts for why). Prints the median of the per-pair time ratios (generated / interpreted) and checks that
 * both ends at the same parameters.
 *
 *   node --expose-gc --import tsx bench/chain-codegen-ab.ts [pairs=12]
 */
import { chainCodegen } from '../src/ops/chain-codegen.js';
import { median } from './harness.js';
import { runTutorial, setUpTutorial } from './tutorial.js';

const pairs = Number(process.argv[2] ?? 12);
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

function timedRun(generated: boolean): { seconds: number; final: number[] } {
  chainCodegen.enabled = generated;
  collect();
  for (let k = 0; k < 3; k++) runTutorial(0, 10);
  const setup = setUpTutorial(0);
  const run = runTutorial(0, 200, setup);
  return { seconds: run.seconds, final: run.final };
}

const ratios: number[] = [];
const on: number[] = [];
const off: number[] = [];
for (let p = 0; p < pairs + 1; p++) {
  // alternate which side goes first, so drift in the machine's speed does not favour one
  const first = p % 2 === 0;
  const a = timedRun(first);
  const b = timedRun(!first);
  const gen = first ? a : b;
  const int = first ? b : a;
  if (gen.final.some((v, i) => !Object.is(v, int.final[i]))) throw new Error('generated and interpreted runs ended apart');
  if (p === 0) continue; // warm-up pair
  ratios.push(gen.seconds / int.seconds);
  on.push((gen.seconds * 1e6) / 40_000);
  off.push((int.seconds * 1e6) / 40_000);
}
chainCodegen.enabled = true;
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' ');
console.log(`pairs: ${pairs}`);
console.log(`ratios generated/interpreted: ${fmt(ratios)}`);
console.log(`median ratio: ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})`);
console.log(`µs/step, medians (of one moment of a shared machine): generated ${median(on).toFixed(2)}, interpreted ${median(off).toFixed(2)}`);
console.log(`runs of the generated kernels: ${JSON.stringify(chainCodegen.runs)}`);
