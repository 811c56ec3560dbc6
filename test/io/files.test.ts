import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import {
  StateDictFileError,
  StateDictFormatError,
  encodeSafetensors,
  loadStateDictFile,
  saveStateDict,
  sniffStateDictFormat,
  writeFileAtomic,
} from '../../src/io/index.js';

const isRoot = process.getuid?.() === 0;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'torchlet-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
/** A fresh empty directory for one test. */
async function fresh(): Promise<string> {
  const d = join(dir, `t${n++}`);
  await mkdir(d);
  return d;
}

const cnn = (): Map<string, Tensor> =>
  new Map([
    ['model.0.weight', tensor([[[[0.1, -0.2], [0.3, -0]]]])],
    ['model.0.bias', tensor([1e-45])],
    ['model.2.weight', tensor([[[[1, 2], [3, 4]]]], { dtype: 'float64' })],
    ['model.2.bias', tensor(-0.5, { dtype: 'float64' })],
  ]);

function expectSame(a: ReadonlyMap<string, Tensor>, b: ReadonlyMap<string, Tensor>): void {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [k, t] of a) {
    expect(b.get(k)!.dtype).toBe(t.dtype);
    expect(b.get(k)!.shape).toEqual(t.shape);
    expect(Array.from(b.get(k)!.values()).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual(Array.from(t.values()).map((v) => Object.is(v, -0) ? '-0' : v));
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('\n');
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('saveStateDict / loadStateDictFile', () => {
  it('round-trips both formats, chosen by the extension (any case)', async () => {
    const d = await fresh();
    for (const name of ['w.safetensors', 'w.json', 'W.SafeTensors', 'W.JSON']) {
      await saveStateDict(cnn(), join(d, name), { metadata: { epoch: '3' } });
      expectSame(cnn(), await loadStateDictFile(join(d, name)));
    }
    expect(sniffStateDictFormat(await readFile(join(d, 'w.safetensors')))).toBe('safetensors');
    expect(sniffStateDictFormat(await readFile(join(d, 'w.json')))).toBe('json');
    expect((await readFile(join(d, 'w.json'), 'utf8')).startsWith('{"format": "torchlet.state_dict"')).toBe(true);
    expect(await readdir(d)).toEqual(['W.JSON', 'W.SafeTensors', 'w.json', 'w.safetensors']);
  });

  it('saves the empty state_dict', async () => {
    const d = await fresh();
    await saveStateDict(new Map(), join(d, 'e.safetensors'));
    await saveStateDict(new Map(), join(d, 'e.json'));
    expect((await loadStateDictFile(join(d, 'e.safetensors'))).size).toBe(0);
    expect((await loadStateDictFile(join(d, 'e.json'))).size).toBe(0);
  });

  it('refuses an extension it does not know unless a format is given, and a format that contradicts the name', async () => {
    const d = await fresh();
    const e = await rejection(saveStateDict(cnn(), join(d, 'w.pt')));
    expect(e).toBeInstanceOf(StateDictFormatError);
    expect(e.message).toBe(`cannot tell which format to save ${join(d, 'w.pt')} in: use a name ending in .safetensors or .json`);
    expect((await rejection(saveStateDict(cnn(), join(d, 'w.json'), { format: 'safetensors' }))).message).toMatch(/cannot save safetensors as .*w\.json: the name says json/);
    expect((await rejection(saveStateDict(cnn(), join(d, 'w.x'), { format: 'pickle' as 'json' }))).message).toMatch(/unknown state_dict format "pickle"/);
    expect(await readdir(d)).toEqual([]);
    // With a format, any name; loading then goes by the contents.
    await saveStateDict(cnn(), join(d, 'w.bin'), { format: 'json' });
    await saveStateDict(cnn(), join(d, 'w.weights'), { format: 'safetensors' });
    expectSame(cnn(), await loadStateDictFile(join(d, 'w.bin')));
    expectSame(cnn(), await loadStateDictFile(join(d, 'w.weights')));
  });

  it('reads a safetensors file that another writer laid out (tensors out of data order)', async () => {
    const d = await fresh();
    const header = '{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const bytes = new Uint8Array(8 + header.length + 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    bytes.set(new Uint8Array(new Float32Array([1, 2]).buffer), 8 + header.length);
    await writeFile(join(d, 'x.safetensors'), bytes);
    const sd = await loadStateDictFile(join(d, 'x.safetensors'));
    expect([...sd].map(([k, t]) => [k, t.item()])).toEqual([['b', 2], ['a', 1]]);
  });
});

describe('loadStateDictFile errors name the file', () => {
  it('missing file: "no such file: <path>" (StateDictFileError, ENOENT)', async () => {
    const p = join(dir, 'missing.safetensors');
    const e = await rejection(loadStateDictFile(p));
    expect(e).toBeInstanceOf(StateDictFileError);
    expect(e.message).toBe(`no such file: ${p}`);
    expect((e as StateDictFileError).code).toBe('ENOENT');
    expect((e as StateDictFileError).path).toBe(p);
  });

  it('a directory', async () => {
    const d = await fresh();
    await mkdir(join(d, 'x.safetensors'));
    const e = await rejection(loadStateDictFile(join(d, 'x.safetensors')));
    expect(e).toBeInstanceOf(StateDictFileError);
    expect(e.message).toBe(`cannot read ${join(d, 'x.safetensors')}: it is a directory, not a state_dict file`);
  });

  it.skipIf(process.platform === 'win32')('a FIFO is refused without blocking on it', async () => {
    const d = await fresh();
    execFileSync('mkfifo', [join(d, 'p.json')]);
    const e = await rejection(loadStateDictFile(join(d, 'p.json')));
    expect(e.message).toBe(`cannot read ${join(d, 'p.json')}: not a regular file`);
  });

  it.skipIf(isRoot)('no read permission (skipped when run as root, who ignores file permissions)', async () => {
    const d = await fresh();
    await saveStateDict(cnn(), join(d, 'w.safetensors'));
    await chmod(join(d, 'w.safetensors'), 0o000);
    const e = await rejection(loadStateDictFile(join(d, 'w.safetensors')));
    expect(e).toBeInstanceOf(StateDictFileError);
    expect(e.message).toBe(`cannot read ${join(d, 'w.safetensors')}: permission denied`);
  });

  it('an empty file', async () => {
    const d = await fresh();
    for (const name of ['e.safetensors', 'e.json']) {
      await writeFile(join(d, name), '');
      const e = await rejection(loadStateDictFile(join(d, name)));
      expect(e).toBeInstanceOf(StateDictFormatError);
      expect(e.message).toBe(`${join(d, name)} is empty (0 bytes)`);
    }
  });

  it('a truncated file, at every length', async () => {
    const d = await fresh();
    const full = encodeSafetensors(cnn());
    const p = join(d, 't.safetensors');
    for (let len = 1; len < full.length; len++) {
      await writeFile(p, full.subarray(0, len));
      const e = await rejection(loadStateDictFile(p));
      expect(e, `length ${len}`).toBeInstanceOf(StateDictFormatError);
      expect(e.message.startsWith(`${p}: not a valid safetensors file: `), e.message).toBe(true);
    }
    await writeFile(p, full.subarray(0, full.length - 3));
    expect((await rejection(loadStateDictFile(p))).message).toMatch(/past the end of the \d+-byte data section \(truncated file\?\)/);
    await writeFile(p, full.subarray(0, 40));
    expect((await rejection(loadStateDictFile(p))).message).toMatch(/that follow it \(truncated file, or not safetensors\)/);
    await saveStateDict(cnn(), join(d, 't.json'));
    const json = await readFile(join(d, 't.json'), 'utf8');
    for (let len = 1; len < json.length - 1; len += 7) {
      await writeFile(join(d, 't.json'), json.slice(0, len));
      expect((await rejection(loadStateDictFile(join(d, 't.json')))).message).toMatch(/t\.json: not a valid torchlet state_dict JSON file: invalid JSON/);
    }
  });

  it('contents that contradict the extension get a clear message', async () => {
    const d = await fresh();
    await saveStateDict(cnn(), join(d, 'real.safetensors'));
    await saveStateDict(cnn(), join(d, 'real.json'));
    await writeFile(join(d, 'fake.json'), await readFile(join(d, 'real.safetensors')));
    await writeFile(join(d, 'fake.safetensors'), await readFile(join(d, 'real.json')));
    const a = await rejection(loadStateDictFile(join(d, 'fake.json')));
    expect(a).toBeInstanceOf(StateDictFormatError);
    expect(a.message).toBe(`${join(d, 'fake.json')} holds safetensors bytes, not JSON: rename it to end in .safetensors`);
    const b = await rejection(loadStateDictFile(join(d, 'fake.safetensors')));
    expect(b.message).toBe(`${join(d, 'fake.safetensors')} holds JSON text, not safetensors: rename it to end in .json`);
  });

  it('a torch.save zip, garbage with an unknown extension, invalid UTF-8, a size limit', async () => {
    const d = await fresh();
    await writeFile(join(d, 'model.pt'), Buffer.from('PK\x03\x04 archive/data.pkl ...'));
    expect((await rejection(loadStateDictFile(join(d, 'model.pt')))).message).toMatch(/model\.pt is a zip archive, as torch\.save writes \(pickle\), which torchlet does not read: save it from Python with safetensors\.torch\.save_file/);
    await writeFile(join(d, 'x.bin'), 'hello');
    expect((await rejection(loadStateDictFile(join(d, 'x.bin')))).message).toBe(
      `cannot tell the format of ${join(d, 'x.bin')}: it is neither safetensors nor torchlet JSON (use a name ending in .safetensors or .json)`,
    );
    await writeFile(join(d, 'x.json'), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]));
    expect((await rejection(loadStateDictFile(join(d, 'x.json')))).message).toBe(`${join(d, 'x.json')}: not a valid torchlet state_dict JSON file: the text is not valid UTF-8`);
    await saveStateDict(cnn(), join(d, 'w.safetensors'));
    const size = (await stat(join(d, 'w.safetensors'))).size;
    expect((await rejection(loadStateDictFile(join(d, 'w.safetensors'), { maxBytes: 100 }))).message).toBe(`${join(d, 'w.safetensors')} is ${size} bytes, over the 100-byte limit`);
  });
});

