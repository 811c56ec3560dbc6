// Reads the PyTorch 1.13 reference fixtures (test/fixtures/*.json) the nn tests compare against.
import { readFileSync } from 'node:fs';

export interface Saved {
  shape: number[];
  dtype: 'float32' | 'float64';
  data: number[];
}

export interface LayerInit {
  weight: Saved;
  bias: Saved;
}

export interface RngCase {
  seed: number;
  conv2d_1_1_2: LayerInit;
  conv2d_3_4_3: LayerInit;
  linear_5_3: LayerInit;
}

export interface SeedRun {
  seed: number;
  lr: number;
  init: Record<string, Saved>;
  false_set_first_3: number[][];
  false_set_sum: number;
  first_steps: Array<{ loss: number; state_dict: Record<string, number[]> }>;
}

const dir = new URL('../fixtures/', import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, dir), 'utf8');
}

export function rngCases(): Array<RngCase & { exactSeed: bigint }> {
  const text = fixtureText('rng.json');
  // JSON numbers lose seeds above 2^53 (2^63 - 1 is one), so the seeds are re-read from the text as bigints.
  const seeds = Array.from(text.matchAll(/"seed":\s*(\d+)/g), (m) => BigInt(m[1]));
  const cases = (JSON.parse(text) as { cases: RngCase[] }).cases;
  if (seeds.length !== cases.length) throw new Error('rng.json: could not read every seed');
  return cases.map((c, i) => ({ ...c, exactSeed: seeds[i] }));
}

export function seedRun(seed: 0 | 1): SeedRun {
  return JSON.parse(fixtureText(`seed_run_${seed}.json`)) as SeedRun;
}

export function printingCases(): Record<string, string> {
  return (JSON.parse(fixtureText('printing.json')) as { cases: Record<string, string> }).cases;
}

/** The float32 bit patterns of a fixture's values (JSON holds each float32 exactly as a double). */
export function f32Bits(values: ArrayLike<number>): number[] {
  return Array.from(new Uint32Array(Float32Array.from(values).buffer));
}
