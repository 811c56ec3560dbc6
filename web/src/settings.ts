import { OPTIMIZER_NAMES, type OptimizerName, type TrainConfig, TUTORIAL_CONFIG } from '../../src/lab/train.js';

/** What the controls set; everything a link needs to reproduce a run. */
export interface Settings {
  seed: number | bigint;
  lr: number;
  epochs: number;
  optimizer: OptimizerName;
  zeroGrad: boolean;
  shuffle: boolean;
  batchSize: number;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  seed: TUTORIAL_CONFIG.seed,
  lr: TUTORIAL_CONFIG.lr,
  epochs: TUTORIAL_CONFIG.epochs,
  optimizer: TUTORIAL_CONFIG.optimizer,
  zeroGrad: TUTORIAL_CONFIG.zeroGrad,
  shuffle: TUTORIAL_CONFIG.shuffle,
  batchSize: TUTORIAL_CONFIG.batchSize,
};

/** Upper bounds that keep a tab from being locked into hours of work by a typo in a link. */
export const LIMITS = { epochs: 100_000, batchSize: 200 } as const;

export type SettingKey = keyof Settings;

/** Parses one setting from text; throws a RangeError whose message says what is expected. */
export function parseSetting<K extends SettingKey>(key: K, text: string): Settings[K] {
  const t = text.trim();
  const out = ((): Settings[SettingKey] => {
    switch (key) {
      case 'seed': {
        if (!/^\d+$/.test(t)) throw new RangeError(`seed: expected an integer from 0 to 2^64-1, got '${text}'`);
        const big = BigInt(t);
        if (big >= 2n ** 64n) throw new RangeError(`seed: expected an integer from 0 to 2^64-1, got '${text}'`);
        return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      }
      case 'lr': {
        const n = Number(t);
        if (t === '' || !Number.isFinite(n) || n <= 0) throw new RangeError(`lr: expected a positive number, got '${text}'`);
        return n;
      }
      case 'epochs':
      case 'batchSize': {
        const n = Number(t);
        const max = LIMITS[key as 'epochs' | 'batchSize'];
        if (t === '' || !Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${key}: expected an integer from 1 to ${max}, got '${text}'`);
        return n;
      }
      case 'optimizer':
        if (!(OPTIMIZER_NAMES as readonly string[]).includes(t)) throw new RangeError(`optimizer: expected one of ${OPTIMIZER_NAMES.join(', ')}, got '${text}'`);
        return t as OptimizerName;
      case 'zeroGrad':
      case 'shuffle':
        if (/^(1|true|on|yes)$/i.test(t)) return true;
        if (/^(0|false|off|no)$/i.test(t)) return false;
        throw new RangeError(`${key}: expected 1 or 0, got '${text}'`);
      default:
        throw new RangeError(`unknown setting '${String(key)}'`);
    }
  })();
  return out as Settings[K];
}

export const SETTING_KEYS: readonly SettingKey[] = ['seed', 'lr', 'epochs', 'optimizer', 'zeroGrad', 'shuffle', 'batchSize'];

/** Settings from a URL query (`?seed=3&lr=0.5&…`); missing keys take the tutorial's values, bad ones are reported. */
export function settingsFromQuery(query: string | URLSearchParams): { settings: Settings; errors: string[]; autorun: boolean } {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const settings: Settings = { ...DEFAULT_SETTINGS };
  const errors: string[] = [];
  for (const key of SETTING_KEYS) {
    const raw = params.get(key);
    if (raw === null) continue;
    try {
      (settings as unknown as Record<string, unknown>)[key] = parseSetting(key, raw);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const autorun = params.get('run') === '1';
  return { settings, errors, autorun };
}

/** The query string for `settings`, every key written so the link does not depend on future defaults. */
export function settingsToQuery(settings: Settings, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const key of SETTING_KEYS) params.set(key, formatSetting(settings, key));
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params.toString();
}

export function formatSetting(settings: Settings, key: SettingKey): string {
  const v = settings[key];
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/** The Trainer's configuration for these settings (curve every 5 epochs, snapshot every 20, as the tutorial). */
export function toTrainConfig(s: Settings): TrainConfig {
  return { ...TUTORIAL_CONFIG, ...s };
}

/** '0..19' or '0,3,5' or '0..4,10' → distinct integers in order (at most `max`). */
export function parseIntegerList(text: string, what: string, max = 1000): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a) throw new RangeError(`${what}: the range '${part}' runs backwards`);
      if (b - a + 1 > max) throw new RangeError(`${what}: at most ${max}, '${part}' has ${b - a + 1}`);
      for (let i = a; i <= b; i++) out.push(i);
    } else if (/^\d+$/.test(part)) {
      out.push(Number(part));
    } else {
      throw new RangeError(`${what}: expected integers or ranges like 0..19, got '${part}'`);
    }
  }
  const distinct = [...new Set(out)];
  if (distinct.length === 0) throw new RangeError(`${what}: expected at least one integer`);
  if (distinct.length > max) throw new RangeError(`${what}: at most ${max}, got ${distinct.length}`);
  return distinct;
}

/** '0.05, 0.1, 0.5' → distinct positive numbers in order. */
export function parseNumberList(text: string, what: string, max = 50): number[] {
  const parts = text.split(/[,\s]+/).map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new RangeError(`${what}: expected a comma-separated list of numbers`);
  const out = parts.map((p) => {
    const n = Number(p);
    if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${what}: expected positive numbers, got '${p}'`);
    return n;
  });
  const distinct = [...new Set(out)];
  if (distinct.length > max) throw new RangeError(`${what}: at most ${max} values, got ${distinct.length}`);
  return distinct;
}
