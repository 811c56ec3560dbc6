#!/usr/bin/env node
// The CLI is compiled by `npm install` (the prepare script) into dist/.
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`torchlet: ${err instanceof Error ? err.message : String(err)}`); process.exitCode = 1; },
);
