// Records the engine's current results as the golden files of test/bench/parity-guard.test.ts.
// Run only when a change of numbers is intended and understood: npx tsx bench/golden/write.ts
import { writeFileSync } from 'node:fs';
import { fingerprint, goldenCases } from './cases.js';
import { tutorialGolden } from './tutorial.js';

const ops = goldenCases();
const fingerprints = Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, fingerprint(v)]));
writeFileSync(new URL('../../test/bench/golden-ops.json', import.meta.url), `${JSON.stringify(fingerprints, null, 1)}\n`);
writeFileSync(new URL('../../test/bench/golden-tutorial.json', import.meta.url), `${JSON.stringify(tutorialGolden())}\n`);
console.log(`wrote ${Object.keys(fingerprints).length} op fingerprints and the tutorial runs`);
