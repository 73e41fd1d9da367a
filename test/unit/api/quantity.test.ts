import fc from 'fast-check';
import { formatQuantity, isQuantity, parseMilliQuantity, parseQuantity, QuantityError } from '../../../api/quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['128Mi', 134217728n],
    ['1Gi', 1073741824n],
    ['1Ki', 1024n],
    ['1Ei', 1152921504606846976n],
    ['0.5Gi', 536870912n],
    ['1.5Ki', 1536n],
    ['1G', 1000000000n],
    ['1024M', 1024000000n],
    ['1k', 1000n],
    ['1.5k', 1500n],
    ['2', 2n],
    [2, 2n],
    [134217728, 134217728n],
    ['1e3', 1000n],
    ['1E3', 1000n],
    ['1e-3', 1n],
    ['500m', 1n],
    ['1000m', 1n],
    ['1001m', 2n],
    ['.5', 1n],
    ['1.', 1n],
    ['+5', 5n],
    ['-5', -5n],
    ['0', 0n],
    ['1E', 1000000000000000000n],
  ] as const)('reads %p as %p (rounded up, as Kubernetes Value())', (input, bytes) => {
    expect(parseQuantity(input)).toBe(bytes);
  });

  it.each(['2Gb', '', 'Mi', '1 Mi', '1mi', '1KI', 'one', '1e', '1e1.5', '1.2.3', '--1', '1e999'])(
    'refuses %p with a message that suggests a valid quantity',
    (input) => {
      expect(() => parseQuantity(input)).toThrow(QuantityError);
      expect(() => parseQuantity(input)).toThrow(/is not a quantity; use one such as 128Mi/);
      expect(isQuantity(input)).toBe(false);
    },
  );

  it('refuses numbers that are not safe integers and values that are not strings or numbers', () => {
    expect(isQuantity(1.5)).toBe(false);
    expect(isQuantity(Number.MAX_SAFE_INTEGER + 2)).toBe(false);
    expect(isQuantity(null)).toBe(false);
    expect(isQuantity({})).toBe(false);
    expect(isQuantity('128Mi')).toBe(true);
  });
});

describe('parseMilliQuantity', () => {
  it.each([
    ['500m', 500n],
    ['1', 1000n],
    [2, 2000n],
    ['0.1', 100n],
    ['1.5', 1500n],
    ['1u', 1n],
    ['1Ki', 1024000n],
  ] as const)('reads %p as %p thousandths', (input, milli) => {
    expect(parseMilliQuantity(input)).toBe(milli);
  });
});

describe('formatQuantity', () => {
  it.each([
    [134217728n, '128Mi'],
    [1073741824n, '1Gi'],
    [1536n, '1536'],
    [1000n, '1000'],
    [0n, '0'],
    [-2048n, '-2Ki'],
    [1152921504606846976n * 3n, '3Ei'],
  ] as const)('writes %p as %p', (value, text) => {
    expect(formatQuantity(value)).toBe(text);
  });

  it('writes every integer so that parseQuantity reads it back unchanged', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (n) => parseQuantity(formatQuantity(n)) === n),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 20n }), fc.integer({ min: 0, max: 6 }), (n, k) => {
        const value = n * 1024n ** BigInt(k);
        return parseQuantity(formatQuantity(value)) === value;
      }),
    );
  });
});
