import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { plotFormat } from './plot-file.js';

/**
 * Refuses an output file name before a long run is spent on it: a plot must end in .svg or .png, a JSON file in
 * .json, and the directory must exist. Nothing is written here.
 */
export function checkOutputFile(file: string, kind: 'plot' | 'json'): void {
  if (kind === 'plot') plotFormat(file);
  else if (!/\.json$/i.test(file)) throw new UsageError(`cannot write JSON to '${file}': use a name ending in .json`);
  const dir = dirname(resolve(file));
  if (!isDirectory(dir)) throw new UsageError(`cannot write ${file}: no such directory: ${dirname(file)}`);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
