#!/usr/bin/env node
// Compares the tutorial's example loop of two checkouts of torchlet inside one process, run by run:
//
//   node scripts/bench-ab.mjs ../torchlet-before . [pairs=30]
//
// Each checkout's bench/tutorial.ts is bundled on its own (with this repository's esbuild), so the process holds
// two complete copies of the library; their 200-epoch runs alternate (A B, B A, …) and each pair's B / A is kept.
// Adjacent runs share the machine's phase far better than separate processes do, which lets a change of 2–3%
// show. The comparison runs twice, in two processes, once with each checkout imported first, and prints the
// geometric mean of the two medians: a one-sided bias of the import order (an earlier round saw the module
// imported first run faster; one build against a copy of itself gave 1.00 and 0.99) cancels out.
// AB_NODE_FLAGS='--flag …' passes V8 flags to both processes (e.g. a larger inlining budget, to tell whether a
// change helps by its work or by what V8 then inlines).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const DRIVER = `
const [, , firstPath, secondPath, pairsArg] = process.argv;
const first = await import(firstPath);
const second = await import(secondPath);
const pairs = Number(pairsArg);
const run = (m) => { const r = m.runTutorial(0, 200, m.setUpTutorial(0)); return (r.seconds * 1e6) / r.steps; };
for (let k = 0; k < 3; k++) { run(first); run(second); }
const ratios = [];
for (let p = 0; p < pairs; p++) {
  const [a, b] = p % 2 === 0 ? [run(first), run(second)] : [run(second), run(first)].reverse();
  ratios.push(b / a);
}
ratios.sort((x, y) => x - y);
process.stdout.write(String(ratios[ratios.length >> 1]));
`;

const [dirA, dirB, pairsArg] = process.argv.slice(2);
if (!dirA || !dirB) {
  console.error('usage: node scripts/bench-ab.mjs <checkout A> <checkout B> [pairs]');
  process.exit(2);
}
const pairs = Number(pairsArg ?? 30);
const scratch = mkdtempSync(join(tmpdir(), 'torchlet-ab-'));
try {
  const bundle = async (dir, name) => {
    const outfile = join(scratch, `${name}.mjs`);
    await build({
      entryPoints: [join(resolve(dir), 'bench/tutorial.ts')], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error',
    });
    return outfile;
  };
  const a = await bundle(dirA, 'a');
  const b = await bundle(dirB, 'b');
  const driver = join(scratch, 'driver.mjs');
  writeFileSync(driver, DRIVER);
  const median = (first, second) => Number(execFileSync(process.execPath, [...(process.env.AB_NODE_FLAGS ?? "").split(" ").filter(Boolean), driver, first, second, String(pairs)], { encoding: 'utf8' }));
  const bOverA = median(a, b); // A imported first: the median of B / A
  const aOverB = median(b, a); // B imported first: the median of A / B
  console.log(`B / A: ${bOverA.toFixed(3)} with A imported first, ${(1 / aOverB).toFixed(3)} with B first; ` +
    `combined ${Math.sqrt(bOverA / aOverB).toFixed(3)} (${pairs} pairs each)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
