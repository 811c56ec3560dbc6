import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as browserIo from '../../src/io/browser.js';
import * as nodeIo from '../../src/io/index.js';

// src/io/browser.ts is what a page may import from src/io: it must bundle for the browser without any node:
// module, and index.ts (which derives its list from it) must offer all of it plus the file functions.

describe('src/io/browser.ts', () => {
  it('bundles for the browser with no node: import', async () => {
    const entry = fileURLToPath(new URL('../../src/io/browser.ts', import.meta.url));
    const out = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const imports = Object.values(out.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => p.startsWith('node:') || /^(fs|path|os|url|crypto)$/.test(p))).toEqual([]);
    expect(Object.keys(out.metafile.inputs).filter((f) => f.includes('files.ts'))).toEqual([]);
  });

  it('is a subset of src/io/index.ts, which adds only the Node file functions', () => {
    const browserNames = Object.keys(browserIo).sort();
    for (const name of browserNames) expect(nodeIo[name as keyof typeof nodeIo], name).toBe(browserIo[name as keyof typeof browserIo]);
    expect(Object.keys(nodeIo).filter((n) => !browserNames.includes(n)).sort())
      .toEqual(['StateDictFileError', 'loadStateDictFile', 'saveStateDict', 'sniffStateDictFormat', 'writeFileAtomic']);
  });
});
