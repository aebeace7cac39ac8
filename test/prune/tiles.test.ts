// The tile table and the rule that reads it: detectTile on curves whose tile is known by
// construction, the defaults per target, and resolveRounding's errors.
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { MEASURED_TILES } from '../../lib/prune/tile-table';
import { DEFAULT_PRUNE_TARGET, PRUNE_TARGETS, detectTile, resolveRounding, tileOf } from '../../lib/prune/tiles';

const COUNTS = Array.from({ length: 128 }, (_, i) => 33 + i);
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

describe('prune/tiles', () => {
  it('detectTile finds the staircase a curve is built with, and 1 for time that grows smoothly', () => {
    const tile = (f: (c: number) => number) => detectTile(COUNTS, COUNTS.map(f)).tile;
    expect(tile((c) => Math.ceil(c / 16))).to.equal(16);
    expect(tile((c) => Math.ceil(c / 8) * 8 + 0.5 * c)).to.equal(8); // a staircase of 8 over a linear part
    expect(tile((c) => 4 * Math.ceil(c / 4))).to.equal(4);
    expect(tile((c) => 100 + c)).to.equal(1); // a fixed cost does not make rounding up free
    expect(tile((c) => c)).to.equal(1);
    expect(tile(() => 1)).to.equal(1); // flat: no marginal cost, nothing to gain
  });

  it("detectTile is not fooled by a finer tile's jumps: counts off multiples of 4 twice as slow, plus blocks of 16 (ONNX Runtime's shape)", () => {
    const ortLike = (c: number) => (c % 4 === 0 ? 1 : 2) * Math.ceil(c / 16) * 16 + 0.2 * c;
    const found = detectTile(COUNTS, COUNTS.map(ortLike));
    expect(found.tile).to.equal(16);
    const step32 = found.steps.find((s) => s.tile === 32);
    expect(step32?.points).to.equal(4); // 48, 80, 112, 144
    expect(step32?.passed).to.equal(0);
  });

  it('detectTile refuses too few counts or mismatched times', () => {
    expect(() => detectTile([1, 2, 3], [1, 2, 3])).to.throw(ConfigError, /detectTile: at least 4 counts/);
    expect(() => detectTile([1, 2, 3, 4], [1, 2, 3])).to.throw(ConfigError, /got 4 counts/);
    expect(() => detectTile([1, 2, 3, 4], [1, 2, NaN, 4])).to.throw(ConfigError, /finite time/);
  });

  it("the defaults per target read the measured table; 'any' (the default) is a multiple of every runtime's tile", () => {
    expect(DEFAULT_PRUNE_TARGET).to.equal('any');
    expect(MEASURED_TILES.measuredAt).to.match(/^\d{4}-\d{2}-\d{2}$/);
    expect(MEASURED_TILES.machine.cpuFlags.length).to.be.greaterThan(0);
    for (const t of ['ort', 'tfjs-wasm', 'tflite'] as const) {
      const entry = MEASURED_TILES.runtimes[t];
      expect(tileOf(t)).to.equal(entry.roundTo);
      expect(Number.isInteger(entry.roundTo) && entry.roundTo >= 1).to.equal(true);
      // A runtime's tile is the least common multiple of its blocks' tiles.
      expect(Object.values(entry.blocks).reduce((a, b) => (a * b) / gcd(a, b), 1)).to.equal(entry.roundTo);
      expect(tileOf('any') % tileOf(t)).to.equal(0);
    }
    expect(tileOf('any')).to.equal(
      Object.values(MEASURED_TILES.runtimes).reduce((a, r) => (a * r.roundTo) / gcd(a, r.roundTo), 1),
    );
    expect(resolveRounding('f', {})).to.deep.equal({ roundTo: tileOf('any'), target: 'any' });
    expect(resolveRounding('f', { target: 'ort' })).to.deep.equal({ roundTo: tileOf('ort'), target: 'ort' });
    expect(resolveRounding('f', { roundTo: 1 })).to.deep.equal({ roundTo: 1 });
    expect(PRUNE_TARGETS).to.deep.equal(['any', 'ort', 'tfjs-wasm', 'tflite']);
  });

  it('resolveRounding: typed errors naming the caller and the fix', () => {
    expect(() => resolveRounding('cli prune', { target: 'GPU' })).to.throw(
      ConfigError,
      /^cli prune: target one of 'any', 'ort', 'tfjs-wasm', 'tflite', got "GPU"\. Name the runtime/,
    );
    expect(() => resolveRounding('f', { roundTo: -16 })).to.throw(ConfigError, /roundTo a positive integer, got -16/);
    expect(() => resolveRounding('f', { roundTo: '16' })).to.throw(ConfigError, /roundTo a positive integer, got "16"/);
    expect(() => resolveRounding('f', { target: 'ort', roundTo: 16 })).to.throw(
      ConfigError,
      /target or roundTo, got both/,
    );
  });
});
