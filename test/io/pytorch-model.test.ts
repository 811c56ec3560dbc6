// A safetensors file written by torchlet loads in PyTorch into the tutorial's model and gives the same
// predictions. Runs only where /usr/bin/python3 can import torch (Debian's python3-torch); CI without it skips.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveStateDict } from '../../src/io/files.js';
import { TEST_MATRICES } from '../../src/lab/data.js';
import { Trainer, predict } from '../../src/lab/train.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'torchlet-pt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The tutorial's class, loading the file by its header (the `safetensors` package may be absent).
const SCRIPT = `
import json, struct, sys, torch
class CNN(torch.nn.Module):
    def __init__(self):
        super(CNN, self).__init__()
        self.model = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 2), torch.nn.LeakyReLU(), torch.nn.Conv2d(1, 1, 2), torch.nn.Sigmoid())
    def forward(self, x):
        return self.model(x)
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = bytearray(raw[8 + n:])
sd = {k: torch.frombuffer(data[v['data_offsets'][0]:v['data_offsets'][1]], dtype=torch.float32).reshape(v['shape']).clone()
      for k, v in header.items() if k != '__metadata__'}
cnn = CNN()
cnn.load_state_dict(sd)
with torch.no_grad():
    print(json.dumps([cnn(torch.tensor([[m]], dtype=torch.float32)).item() for m in json.loads(sys.argv[2])]))
`;

describe('saved weights in PyTorch', () => {
  it.skipIf(!hasTorch)("torchlet's safetensors loads into the tutorial's PyTorch model with the same predictions (runs only where /usr/bin/python3 can import torch)", async () => {
    const model = new Trainer({ seed: 0, epochs: 5 }).run().model;
    const file = join(dir, 'cnn.safetensors');
    await saveStateDict(model.stateDict(), file);
    const run = spawnSync(PYTHON, ['-c', SCRIPT, file, JSON.stringify(TEST_MATRICES)], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const theirs = JSON.parse(run.stdout) as number[];
    const ours = predict(model, TEST_MATRICES);
    ours.forEach((p, i) => expect(Math.abs(p - theirs[i])).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(theirs[i]), 1e-30)));
  });
});
