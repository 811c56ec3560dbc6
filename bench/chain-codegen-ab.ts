/**
 * Same-process A/B of the fused chain's generated kernels (src/ops/chain-codegen.ts) against the interpreted ones,
 * on the tutorial's training loop (runTutorial), reported as ratios (generated / interpreted time): this machine
 * is shared and its speed moves too much for absolute times to mean anything.
 *
 * 1. Whole runs: the tutorial's 200 epochs with a fresh model and data per run (setUpTutorial), `chainCodegen.enabled`
 *    on and off in pairs whose order alternates, each run after a full collection and three short untimed runs
 *    with the same setting (bench/run.ts says why); the median of the per-pair ratios.
 * 2. Chunks: one model per round, 2-epoch chunks alternating between the two settings (the switch is read on every
 *    call), so both sides see the same moments of the machine; the median over rounds of each round's ratio.
 *
 *   node --expose-gc --import tsx bench/chain-codegen-ab.ts [pairs=12] [rounds=30]
 */
import { chainCodegen } from '../src/ops/chain-codegen.js';
import { median } from './harness.js';
import { runTutorial, setUpTutorial } from './tutorial.js';

const pairs = Number(process.argv[2] ?? 12);
const rounds = Number(process.argv[3] ?? 30);
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

/**
 * One timed run: its wall seconds, and the process's CPU seconds over it (user + system, all threads: GC and
 * compiler threads included, but not the time another process held the core, which only the wall clock counts).
 */
function timedRun(generated: boolean): { seconds: number; cpu: number; final: number[] } {
  chainCodegen.enabled = generated;
  collect();
  for (let k = 0; k < 3; k++) runTutorial(0, 10);
  const setup = setUpTutorial(0);
  const before = process.cpuUsage();
  const run = runTutorial(0, 200, setup);
  const cpu = process.cpuUsage(before);
  return { seconds: run.seconds, cpu: (cpu.user + cpu.system) / 1e6, final: run.final };
}

function summary(label: string, ratios: number[]): void {
  const sorted = [...ratios].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(3);
  console.log(`${label}: median ${median(ratios).toFixed(3)} (quartiles ${q(0.25)}–${q(0.75)}, ${ratios.length} samples)`);
  console.log(`  ${ratios.map((r) => r.toFixed(3)).join(' ')}`);
}

const runRatios: number[] = [];
const cpuRatios: number[] = [];
for (let p = 0; p < pairs + 1; p++) {
  // alternate which side goes first, so a drift in the machine's speed does not favour one
  const generatedFirst = p % 2 === 0;
  const a = timedRun(generatedFirst);
  const b = timedRun(!generatedFirst);
  const [gen, int] = generatedFirst ? [a, b] : [b, a];
  if (gen.final.some((v, i) => !Object.is(v, int.final[i]))) throw new Error('generated and interpreted runs ended apart');
  if (p === 0) continue; // the first pair warms up
  runRatios.push(gen.seconds / int.seconds);
  cpuRatios.push(gen.cpu / int.cpu);
}

const chunkRatios: number[] = [];
for (let r = 0; r < rounds + 2; r++) {
  const setup = setUpTutorial(0);
  let generated = 0;
  let interpreted = 0;
  for (let c = 0; c < 10; c++) {
    for (const on of c % 2 === 0 ? [true, false] : [false, true]) {
      chainCodegen.enabled = on;
      const s = runTutorial(0, 2, setup).seconds;
      if (on) generated += s;
      else interpreted += s;
    }
  }
  if (r >= 2) chunkRatios.push(generated / interpreted);
}
chainCodegen.enabled = true;

summary('whole runs, generated / interpreted', runRatios);
summary('whole runs, CPU time, generated / interpreted', cpuRatios);
summary('2-epoch chunks, generated / interpreted', chunkRatios);
console.log(`runs of the generated kernels: ${JSON.stringify(chainCodegen.runs)}`);
