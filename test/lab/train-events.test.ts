// Trainer's events and step values must not move when its loop is made cheaper: the CLI prints epoch and
// snapshot events, the web worker reads step() values and the trainer's fields, ablate listens to step events.
import { describe, expect, it } from 'vitest';
import { type TrainEvent, Trainer } from '../../src/lab/train.js';
import { traceRun } from './train-events.js';
import { TRACE_CONFIGS } from './train-trace-configs.js';
import { TRACE_HASHES } from './train-trace-hashes.js';

const HOWS = ['run', 'step', 'epoch'] as const;
const LISTENS = ['steps', 'events', 'none'] as const;

describe('Trainer traces', () => {
  for (const [name, config] of Object.entries(TRACE_CONFIGS)) {
    it(`${name}: every way of driving it emits and returns what it did before`, () => {
      for (const how of HOWS) {
        for (const listen of LISTENS) expect(traceRun(config, how, listen).hash, `${how}, ${listen}`).toBe(TRACE_HASHES[`${name} ${how} ${listen}`]);
      }
    });
  }

  it('listening changes nothing: the events without step events are the full trace without its step lines', () => {
    for (const config of Object.values(TRACE_CONFIGS)) {
      const all = traceRun(config, 'run', 'steps').lines;
      expect(traceRun(config, 'run', 'events').lines).toEqual(all.filter((l) => !l.startsWith('{"type":"step"')));
    }
  });

  it("step() returns each step event's loss, and the result is the same whichever way the run is driven", () => {
    const config = TRACE_CONFIGS['batch 3, shuffled'];
    const events = traceRun(config, 'run', 'steps').lines;
    const losses = events.filter((l) => l.startsWith('{"type":"step"')).map((l) => (JSON.parse(l) as { loss: string }).loss);
    const stepped = traceRun(config, 'step', 'none').lines;
    expect(stepped.filter((l) => l.startsWith('step ')).map((l) => l.split(' ')[1])).toEqual(losses);
    expect(stepped.at(-1)).toBe(traceRun(config, 'epoch', 'none').lines.at(-1));
  });

  it('the order of events: init, then per epoch its steps, epoch, snapshot; done last', () => {
    const types: string[] = [];
    new Trainer({ seed: 0, epochs: 2, batchSize: 100, snapshotEvery: 2 }, (e: TrainEvent) => types.push(e.type), { stepEvents: true }).run();
    expect(types).toEqual(['init', 'step', 'step', 'epoch', 'snapshot', 'step', 'step', 'epoch', 'done']);
  });

  it("training leaves the data sets as they were (the samples' float32 copies are the sets' rows)", () => {
    const t = new Trainer({ seed: 0, epochs: 1 });
    const before = [Array.from(t.trueSet.values()), Array.from(t.falseSet.values())];
    t.run();
    expect([Array.from(t.trueSet.values()), Array.from(t.falseSet.values())]).toEqual(before);
    expect(t.trueSet.dtype).toBe('float64');
  });
});
