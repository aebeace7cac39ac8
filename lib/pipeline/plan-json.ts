// A quantization plan as plain JSON (typed arrays as number lists) and back, checked on the way in.
import { DataError } from '../errors';
import { QuantPlan } from '../quantize/plan';
import { QParams } from '../quantize/qparams';

type QJson = Omit<QParams, 'scale' | 'zeroPoint'> & { scale: number[]; zeroPoint: number[] };

const toJson = (q: QParams): QJson => ({ ...q, scale: Array.from(q.scale), zeroPoint: Array.from(q.zeroPoint) });

/** The plan as JSON-serializable data. */
export function planToJson(plan: QuantPlan): unknown {
  const map = (r: Readonly<Record<string, QParams>>) => Object.fromEntries(Object.entries(r).map(([k, q]) => [k, toJson(q)]));
  return { ...plan, weights: map(plan.weights), activations: map(plan.activations) };
}

/** A plan read back from JSON; a DataError names `file` when it is not one. */
export function planFromJson(value: unknown, file: string): QuantPlan {
  const v = value as { mode?: unknown; weightBits?: unknown; activationBits?: unknown; weights?: Record<string, QJson>; activations?: Record<string, QJson> } | null;
  const ok = v && ['weight-only', 'dynamic', 'static'].includes(v.mode as string) && typeof v.weightBits === 'number' && typeof v.activationBits === 'number' &&
    v.weights && typeof v.weights === 'object' && v.activations && typeof v.activations === 'object';
  if (!ok) throw new DataError(`planFromJson: a quantization plan {mode, weightBits, activationBits, weights, activations} in ${file}, got another value. Quantize the model again.`, file);
  const map = (r: Record<string, QJson>) => Object.fromEntries(Object.entries(r).map(([k, q]) => {
    if (!q || !Array.isArray(q.scale) || !Array.isArray(q.zeroPoint)) throw new DataError(`planFromJson: scale and zeroPoint lists for "${k}" in ${file}, got another value. Quantize the model again.`, file);
    return [k, { ...q, scale: Float32Array.from(q.scale), zeroPoint: Int32Array.from(q.zeroPoint) } as QParams];
  }));
  return { ...(v as unknown as QuantPlan), weights: map(v.weights as Record<string, QJson>), activations: map(v.activations as Record<string, QJson>) };
}
