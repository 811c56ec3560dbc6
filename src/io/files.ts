// Saving and loading state_dict files (Node only; the encoders and decoders themselves are browser-safe).
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Tensor } from '../tensor/tensor.js';
import { StateDictFormatError } from './errors.js';
import { decodeStateDictJson, encodeStateDictJson } from './json-format.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export type StateDictFileFormat = 'safetensors' | 'json';

const EXTENSIONS: Record<string, StateDictFileFormat | undefined> = { '.safetensors': 'safetensors', '.json': 'json' };
const ALLOWED = 'use a name ending in .safetensors or .json';

/**
 * A state_dict file that the file system would not let us read or write: missing, a directory, no
 * permission, no space. `path` is the file and `code` the system's error code (ENOENT, EACCES, …) when known.
 * Problems with a file's contents are StateDictFormatError instead.
 */
export class StateDictFileError extends Error {
  override name = 'StateDictFileError';
  readonly path: string;
  readonly code: string | undefined;

  constructor(message: string, path: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.path = path;
    this.code = code;
  }
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** One line for a failed file-system call on `file`. */
function fileError(action: 'read' | 'write', file: string, err: unknown): StateDictFileError {
  if (err instanceof StateDictFileError) return err;
  const code = errnoCode(err);
  const reason =
    code === 'ENOENT' ? (action === 'read' ? null : `no such directory: ${dirname(file)}`)
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'it is a directory'
    : code === 'ENOSPC' ? 'no space left on the device'
    : code === 'EROFS' ? 'the file system is read-only'
    : err instanceof Error ? err.message : String(err);
  const message = reason === null ? `no such file: ${file}` : `cannot ${action} ${file}: ${reason}`;
  return new StateDictFileError(message, file, code, { cause: err });
}

function formatFromExtension(file: string): StateDictFileFormat | undefined {
  return EXTENSIONS[extname(file).toLowerCase()];
}

/**
 * Writes `contents` to `file` atomically: into a new temporary file beside it (same directory, so the rename
 * cannot cross file systems), flushed to disk, then renamed over `file`. On any failure the temporary file is
 * removed and the old `file`, if there was one, is left as it was. A replaced file keeps its permission bits.
 */
export async function writeFileAtomic(file: string, contents: string | Uint8Array): Promise<void> {
  const dir = dirname(file);
  let mode: number | undefined;
  try {
    const old = await stat(file);
    if (old.isDirectory()) throw new StateDictFileError(`cannot write ${file}: it is a directory`, file, 'EISDIR');
    mode = old.mode & 0o7777;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw fileError('write', file, err);
  }
  const tmp = join(dir, `.${basename(file).slice(0, 100)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  let created = false;
  try {
    handle = await open(tmp, 'wx', 0o666);
    created = true;
    if (mode !== undefined) await handle.chmod(mode);
    await handle.writeFile(contents);
    await handle.sync();
    const h = handle;
    handle = undefined;
    await h.close();
    await rename(tmp, file);
    created = false;
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    if (created) await rm(tmp, { force: true }).catch(() => undefined);
    throw fileError('write', file, err);
  }
  // Make the rename itself durable. Best effort: some platforms cannot open or fsync a directory.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // the data is safe either way; only the rename might not survive a power cut
  }
}

export interface SaveStateDictOptions {
  /** Overrides the extension; needed for a name ending in neither .safetensors nor .json. */
  format?: StateDictFileFormat;
  /** Strings stored with the tensors (safetensors `__metadata__`, JSON `metadata`). */
  metadata?: Record<string, string>;
}

/**
 * Saves a state_dict as safetensors (what `safetensors.torch.load_file` reads) or torchlet's JSON, chosen by
 * the extension (.safetensors / .json) or `opts.format`, atomically (see writeFileAtomic). The state_dict is
 * encoded before the file system is touched, so a state_dict that cannot be saved changes nothing.
 */
export async function saveStateDict(sd: ReadonlyMap<string, Tensor>, file: string, opts: SaveStateDictOptions = {}): Promise<void> {
  const byExtension = formatFromExtension(file);
  if (opts.format !== undefined && opts.format !== 'safetensors' && opts.format !== 'json') {
    throw new StateDictFormatError(`unknown state_dict format ${JSON.stringify(opts.format)}: use 'safetensors' or 'json'`);
  }
  if (opts.format !== undefined && byExtension !== undefined && opts.format !== byExtension) {
    throw new StateDictFormatError(`cannot save ${opts.format} as ${file}: the name says ${byExtension}`);
  }
  const format = opts.format ?? byExtension;
  if (format === undefined) throw new StateDictFormatError(`cannot tell which format to save ${file} in: ${ALLOWED}`);
  const contents = format === 'safetensors' ? encodeSafetensors(sd, opts.metadata) : encodeStateDictJson(sd, opts.metadata);
  await writeFileAtomic(file, contents);
}

type Sniffed = StateDictFileFormat | 'zip' | undefined;

/** What the bytes look like: safetensors (a plausible header length followed by '{'), JSON text, a zip. */
export function sniffStateDictFormat(bytes: Uint8Array): Sniffed {
  if (bytes.length >= 9 && bytes[8] === 0x7b) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (n <= BigInt(bytes.length - 8)) return 'safetensors';
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  // JSON: optional byte-order mark and white space, then '{' and (after white space) a key or '}'.
  const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (isSpace(bytes[i])) i++;
  if (bytes[i++] !== 0x7b) return undefined;
  while (isSpace(bytes[i])) i++;
  return bytes[i] === 0x22 || bytes[i] === 0x7d ? 'json' : undefined;
}

export interface LoadStateDictOptions {
  /** Refuse files larger than this many bytes. Default: no limit. */
  maxBytes?: number;
}

async function readWhole(file: string, maxBytes: number | undefined): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw fileError('read', file, err);
  }
  if (info.isDirectory()) throw new StateDictFileError(`cannot read ${file}: it is a directory, not a state_dict file`, file, 'EISDIR');
  // Opening a FIFO or a device could block for ever or never end.
  if (!info.isFile()) throw new StateDictFileError(`cannot read ${file}: not a regular file`, file);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw fileError('read', file, err);
  }
  try {
    const size = (await handle.stat()).size;
    if (size === 0) throw new StateDictFormatError(`${file} is empty (0 bytes)`);
    if (maxBytes !== undefined && size > maxBytes) throw new StateDictFormatError(`${file} is ${size} bytes, over the ${maxBytes}-byte limit`);
    return new Uint8Array(await handle.readFile());
  } catch (err) {
    if (err instanceof StateDictFormatError) throw err;
    throw fileError('read', file, err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Loads a state_dict saved by saveStateDict, or any safetensors file of F32/F64 tensors (such as
 * `safetensors.torch.save_file(model.state_dict(), ...)` writes). The contents must match the extension
 * (.safetensors / .json); a file with another extension is recognised by its contents. Content problems throw
 * StateDictFormatError, file-system ones StateDictFileError; both name the file.
 */
export async function loadStateDictFile(file: string, opts: LoadStateDictOptions = {}): Promise<Map<string, Tensor>> {
  const bytes = await readWhole(file, opts.maxBytes);
  const expected = formatFromExtension(file);
  const found = sniffStateDictFormat(bytes);
  if (found === 'zip') {
    throw new StateDictFormatError(
      `${file} is a zip archive, as torch.save writes (pickle), which torchlet does not read: save it from Python with safetensors.torch.save_file(model.state_dict(), "model.safetensors")`,
    );
  }
  if (expected === 'json' && found === 'safetensors') throw new StateDictFormatError(`${file} holds safetensors bytes, not JSON: rename it to end in .safetensors`);
  if (expected === 'safetensors' && found === 'json') throw new StateDictFormatError(`${file} holds JSON text, not safetensors: rename it to end in .json`);
  const format = expected ?? found;
  if (format === undefined) throw new StateDictFormatError(`cannot tell the format of ${file}: it is neither safetensors nor torchlet JSON (${ALLOWED})`);
  try {
    if (format === 'safetensors') return decodeSafetensors(bytes);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new StateDictFormatError('not a valid torchlet state_dict JSON file: the text is not valid UTF-8');
    }
    return decodeStateDictJson(text);
  } catch (err) {
    if (err instanceof StateDictFormatError) throw new StateDictFormatError(`${file}: ${err.message}`);
    throw err;
  }
}
