// A local guard for engine work: records a fingerprint of every result of the op battery and of the tutorial
// runs, and later compares against it, naming what moved. Record before a change, compare after:
//   npx tsx bench/golden/check.ts --write     (snapshot into $TMPDIR/torchlet-golden.json, or --file=PATH)
//   npx tsx bench/golden/check.ts             (compare)
// It is not a test: other work may change numbers on purpose (e.g. towards PyTorch's summation orders), so a
// snapshot is only meaningful across your own change.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint, goldenCases } from './cases.js';
import { tutorialGolden } from './tutorial.js';

const args = process.argv.slice(2);
const file = args.find((a) => a.startsWith('--file='))?.slice(7) ?? join(tmpdir(), 'torchlet-golden.json');
const now: Record<string, string> = {};
for (const [k, v] of Object.entries(goldenCases())) now[k] = fingerprint(v);
for (const run of tutorialGolden()) {
  now[`tutorial seed ${run.seed}${run.zeroGrad ? '' : ' no zero_grad'}`] = fingerprint([...run.firstLosses, ...run.final, ...run.curve, ...run.predictions]);
}
if (args.includes('--write')) {
  writeFileSync(file, `${JSON.stringify(now, null, 1)}\n`);
  console.log(`recorded ${Object.keys(now).length} fingerprints in ${file}`);
} else {
  const before = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const moved = Object.keys(now).filter((k) => before[k] !== now[k]);
  console.log(moved.length === 0 ? `all ${Object.keys(now).length} results unchanged` : `changed:\n  ${moved.join('\n  ')}`);
  process.exitCode = moved.length === 0 ? 0 : 1;
}
