import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Tensor } from '../tensor/tensor.js';
import { StateDictFormatError } from './errors.js';
import { decodeStateDictJson, encodeStateDictJson } from './json-format.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export type StateDictFileFormat = 'safetensors' | 'json';

function formatOf(file: string): StateDictFileFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.json') return 'json';
  throw new StateDictFormatError(`cannot tell the format of '${file}': use a name ending in .safetensors or .json`);
}

/** Writes through a temporary file in the same directory renamed into place: a failed save leaves the old file. */
export async function writeFileAtomic(file: string, contents: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Saves a state_dict as .safetensors (what PyTorch's safetensors reads) or .json, atomically. */
export async function saveStateDict(sd: ReadonlyMap<string, Tensor>, file: string, opts: { metadata?: Record<string, string> } = {}): Promise<void> {
  // Encode first: an encoding error must not touch the file system at all.
  const contents = formatOf(file) === 'safetensors' ? encodeSafetensors(sd, opts.metadata) : encodeStateDictJson(sd, opts.metadata);
  await writeFileAtomic(file, contents);
}

/** Loads a state_dict saved by saveStateDict (or any F32/F64 safetensors file). */
export async function loadStateDictFile(file: string): Promise<Map<string, Tensor>> {
  const format = formatOf(file);
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new StateDictFormatError(`no such file: ${file}`);
  }
  if (info.isDirectory()) throw new StateDictFormatError(`'${file}' is a directory, not a weights file`);
  if (info.size === 0) throw new StateDictFormatError(`'${file}' is empty`);
  const bytes = new Uint8Array(await readFile(file));
  const looksJson = bytes[0] === 0x7b || bytes[0] === 0x20 || bytes[0] === 0x0a;
  if (format === 'json') {
    if (!looksJson) throw new StateDictFormatError(`'${file}' does not contain JSON (is it a safetensors file?)`);
    return withFile(file, () => decodeStateDictJson(new TextDecoder().decode(bytes)));
  }
  return withFile(file, () => decodeSafetensors(bytes));
}

function withFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof StateDictFormatError) throw new StateDictFormatError(`${file}: ${err.message}`);
    throw err;
  }
}
