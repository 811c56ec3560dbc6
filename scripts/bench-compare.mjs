#!/usr/bin/env node
// Compares the tutorial benchmark of two builds of torchlet (two checkouts, each built with `npm run build`), each
// run in its own process, alternating A, B, A, B, … so both see the same drifts of the machine:
//
//   node scripts/bench-compare.mjs ../torchlet-before . [runs=8]
//
// Why separate processes: two versions imported into one process may not start equal (the module imported first
// came out about 10% faster in one round's comparison of one version with itself; scripts/bench-ab.mjs compares in
// one process and runs both import orders to cancel that). Each process reports the example loop's time as a ratio
// to the hand-written floor timed around it; this prints every run and the medians, and B's median ratio over A's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [dirA, dirB, runsArg] = process.argv.slice(2);
if (!dirA || !dirB) {
  console.error('usage: node scripts/bench-compare.mjs <checkout A> <checkout B> [runs]');
  process.exit(2);
}
const runs = Number(runsArg ?? 8);
const scratch = mkdtempSync(join(tmpdir(), 'torchlet-compare-'));

function once(dir, k) {
  const out = join(scratch, `${k}.json`);
  execFileSync(process.execPath, ['--expose-gc', join(resolve(dir), 'dist/bench/run.js'), '--only=tutorial', '--quick', '--processes=1', `--json=${out}`], {
    cwd: resolve(dir), stdio: 'ignore',
  });
  const t = JSON.parse(readFileSync(out, 'utf8')).tutorial;
  return { ratio: t.ratio, us: t.exampleUs, floor: t.floorUs };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = { A: [], B: [] };
try {
  for (let i = 0; i < runs; i++) {
    // alternate which one goes first, so that neither always follows the other
    for (const side of i % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
      const r = once(side === 'A' ? dirA : dirB, `${side}${i}`);
      results[side].push(r);
      console.log(`${side} run ${i + 1}: ${r.us.toFixed(2)} µs/step, ${r.ratio.toFixed(2)}× the floor (${r.floor.toFixed(3)} µs)`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const a = median(results.A.map((r) => r.ratio));
const b = median(results.B.map((r) => r.ratio));
console.log(`\nmedian × the floor: A ${a.toFixed(2)}×, B ${b.toFixed(2)}×; B / A = ${(b / a).toFixed(3)}`);
