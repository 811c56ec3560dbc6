import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveStateDict } from '../../src/io/files.js';
import { seedRun, stateDictOf } from '../lab/helpers.js';
import { cli, type Run } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let model: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'torchlet-lab-errors-'));
  model = join(dir, 'model.json');
  await saveStateDict(stateDictOf(seedRun('seed_run_0.json').final_state_dict), model);
});

/** One line on stderr naming the problem, exit code 2, no stack trace, nothing on stdout beyond a first notice. */
function expectUsageError(r: Run, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.err).toHaveLength(1);
  expect(r.err[0]).toMatch(pattern);
  expect(r.err[0]).not.toMatch(/\n|^\s+at /);
  expect(r.out.join('\n')).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

describe('bad matrices', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['malformed JSON', ['predict', '--model', 'M', '[[1,2,3],[4,5,6],[7,8'], /^torchlet: invalid matrix: not valid JSON: \[\[1,2,3\],\[4,5,6\],\[7,8$/],
    ['a row of the wrong length', ['explain', '--model', 'M', '[[1,2,3],[4,5],[7,8,9]]'], /^torchlet: invalid matrix: row 2 has 2 numbers, expected 3$/],
    ['too few numbers', ['predict', '--model', 'M', '1,2,3'], /^torchlet: invalid matrix: expected 9 numbers, got 3$/],
    ['too many numbers', ['grad', '--model', 'M', '1,2,3,4,5,6,7,8,9,10', '--target', '1'], /^torchlet: invalid matrix: expected 9 numbers, got 10$/],
    ['NaN', ['predict', '--model', 'M', '1,2,3,4,5,6,7,8,NaN'], /^torchlet: invalid matrix: element 9 \(NaN\) is not a finite number$/],
    ['Infinity', ['predict', '--model', 'M', '1,2,3,Infinity,5,6,7,8,9'], /^torchlet: invalid matrix: element 4 \(Infinity\) is not a finite number$/],
    ['a number that overflows', ['explain', '--model', 'M', '1e999,2,3,4,5,6,7,8,9'], /^torchlet: invalid matrix: element 1 \(1e999\) is not a finite number$/],
    ['not a number', ['predict', '--model', 'M', '1,2,x,4,5,6,7,8,9'], /^torchlet: invalid matrix: element 3 \(x\) is not a finite number$/],
    ['which of several', ['predict', '--model', 'M', '1,1,1,1,1,1,1,1,1', '1,2'], /^torchlet: matrix 2: invalid matrix: expected 9 numbers, got 2$/],
    ['no matrix for explain', ['explain', '--model', 'M'], /^torchlet: explain needs a matrix/],
    ['two matrices for grad', ['grad', '--model', 'M', '1,1,1,1,1,1,1,1,1', '2,2,2,2,2,2,2,2,2', '--target', '0'], /^torchlet: grad takes one matrix, got 2$/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => expectUsageError(await cli(...args.map((a) => (a === 'M' ? model : a))), pattern));
  }
});

describe('bad model files', () => {
  it('missing', async () => {
    expectUsageError(await cli('predict', '--model', join(dir, 'nope.safetensors')), /^torchlet: no such file: .*nope\.safetensors$/);
  });
  it('empty', async () => {
    const f = join(dir, 'empty.json');
    writeFileSync(f, '');
    expectUsageError(await cli('explain', '--model', f, '1,2,3,4,5,6,7,8,9'), /^torchlet: .*empty\.json is empty \(0 bytes\)$/);
  });
  it('corrupt safetensors (random bytes), unchanged afterwards', async () => {
    const f = join(dir, 'corrupt.safetensors');
    const bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) % 256));
    writeFileSync(f, bytes);
    expectUsageError(await cli('predict', '--model', f), /^torchlet: .*corrupt\.safetensors/);
    expect(readFileSync(f).equals(bytes)).toBe(true);
  });
  it('truncated safetensors', async () => {
    const whole = join(dir, 'whole.safetensors');
    await saveStateDict(stateDictOf(seedRun('seed_run_0.json').final_state_dict), whole);
    const f = join(dir, 'truncated.safetensors');
    const b = readFileSync(whole);
    writeFileSync(f, b.subarray(0, b.length - 5));
    expectUsageError(await cli('grad', '--model', f, '1,2,3,4,5,6,7,8,9', '--target', '1'), /^torchlet: .*truncated\.safetensors/);
  });
  it('a valid state_dict of another model', async () => {
    const f = join(dir, 'other.json');
    const sd = stateDictOf(seedRun('seed_run_0.json').final_state_dict);
    sd.delete('model.2.bias');
    await saveStateDict(sd, f);
    expectUsageError(await cli('predict', '--model', f), /^torchlet: .*other\.json does not fit the tutorial's CNN: Missing key\(s\) in state_dict: "model\.2\.bias"$/);
  });
  it('a directory', async () => {
    expectUsageError(await cli('predict', '--model', dir), /^torchlet: cannot read .*: it is a directory/);
  });
});

