// A trace of everything a Trainer tells the outside world — its events and the values step() returns — as
// text with every number written exactly, so that tests can pin a run's trace and notice any change to it.
import { createHash } from 'node:crypto';
import { type TrainConfig, type TrainEvent, Trainer, TrainingDivergedError } from '../../src/lab/train.js';

/** Exact text for a number (JSON would write NaN as null and -0 as 0). */
function num(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** An event as text: everything in it but the model object and the run's duration. */
export function eventText(e: TrainEvent): string {
  const replacer = (key: string, v: unknown): unknown => {
    if (key === 'model' || key === 'seconds') return undefined;
    if (typeof v === 'bigint') return `${v}n`;
    return typeof v === 'number' ? num(v) : v;
  };
  return JSON.stringify(e, replacer);
}

export interface Trace {
  /** One line per event (or per step() call, with its return value), in order. */
  lines: string[];
  /** sha256 of the lines, to pin a long trace in a test. */
  hash: string;
}

/**
 * Runs `config` and records its trace. `how` drives the trainer as the CLI does (`run`), as the web worker does
 * (`step` calls until done, each return value recorded), or as the sweep does (`epoch`: runEpoch until done).
 * `listen` chooses the listener: every event with step events, every event without them, or none (then only
 * the step() values and the result are recorded).
 */
export function traceRun(config: Partial<TrainConfig>, how: 'run' | 'step' | 'epoch', listen: 'steps' | 'events' | 'none'): Trace {
  const lines: string[] = [];
  const listener = listen === 'none' ? undefined : (e: TrainEvent) => lines.push(eventText(e));
  const t = new Trainer(config, listener, { stepEvents: listen === 'steps' });
  try {
    if (how === 'run') {
      t.run();
    } else if (how === 'epoch') {
      while (!t.done) t.runEpoch();
    } else {
      while (!t.done) lines.push(`step ${num(t.step())} @${t.epoch}:${t.position}`);
    }
    if (how !== 'run' || listen === 'none') {
      const { seconds: _, model: __, ...rest } = t.result();
      lines.push(`result ${JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'number' ? num(v) : typeof v === 'bigint' ? `${v}n` : v))}`);
    }
  } catch (err) {
    if (!(err instanceof TrainingDivergedError)) throw err;
    lines.push(`diverged ${err.message}`);
  }
  return { lines, hash: createHash('sha256').update(lines.join('\n')).digest('hex') };
}
