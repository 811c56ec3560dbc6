// Interop with PyTorch. The fixture test always runs: test/fixtures/io/pytorch_written.safetensors was written
// by safetensors.torch.save_file (see generate.py beside it). The live tests run only where /usr/bin/python3
// can import torch (Debian: apt-get install python3-torch); they also use the `safetensors` package when
// Python can import it.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromStorage, tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { decodeSafetensorsWithMetadata, encodeStateDictJson, loadStateDictFile, saveStateDict } from '../../src/io/index.js';

const PYTHON = '/usr/bin/python3';
const canImport = (module: string): boolean => spawnSync(PYTHON, ['-c', `import ${module}`], { timeout: 120_000 }).status === 0;
const hasTorch = canImport('torch');
const hasSafetensors = hasTorch && canImport('safetensors.torch');

function bits(t: Tensor): string[] {
  const v = t.values();
  return v instanceof Float32Array
    ? Array.from(new Uint32Array(Float32Array.from(v).buffer), (x) => x.toString(16).padStart(8, '0'))
    : Array.from(new BigUint64Array(Float64Array.from(v).buffer), (x) => x.toString(16).padStart(16, '0'));
}

interface Described {
  dtype: string;
  shape: number[];
  bits: string[];
}

function describeTensors(sd: ReadonlyMap<string, Tensor>): Record<string, Described> {
  return Object.fromEntries([...sd].map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], bits: bits(t) }]));
}

