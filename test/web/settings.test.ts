import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSetting, settingsFromQuery, settingsToQuery, toTrainConfig } from '../../web/src/settings.js';
import { TUTORIAL_CONFIG } from '../../src/lab/train.js';

describe('playground settings in the URL', () => {
  it('defaults to the tutorial', () => {
    const { settings, errors, autorun } = settingsFromQuery('');
    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(errors).toEqual([]);
    expect(autorun).toBe(false);
    expect(toTrainConfig(settings)).toEqual(TUTORIAL_CONFIG);
  });

  it('round-trips every setting, including a seed beyond 2^53', () => {
    const s = { seed: 18446744073709551615n, lr: 0.125, epochs: 37, optimizer: 'adam' as const, zeroGrad: false, shuffle: true, batchSize: 8 };
    const q = settingsToQuery(s, { run: '1' });
    expect(q).toBe('seed=18446744073709551615&lr=0.125&epochs=37&optimizer=adam&zeroGrad=0&shuffle=1&batchSize=8&run=1');
    const back = settingsFromQuery(q);
    expect(back.settings).toEqual(s);
    expect(back.autorun).toBe(true);
  });

  it('keeps the good settings of a bad link and says what was wrong', () => {
    const { settings, errors } = settingsFromQuery('seed=-1&lr=abc&epochs=0&optimizer=lbfgs&zeroGrad=maybe&batchSize=2.5&shuffle=on');
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, shuffle: true });
    expect(errors).toEqual([
      "seed: expected an integer from 0 to 2^64-1, got '-1'",
      "lr: expected a positive number, got 'abc'",
      "epochs: expected an integer from 1 to 100000, got '0'",
      "optimizer: expected one of adadelta, sgd, adam, got 'lbfgs'",
      "zeroGrad: expected 1 or 0, got 'maybe'",
      "batchSize: expected an integer from 1 to 200, got '2.5'",
    ]);
  });

  it('parses single fields as the form does', () => {
    expect(parseSetting('seed', ' 42 ')).toBe(42);
    expect(parseSetting('seed', '9007199254740993')).toBe(9007199254740993n);
    expect(() => parseSetting('seed', '18446744073709551616')).toThrow(RangeError);
    expect(parseSetting('lr', '1e-3')).toBe(0.001);
    expect(() => parseSetting('lr', '')).toThrow(/positive number/);
    expect(parseSetting('zeroGrad', 'false')).toBe(false);
  });
});

describe('playground lists (sweep and atlas fields)', () => {
  it('parses seeds and numbers, with ranges, and says what is wrong', async () => {
    const { parseIntegerList, parseNumberList } = await import('../../web/src/settings.js');
    expect(parseIntegerList('0..4, 10, 3', 'seeds')).toEqual([0, 1, 2, 3, 4, 10]);
    expect(() => parseIntegerList('5..1', 'seeds')).toThrow("seeds: the range '5..1' runs backwards");
    expect(() => parseIntegerList('0..5000', 'seeds')).toThrow('at most 1000');
    expect(() => parseIntegerList('a', 'seeds')).toThrow("expected integers or ranges like 0..19, got 'a'");
    expect(parseNumberList('0.1, 0.5 1', 'lr')).toEqual([0.1, 0.5, 1]);
    expect(() => parseNumberList('0.1,-1', 'lr')).toThrow("lr: expected positive numbers, got '-1'");
    expect(() => parseNumberList('', 'lr')).toThrow('expected a comma-separated list');
  });
});
