import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFileAtomic } from '../../io/files.js';
import { type AtlasResult, atlasTasks, DEFAULT_VARIANTS, summarizeAtlas, type Variant } from '../../lab/atlas.js';
import { defaultWorkerCount } from '../../lab/sweep-worker.js';
import type { Io } from '../errors.js';
import { parseInteger, parseIntegerList } from '../options.js';
import { atlasText } from '../render/atlas-text.js';
import { plural, seedList } from '../render/lab-format.js';
import { checkOutputFile } from '../render/output-files.js';
import { HELD_OUT_HELP } from './ablate.js';
import { runOnWorkersWithProgress } from './worker-runs.js';

export interface AtlasOptions {
  seeds: number[];
  variants: Variant[];
  workers?: number;
  json?: string;
}

export function parseVariants(value: string): Variant[] {
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  const out: Variant[] = [];
  for (const id of ids) {
    const v = DEFAULT_VARIANTS.find((x) => x.id === id);
    if (v === undefined) throw new InvalidArgumentError(`unknown procedure '${id}' (use ${DEFAULT_VARIANTS.map((x) => x.id).join(', ')}).`);
    if (!out.includes(v)) out.push(v);
  }
  if (out.length === 0) throw new InvalidArgumentError(`expected procedures, got '${value}'.`);
  return out;
}

export function atlasJson(a: AtlasResult, extra: { seconds: number; workers: number }): object {
  return {
    about: 'torchlet atlas: per seed, whether the model learns (held-out accuracy ≥ threshold) and how it fails otherwise, for the tutorial\'s procedure and variants of it.',
    heldOut: HELD_OUT_HELP,
    seeds: a.seeds,
    threshold: a.threshold,
    probes: a.probes,
    variants: a.variants.map((v) => ({
      id: v.variant.id, name: v.variant.name, description: v.variant.description, settings: v.variant.settings, epochs: v.variant.epochs,
      learned: v.learned, total: v.total, fraction: v.fraction, counts: v.counts, gained: v.gained, lost: v.lost, profiles: v.profiles,
      runs: v.runs.map((r) => ({ seed: r.seed, outcome: r.outcome, accuracy: r.accuracy, features: r.features ?? null, diverged: r.diverged ?? null })),
    })),
    seconds: extra.seconds,
    workers: extra.workers,
  };
}

export async function runAtlas(o: AtlasOptions, io: Io): Promise<number> {
  if (o.json) checkOutputFile(o.json, 'json');
  const seeds = [...new Set(o.seeds)];
  const tasks = atlasTasks(seeds, o.variants);
  const workers = Math.min(o.workers ?? defaultWorkerCount(), tasks.length);
  io.out(`atlas: seeds ${seedList(seeds)}, ${plural(o.variants.length, 'procedure', 'procedures')} ` +
    `(${o.variants.map((v) => v.id).join(', ')}): ${plural(tasks.length, 'training run', 'training runs')} on ${plural(workers, 'worker thread', 'worker threads')}`);
  const { outcomes, seconds } = await runOnWorkersWithProgress(tasks, workers, { enabled: io.isTTY, label: 'atlas' });
  const atlas = summarizeAtlas(seeds, o.variants, outcomes);
  io.out('');
  for (const line of atlasText(atlas)) io.out(line);
  io.out('');
  io.out(`${plural(tasks.length, 'run', 'runs')} in ${seconds.toFixed(1)} s on ${plural(workers, 'worker', 'workers')}.`);
  if (o.json) {
    await writeFileAtomic(o.json, `${JSON.stringify(atlasJson(atlas, { seconds, workers }), null, 1)}\n`);
    io.out(`wrote ${o.json}`);
  }
  return 0;
}

export function atlasCommand(io: Io): Command {
  return new Command('atlas')
    .description("how often the tutorial's exact procedure learns over many seeds, how the failures fail, and what makes training reliable")
    .addOption(new Option('--seeds <list>', 'seeds: 0..99, or 0,3,5, or 0..4,10').argParser(parseIntegerList).default(Array.from({ length: 20 }, (_, i) => i), '0..19'))
    .addOption(new Option('--variants <list>', `procedures to compare, comma-separated: ${DEFAULT_VARIANTS.map((v) => v.id).join(', ')}`)
      .argParser(parseVariants).default([...DEFAULT_VARIANTS], 'all'))
    .option('--workers <n>', `worker threads (default: all cores, here ${defaultWorkerCount()})`, parseInteger(1))
    .option('--json <file>', 'write every run\'s outcome and features as JSON')
    .addHelpText('after', [
      '',
      'Procedures (each 200 epochs, over the same seeds):',
      ...DEFAULT_VARIANTS.map((v) => `  ${v.id.padEnd(16)} ${v.description}`),
      '',
      'Outcomes, classified from the trained model\'s outputs on the held-out set:',
      '  learned   held-out accuracy ≥ 0.9',
      '  constant  the output barely depends on the input (5th–95th percentile spread < 0.1)',
      '  swapped   the wrong way round: random matrices score above constant ones (ROC AUC < 0.5), or the',
      '            output rises with how unequal the elements are (more than it follows their level)',
      '  weak      leans the right way, not enough to pass (e.g. orders the classes well, AUC ≥ 0.8, with',
      '            large matrices on the wrong side of 0.5)',
      '  level     the output follows the input\'s mean more than how unequal its elements are',
      '  diverged  a non-finite loss or weight',
      '',
      HELD_OUT_HELP,
    ].join('\n'))
    .action(async (opts: AtlasOptions) => {
      process.exitCode = await runAtlas(opts, io);
    });
}