function python(script: string, args: string[]): unknown {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { timeout: 120_000, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

// Shared Python: the exact bit patterns of a tensor, and a safetensors reader that checks the layout itself.
const PY_COMMON = `
import json, struct, sys, torch
def bits(t):
    if t.dtype == torch.float32:
        return ["%08x" % (b & 0xFFFFFFFF) for b in t.reshape(-1).view(torch.int32).tolist()]
    return ["%016x" % (b & 0xFFFFFFFFFFFFFFFF) for b in t.reshape(-1).view(torch.int64).tolist()]
def describe(sd):
    return {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "bits": bits(v)} for k, v in sd.items()}
`;

const PY_READ = `${PY_COMMON}
path = sys.argv[1]
raw = open(path, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert n % 8 == 0, "header length not a multiple of 8"
text = raw[8:8 + n].decode("utf-8")
assert text.rstrip(" ") == text.rstrip(), "padding other than spaces"
header = json.loads(text, object_pairs_hook=lambda pairs: dict(pairs))
meta = header.pop("__metadata__", {})
dtypes = {"F32": torch.float32, "F64": torch.float64}
data = bytearray(raw[8 + n:])
pos = 0
sd = {}
for name, e in header.items():
    begin, end = e["data_offsets"]
    assert begin == pos, "data not contiguous in header order"
    pos = end
    t = torch.frombuffer(data[begin:end], dtype=dtypes[e["dtype"]]) if end > begin else torch.empty(0, dtype=dtypes[e["dtype"]])
    sd[name] = t.reshape(e["shape"])
assert pos == len(data), "trailing bytes"
out = {"keys": list(header.keys()), "metadata": meta, "tensors": describe(sd), "safetensors": None}
try:
    from safetensors.torch import load_file
    from safetensors import safe_open
    st = load_file(path)
    with safe_open(path, framework="pt") as f:
        out["safetensors"] = {"tensors": describe(st), "metadata": f.metadata()}
except ImportError:
    pass
print(json.dumps(out))
`;

const PY_WRITE = `${PY_COMMON}
out_dir = sys.argv[1]
torch.manual_seed(0)
conv = torch.nn.Conv2d(1, 1, 2)
sd = {
    "model.0.weight": conv.weight.detach().clone(),
    "model.0.bias": conv.bias.detach().clone(),
    "randn64": torch.randn(3, 4, dtype=torch.float64),
    "special32": torch.tensor([-0.0, 1e-45, 3.4028234663852886e38, -1.1754943508222875e-38, 0.1]),
    "special64": torch.tensor([-0.0, 5e-324, 1.7976931348623157e308, 0.1], dtype=torch.float64),
    "scalar": torch.tensor(2.5),
    "empty": torch.zeros(2, 0),
    "10": torch.ones(1),
}
# By hand, as the format lays it out, in this dict's order.
header = {"__metadata__": {"writer": "by hand"}}
blobs = []
pos = 0
for k, v in sd.items():
    b = bytes(v.contiguous().reshape(-1).view(torch.uint8).tolist())
    header[k] = {"dtype": {torch.float32: "F32", torch.float64: "F64"}[v.dtype], "shape": list(v.shape), "data_offsets": [pos, pos + len(b)]}
    blobs.append(b)
    pos += len(b)
h = json.dumps(header, separators=(",", ":")).encode("utf-8")
h += b" " * (-len(h) % 8)
with open(out_dir + "/by_hand.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
written = ["by_hand.safetensors"]
try:
    from safetensors.torch import save_file
    save_file(sd, out_dir + "/save_file.safetensors", metadata={"writer": "save_file"})
    written.append("save_file.safetensors")
except ImportError:
    pass
print(json.dumps({"order": list(sd.keys()), "tensors": describe(sd), "written": written}))
`;

const PY_READ_JSON = `${PY_COMMON}
doc = json.load(open(sys.argv[1]), object_pairs_hook=lambda pairs: dict(pairs))
assert doc["format"] == "torchlet.state_dict" and doc["version"] == 1
dtypes = {"float32": torch.float32, "float64": torch.float64}
sd = {k: torch.tensor(e["data"], dtype=dtypes[e["dtype"]]).reshape(e["shape"]) for k, e in doc["tensors"].items()}
print(json.dumps({"keys": list(sd.keys()), "tensors": describe(sd)}))
`;

/** A state_dict with the values that break careless writers: -0, subnormals, extremes, many random bits. */
function torchletStateDict(): Map<string, Tensor> {
  const rnd32 = new Uint32Array(300);
  let s = 7;
  for (let i = 0; i < rnd32.length; ) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (((s >>> 23) & 0xff) !== 0xff) rnd32[i++] = s;
  }
  const rnd64 = new BigUint64Array(100);
  for (let i = 0; i < rnd64.length; ) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const hi = BigInt(s);
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = (hi << 32n) | BigInt(s);
    if (((v >> 52n) & 0x7ffn) !== 0x7ffn) rnd64[i++] = v;
  }
  return new Map<string, Tensor>([
    ['model.0.weight', tensor([[[[0.1, -0.2], [0.3, -0.4]]]])],
    ['model.0.bias', tensor([-0])],
    ['model.2.weight', fromStorage(new Float32Array(rnd32.buffer), [3, 10, 10])],
    ['model.2.bias', fromStorage(new Float64Array(rnd64.buffer), [100])],
    ['extremes32', tensor([1e-45, -1e-45, 3.4028234663852886e38, 1.1754943508222875e-38, 1.1754942106924411e-38])],
    ['extremes64', tensor([5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308], { dtype: 'float64' })],
    ['scalar', tensor(3.25, { dtype: 'float64' })],
    ['empty', fromStorage(new Float32Array(0), [0, 4])],
    ['2', tensor([2])],
  ]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'torchlet-io-py-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PyTorch interop', () => {
  it("reads safetensors.torch.save_file's output (committed fixture) to PyTorch's exact bits", async () => {
    const here = join(import.meta.dirname, '..', 'fixtures', 'io');
    const expected = JSON.parse(await readFile(join(here, 'pytorch_written.expected.json'), 'utf8')) as {
      metadata: Record<string, string>;
      tensors: Record<string, Described>;
    };
    const { tensors, metadata } = decodeSafetensorsWithMetadata(await readFile(join(here, 'pytorch_written.safetensors')));
    expect(metadata).toEqual(expected.metadata);
    expect(new Set(tensors.keys())).toEqual(new Set(Object.keys(expected.tensors)));
    expect(describeTensors(tensors)).toEqual(expected.tensors);
    expect(tensors.get('model.0.weight')!.shape).toEqual([1, 1, 2, 2]);
  });

  it.skipIf(!hasTorch)('torchlet → PyTorch: Python reads our safetensors (json header + torch.frombuffer, and safetensors.load_file if installed) bit for bit (runs only where /usr/bin/python3 can import torch)', async () => {
    const sd = torchletStateDict();
    const p = join(dir, 'from_torchlet.safetensors');
    await saveStateDict(sd, p, { metadata: { writer: 'torchlet', note: 'ü' } });
    const out = python(PY_READ, [p]) as {
      keys: string[];
      metadata: Record<string, string>;
      tensors: Record<string, Described>;
      safetensors: { tensors: Record<string, Described>; metadata: Record<string, string> } | null;
    };
    expect(out.keys).toEqual([...sd.keys()]);
    expect(out.metadata).toEqual({ writer: 'torchlet', note: 'ü' });
    expect(out.tensors).toEqual(describeTensors(sd));
    if (hasSafetensors) {
      expect(out.safetensors).not.toBeNull();
      expect(out.safetensors!.tensors).toEqual(describeTensors(sd));
      expect(out.safetensors!.metadata).toEqual({ writer: 'torchlet', note: 'ü' });
    }
  });

  it.skipIf(!hasTorch)('PyTorch → torchlet: we read what Python writes (by hand, and with safetensors.save_file if installed) bit for bit (runs only where /usr/bin/python3 can import torch)', async () => {
    const out = python(PY_WRITE, [dir]) as { order: string[]; tensors: Record<string, Described>; written: string[] };
    expect(out.written).toContain('by_hand.safetensors');
    if (hasSafetensors) expect(out.written).toContain('save_file.safetensors');
    for (const name of out.written) {
      const sd = await loadStateDictFile(join(dir, name));
      expect(new Set(sd.keys()), name).toEqual(new Set(out.order));
      expect(describeTensors(sd), name).toEqual(out.tensors);
    }
    expect([...(await loadStateDictFile(join(dir, 'by_hand.safetensors'))).keys()]).toEqual(out.order);
  });

  it.skipIf(!hasTorch)("torchlet JSON → PyTorch: json.load + torch.tensor(data, dtype) gives our exact bits (runs only where /usr/bin/python3 can import torch)", async () => {
    const sd = torchletStateDict();
    const p = join(dir, 'from_torchlet.json');
    await writeFile(p, encodeStateDictJson(sd));
    const out = python(PY_READ_JSON, [p]) as { keys: string[]; tensors: Record<string, Described> };
    expect(out.keys).toEqual([...sd.keys()]);
    expect(out.tensors).toEqual(describeTensors(sd));
  });
});
