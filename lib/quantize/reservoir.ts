// A fixed-size uniform sample of a stream of numbers (reservoir sampling, Li 1994's "Algorithm
// L": after the reservoir fills, it jumps over a geometrically distributed number of items, so
// the random draws grow with log(n / k), not n). The calibration observers keep their samples
// here: memory is `capacity` floats per quantization point, however much data streams by.
import { Rng } from '../core/rng';

/** A seeded reservoir of at most `capacity` values. */
export class Reservoir {
  private readonly values: Float32Array;
  private filled = 0;
  private seen = 0;
  private next = 0;
  private w = 1;
  private readonly rng: Rng;

  constructor(
    readonly capacity: number,
    seed: number,
  ) {
    this.values = new Float32Array(capacity);
    this.rng = new Rng(seed);
  }

  private u(): number {
    return Math.max(this.rng.next(), Number.MIN_VALUE);
  }

  /** Draws the stream index (0-based) of the next value to keep, `seen` values having gone by. */
  private skip(): void {
    this.w *= Math.exp(Math.log(this.u()) / this.capacity);
    this.next = this.seen + Math.floor(Math.log(this.u()) / Math.log(1 - this.w));
  }

  /** Offers every value of `data` to the sample. */
  add(data: ArrayLike<number>): void {
    let i = 0;
    while (i < data.length && this.filled < this.capacity) {
      this.values[this.filled++] = data[i++] as number;
      this.seen++;
      if (this.filled === this.capacity) this.skip();
    }
    while (i < data.length) {
      // `next` is the stream index of the next value to keep.
      const jump = this.next - this.seen;
      if (jump >= data.length - i) {
        this.seen += data.length - i;
        return;
      }
      i += jump;
      this.seen += jump;
      this.values[this.rng.int(this.capacity)] = data[i++] as number;
      this.seen++;
      this.skip();
    }
  }

  /** Values offered so far. */
  get count(): number {
    return this.seen;
  }

  /** The sample (a copy, at most `capacity` values). */
  sample(): Float32Array {
    return this.values.slice(0, this.filled);
  }
}
