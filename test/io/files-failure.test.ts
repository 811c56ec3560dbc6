// Failures in the middle of an atomic save, injected into node:fs/promises: the disk filling up halfway
// through the write, fsync failing, the rename failing. Each time the old file must be intact and the
// temporary file gone.
import type * as FsPromises from 'node:fs/promises';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tensor } from '../../src/tensor/creation.js';
import { StateDictFileError, loadStateDictFile, saveStateDict } from '../../src/io/index.js';

type Fs = typeof FsPromises;

/** What the next temporary-file handle should do wrong (set per test, cleared after each). */
const inject: { write?: 'half-then-ENOSPC'; sync?: 'EIO'; rename?: 'EXDEV'; opened: string[] } = { opened: [] };

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<Fs>();
  const open: Fs['open'] = async (...args: Parameters<Fs['open']>) => {
    const handle = await real.open(...args);
    const path = String(args[0]);
    if (!path.endsWith('.tmp')) return handle;
    inject.opened.push(path);
    return new Proxy(handle, {
      get(target, prop, receiver) {
        if (prop === 'writeFile' && inject.write === 'half-then-ENOSPC') {
          return async (data: string | Uint8Array) => {
            const bytes = typeof data === 'string' ? Buffer.from(data) : data;
            await target.write(bytes.subarray(0, bytes.length >> 1));
            throw errno('ENOSPC', 'no space left on device, write');
          };
        }
        if (prop === 'sync' && inject.sync === 'EIO') return async () => { throw errno('EIO', 'i/o error, fsync'); };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  const rename: Fs['rename'] = async (from, to) => {
    if (inject.rename === 'EXDEV') throw errno('EXDEV', 'cross-device link not permitted, rename');
    return real.rename(from, to);
  };
  return { ...real, open, rename, default: { ...real, open, rename } };
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'torchlet-io-fail-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete inject.write;
  delete inject.sync;
  delete inject.rename;
  inject.opened = [];
});

const oldSd = new Map([['w', tensor([1, 2, 3])]]);
const newSd = new Map([['w', tensor(Array.from({ length: 10000 }, (_, i) => i))]]);

let n = 0;
async function withOldFile(name: string): Promise<{ d: string; p: string; before: Buffer }> {
  const d = join(dir, `t${n++}`);
  await mkdir(d);
  const p = join(d, name);
  await saveStateDict(oldSd, p);
  inject.opened = [];
  return { d, p, before: await readFile(p) };
}

describe('atomic save under injected failures', () => {
  for (const name of ['w.safetensors', 'w.json']) {
    it(`disk full halfway through writing ${name}: old file intact, temporary file removed`, async () => {
      const { d, p, before } = await withOldFile(name);
      inject.write = 'half-then-ENOSPC';
      const err = await saveStateDict(newSd, p).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(StateDictFileError);
      expect((err as StateDictFileError).message).toBe(`cannot write ${p}: no space left on the device`);
      expect((err as StateDictFileError).code).toBe('ENOSPC');
      expect(inject.opened).toHaveLength(1); // the failure really happened inside a temporary file
      expect(inject.opened[0].startsWith(join(d, `.${name}.`))).toBe(true);
      expect(await readFile(p)).toEqual(before);
      expect(await readdir(d)).toEqual([name]);
      expect([...(await loadStateDictFile(p)).get('w')!.values()]).toEqual([1, 2, 3]);
    });
  }

  it('fsync fails after the whole write: old file intact, temporary file removed', async () => {
    const { d, p, before } = await withOldFile('w.safetensors');
    inject.sync = 'EIO';
    const err = await saveStateDict(newSd, p).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StateDictFileError);
    expect((err as Error).message).toBe(`cannot write ${p}: EIO: i/o error, fsync`);
    expect(inject.opened).toHaveLength(1);
    expect(await readFile(p)).toEqual(before);
    expect(await readdir(d)).toEqual(['w.safetensors']);
  });

  it('the rename fails after a complete, synced temporary file: old file intact, temporary file removed', async () => {
    const { d, p, before } = await withOldFile('w.json');
    inject.rename = 'EXDEV';
    const err = await saveStateDict(newSd, p).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StateDictFileError);
    expect((err as Error).message).toBe(`cannot write ${p}: EXDEV: cross-device link not permitted, rename`);
    expect(inject.opened).toHaveLength(1);
    expect(await readFile(p)).toEqual(before);
    expect(await readdir(d)).toEqual(['w.json']);
  });

  it('with nothing injected the same save succeeds (the mock itself changes nothing)', async () => {
    const { d, p } = await withOldFile('w.safetensors');
    await saveStateDict(newSd, p);
    expect(inject.opened).toHaveLength(1);
    expect((await loadStateDictFile(p)).get('w')!.numel()).toBe(10000);
    expect(await readdir(d)).toEqual(['w.safetensors']);
  });
});