describe('bad commands and options', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown command', ['predcit'], /^error: unknown command 'predcit' \(Did you mean predict\?\)$/],
    ['unknown option (predict)', ['predict', '--bogus'], /^torchlet: unknown option '--bogus'$/],
    ['unknown option (sweep)', ['sweep', '--bogus'], /^error: unknown option '--bogus'$/],
    ['non-numeric --lr (grad)', ['grad', '1,2,3,4,5,6,7,8,9', '--target', '1', '--lr', 'abc'], /^error: option '--lr <x>' argument 'abc' is invalid\. expected a positive number, got 'abc'\.$/],
    ['non-numeric --lr (sweep)', ['sweep', '--lr', '0.1,abc'], /^error: option '--lr <list>' argument '0\.1,abc' is invalid\. expected positive numbers, got 'abc'\.$/],
    ['negative --lr (ablate)', ['ablate', 'zero-grad', '--lr', '-1'], /^error: option '--lr <x>' argument '-1' is invalid/],
    ['missing --target', ['grad', '1,2,3,4,5,6,7,8,9'], /^error: required option '--target <0\|1>' not specified$/],
    ['bad --target', ['grad', '1,2,3,4,5,6,7,8,9', '--target', '2'], /^error: option '--target <0\|1>' argument '2' is invalid\. expected one of 0, 1, got '2'\.$/],
    ['unknown ablation', ['ablate', 'dropout'], /^torchlet: unknown ablation 'dropout' \(available: zero-grad\)$/],
    ['epoch count 0', ['sweep', '--epochs', '0,10'], /^error: option '--epochs <list>' argument '0,10' is invalid\. epoch counts must be at least 1, got 0\.$/],
    ['backwards seed range', ['atlas', '--seeds', '5..1'], /^error: option '--seeds <list>' argument '5\.\.1' is invalid\. range '5\.\.1' runs backwards\.$/],
    ['unknown procedure', ['atlas', '--variants', 'tutorial,dropout'], /^error: option '--variants <list>' argument 'tutorial,dropout' is invalid\. unknown procedure 'dropout'/],
    ['--workers 0', ['sweep', '--workers', '0'], /^error: option '--workers <n>' argument '0' is invalid\. expected an integer ≥ 1, got '0'\.$/],
    ['a plot that is not .svg/.png', ['ablate', 'zero-grad', '--plot', 'x.gif'], /^torchlet: cannot write a plot as '\.gif' \(x\.gif\): use \.svg or \.png$/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => expectUsageError(await cli(...args), pattern));
  }

  it('nothing is overwritten: an existing --json file survives a refused run', async () => {
    const json = join(dir, 'keep.json');
    writeFileSync(json, '{"keep": true}\n');
    expectUsageError(await cli('sweep', '--json', json, '--plot', join(dir, 'x.jpeg'), '--seeds', '0'), /^torchlet: cannot write a plot as '\.jpeg'/);
    expectUsageError(await cli('atlas', '--json', json, '--seeds', '0..x'), /argument '0\.\.x' is invalid/);
    expect(readFileSync(json, 'utf8')).toBe('{"keep": true}\n');
  });

  it('an output directory that does not exist is refused before training', async () => {
    const start = performance.now();
    expectUsageError(await cli('sweep', '--json', join(dir, 'no', 'such', 'dir', 'out.json')), /^torchlet: cannot write .*out\.json: no such directory: /);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('through a real process (bin/torchlet.js)', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
  }, 60_000);

  function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return runWith([], ...args);
  }

  function runWith(nodeArgs: string[], ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [...nodeArgs, 'bin/torchlet.js', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  }

  it('a bad matrix: exit code 2, one line on stderr', async () => {
    const r = await run('predict', '--model', model, '1,2,3');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('torchlet: invalid matrix: expected 9 numbers, got 3\n');
    expect(r.stdout).toBe('');
  });

  it('an unknown command and a missing model: exit code 2, one line each', async () => {
    const a = await run('atlass');
    expect(a.code).toBe(2);
    expect(a.stderr).toBe("error: unknown command 'atlass' (Did you mean atlas?)\n");
    const b = await run('explain', '--model', join(dir, 'missing.json'), '1,1,1,1,1,1,1,1,1');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^torchlet: no such file: .*missing\.json\n$/);
  });

  it('a good run exits 0', async () => {
    const r = await run('predict', '--model', model, '-2,-2,-2,-2,-2,-2,-2,-2,-2');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('true  (all elements equal)');
  });

  it('loads the plotting libraries only to write a plot (they are most of a command\'s start-up)', async () => {
    // a module hook that refuses vega, vega-lite and resvg: a command that imports them at start-up fails
    const hook = join(dir, 'no-renderers.mjs');
    writeFileSync(hook, "export async function resolve(s, c, next) { if (/^(vega|vega-lite|@resvg\\/resvg-js)$/.test(s)) throw new Error(`renderer loaded: ${s}`); return next(s, c); }\n");
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${hook}`).href)});\n`);
    const flags = ['--import', register];
    const plain = await runWith(flags, 'train', '--epochs', '1');
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    const plotted = await runWith(flags, 'train', '--epochs', '1', '--plot', join(dir, 'loss.svg'));
    expect(plotted.code).not.toBe(0);
    expect(plotted.stderr).toMatch(/renderer loaded: (vega|vega-lite|@resvg\/resvg-js)/);
  });
});