describe('atomic saves', () => {
  it('replaces an existing file and leaves no temporary file', async () => {
    const d = await fresh();
    const p = join(d, 'w.safetensors');
    await saveStateDict(new Map([['old', tensor([1])]]), p);
    await saveStateDict(cnn(), p);
    expectSame(cnn(), await loadStateDictFile(p));
    expect(await readdir(d)).toEqual(['w.safetensors']);
  });

  it('a state_dict that cannot be encoded (a NaN) leaves the old file byte for byte, and no temporary file', async () => {
    const d = await fresh();
    for (const name of ['w.safetensors', 'w.json']) {
      const p = join(d, name);
      await saveStateDict(cnn(), p);
      const before = await readFile(p);
      const e = await rejection(saveStateDict(new Map([['w', tensor([1, NaN])]]), p));
      expect(e).toBeInstanceOf(StateDictFormatError);
      expect(e.message).toBe('cannot save "w": element 1 is NaN (torchlet state_dict files hold finite values only)');
      expect(await readFile(p)).toEqual(before);
    }
    expect(await readdir(d)).toEqual(['w.json', 'w.safetensors']);
  });

  it('a target that is a directory is refused and left alone', async () => {
    const d = await fresh();
    await mkdir(join(d, 'w.safetensors'));
    await writeFile(join(d, 'w.safetensors', 'inside'), 'x');
    const e = await rejection(saveStateDict(cnn(), join(d, 'w.safetensors')));
    expect(e).toBeInstanceOf(StateDictFileError);
    expect(e.message).toBe(`cannot write ${join(d, 'w.safetensors')}: it is a directory`);
    expect(await readdir(d)).toEqual(['w.safetensors']);
    expect(await readdir(join(d, 'w.safetensors'))).toEqual(['inside']);
  });

  it('a missing directory is named', async () => {
    const d = await fresh();
    const e = await rejection(saveStateDict(cnn(), join(d, 'nope', 'w.json')));
    expect(e).toBeInstanceOf(StateDictFileError);
    expect(e.message).toBe(`cannot write ${join(d, 'nope', 'w.json')}: no such directory: ${join(d, 'nope')}`);
  });

  it.skipIf(isRoot)('a read-only directory: the old file survives, no temporary file (skipped as root, who may write anywhere)', async () => {
    const d = await fresh();
    const p = join(d, 'w.safetensors');
    await saveStateDict(cnn(), p);
    const before = await readFile(p);
    await chmod(d, 0o555);
    try {
      const e = await rejection(saveStateDict(new Map([['x', tensor([2])]]), p));
      expect(e.message).toBe(`cannot write ${p}: permission denied`);
    } finally {
      await chmod(d, 0o755);
    }
    expect(await readFile(p)).toEqual(before);
    expect(await readdir(d)).toEqual(['w.safetensors']);
  });

  it('keeps the permission bits of the file it replaces', async () => {
    const d = await fresh();
    const p = join(d, 'w.json');
    await saveStateDict(cnn(), p);
    await chmod(p, 0o640);
    await saveStateDict(new Map([['x', tensor([2])]]), p);
    expect((await stat(p)).mode & 0o777).toBe(0o640);
  });

  it('concurrent saves to one name end with one whole file and no temporary files', async () => {
    const d = await fresh();
    const p = join(d, 'w.safetensors');
    const sds = Array.from({ length: 12 }, (_, i) => new Map([['w', tensor(Array.from({ length: 5000 }, () => i))]]));
    await Promise.all(sds.map((sd) => saveStateDict(sd, p)));
    const w = (await loadStateDictFile(p)).get('w')!.values();
    expect(w.every((v) => v === w[0])).toBe(true);
    expect(await readdir(d)).toEqual(['w.safetensors']);
  });

  it('writeFileAtomic writes text and bytes', async () => {
    const d = await fresh();
    await writeFileAtomic(join(d, 'a.txt'), 'héllo\n');
    await writeFileAtomic(join(d, 'b.bin'), new Uint8Array([1, 2, 3]));
    expect(await readFile(join(d, 'a.txt'), 'utf8')).toBe('héllo\n');
    expect([...(await readFile(join(d, 'b.bin')))]).toEqual([1, 2, 3]);
    expect((await readdir(d)).sort()).toEqual(['a.txt', 'b.bin']);
  });
});
