// The model being served, swappable atomically. A request leases the current slot for its whole
// prediction; a swap publishes a new slot (one assignment, so a request sees the old model or the
// new one, never a mix) and the old model is disposed only when its last lease is released.
import * as tf from '@tensorflow/tfjs';

/** One loaded model version with a lease count. */
export class ModelSlot {
  private leases = 0;
  private retired = false;
  private disposed = false;

  constructor(readonly model: tf.LayersModel, readonly name: string, readonly version: string) {}

  /** Per-example input shape (without the batch dimension). */
  get inputShape(): number[] {
    return ((this.model.inputs[0]?.shape ?? []).slice(1) as (number | null)[]).map((d) => d ?? 1);
  }

  acquire(): void {
    this.leases++;
  }

  release(): void {
    this.leases--;
    this.maybeDispose();
  }

  /** Marks the slot as replaced; its model is disposed once no request holds it. */
  retire(): void {
    this.retired = true;
    this.maybeDispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private maybeDispose(): void {
    if (this.retired && this.leases === 0 && !this.disposed) {
      this.disposed = true;
      this.model.dispose();
    }
  }
}
