import { describe, expect, it } from 'vitest';
import { biasBound, kaimingUniformBound } from '../../src/nn/init-bounds.js';

describe('default Conv2d/Linear init bounds', () => {
  it('kaimingUniformBound matches the doubles torch.nn.init computes', () => {
    // Printed by Python for math.sqrt(3.0) * (math.sqrt(2.0 / (1 + math.sqrt(5) ** 2)) / math.sqrt(fan_in)).
    // Algebraically these are 1/sqrt(fan_in); the rounding of each step leaves them an ulp or two below.
    expect(kaimingUniformBound(4)).toBe(0.49999999999999994);
    expect(kaimingUniformBound(27)).toBe(0.19245008972987523);
    expect(kaimingUniformBound(5)).toBe(0.44721359549995787);
    expect(kaimingUniformBound(9)).toBe(0.33333333333333326);
  });

  it('follows the order of operations of torch.nn.init, which decides the last bit', () => {
    // sqrt(3) * (gain / sqrt(fanIn)) differs from the algebraically equal 1 / sqrt(fanIn).
    const fanIn = 9;
    const a = Math.sqrt(5);
    const gain = Math.sqrt(2 / (1 + a * a));
    expect(Math.sqrt(3) * (gain / Math.sqrt(fanIn))).toBe(kaimingUniformBound(fanIn));
    expect(1 / Math.sqrt(fanIn)).not.toBe(kaimingUniformBound(fanIn));
  });

  it('takes the negative slope a (default sqrt(5))', () => {
    expect(kaimingUniformBound(8, Math.sqrt(5))).toBe(kaimingUniformBound(8));
    expect(kaimingUniformBound(2, 0)).toBe(Math.sqrt(3) * (Math.sqrt(2) / Math.sqrt(2)));
    expect(kaimingUniformBound(6, 1)).toBe(Math.sqrt(3) * (1 / Math.sqrt(6)));
  });

  it('biasBound is 1/sqrt(fanIn), and 0 without inputs', () => {
    expect(biasBound(4)).toBe(0.5);
    expect(biasBound(27)).toBe(0.19245008972987526);
    expect(biasBound(5)).toBe(1 / Math.sqrt(5));
    expect(biasBound(0)).toBe(0);
  });

  it('rejects fan-ins that are not counts', () => {
    expect(() => kaimingUniformBound(0)).toThrow(RangeError);
    expect(() => kaimingUniformBound(-2)).toThrow(RangeError);
    expect(() => kaimingUniformBound(2.5)).toThrow(RangeError);
    expect(() => kaimingUniformBound(4, Number.NaN)).toThrow(RangeError);
    expect(() => biasBound(-1)).toThrow(RangeError);
    expect(() => biasBound(Number.NaN)).toThrow(RangeError);
  });
});
