import { describe, expect, it } from 'vitest';
import { MT19937 } from '../../src/random/mt19937.js';

const draw = (mt: MT19937, count: number): number[] => Array.from({ length: count }, () => mt.nextUint32());

describe('MT19937', () => {
  it('reproduces the reference init_genrand(5489) outputs', () => {
    // mt19937ar with init_genrand(5489) (also std::mt19937's default seed).
    expect(draw(new MT19937(5489), 10)).toEqual([
      3499211612, 581869302, 3890346734, 3586334585, 545404204, 4161255391, 3922919429, 949333985, 2715962298,
      1323567403,
    ]);
  });

  it('gives 4123659995 as its 10000th output, as the C++ standard requires of std::mt19937', () => {
    const outputs = draw(new MT19937(5489), 10000);
    expect(outputs[9999]).toBe(4123659995);
  });

  it('defaults to seed 5489', () => {
    expect(draw(new MT19937(), 5)).toEqual(draw(new MT19937(5489), 5));
  });

  it('matches init_genrand for other seeds (values from numpy.random.RandomState, which seeds the same way)', () => {
    expect(draw(new MT19937(5), 5)).toEqual([953453411, 236996814, 3739766767, 3570525885, 887852006]);
    expect(draw(new MT19937(0xffffffff), 5)).toEqual([419326371, 479346978, 3918654476, 2416749639, 3388880820]);
  });

  it('re-seeding restarts the sequence', () => {
    const mt = new MT19937(123);
    const first = draw(mt, 700);
    mt.seed(123);
    expect(draw(mt, 700)).toEqual(first);
  });

  it('restores a copied state, across a regeneration of the state array', () => {
    const mt = new MT19937(42);
    draw(mt, 600);
    const snapshot = mt.getState();
    const expected = draw(mt, 1000);
    draw(mt, 17);
    mt.setState(snapshot);
    expect(draw(mt, 1000)).toEqual(expected);
  });

  it('hands out copies: changing a snapshot does not touch the engine', () => {
    const mt = new MT19937(42);
    const snapshot = mt.getState();
    const expected = draw(new MT19937(42), 3);
    snapshot.state.fill(0);
    expect(draw(mt, 3)).toEqual(expected);
  });

  it('keeps PyTorch left/next bookkeeping', () => {
    const mt = new MT19937(1);
    expect(mt.getState()).toMatchObject({ left: 1, next: 0 });
    mt.nextUint32();
    expect(mt.getState()).toMatchObject({ left: 624, next: 1 });
    draw(mt, 623);
    expect(mt.getState()).toMatchObject({ left: 1, next: 624 });
  });

  it('rejects bad seeds and states', () => {
    expect(() => new MT19937(-1)).toThrow(RangeError);
    expect(() => new MT19937(2 ** 32)).toThrow(RangeError);
    expect(() => new MT19937(1.5)).toThrow(RangeError);
    const mt = new MT19937(3);
    const good = mt.getState();
    expect(() => mt.setState({ ...good, state: new Uint32Array(623) })).toThrow(/624 words/);
    expect(() => mt.setState({ ...good, left: 0 })).toThrow(/'left'/);
    expect(() => mt.setState({ ...good, left: 625 })).toThrow(/'left'/);
    expect(() => mt.setState({ ...good, left: 2, next: 624 })).toThrow(/'next'/);
    expect(() => mt.setState({ ...good, next: -1 })).toThrow(/'next'/);
    expect(draw(mt, 3)).toEqual(draw(new MT19937(3), 3));
  });
});
