// deploy.json of a run (lib/data/deployment.ts): every artifact the stages wrote, and the one to
// ship. The rule, stated in `reason` each time:
//   1. candidates: deployable artifacts (never a plan) within the recipe's accuracy check (all
//      deployable ones when the recipe has no check; none that was not scored when it has one);
//   2. among them, the preferred runtime's (recipe `deploy.prefer`, default 'ort'): for ONNX
//      Runtime, INT8 first (integer kernels; a weight-only or fp32 file computes in float), then
//      any ONNX file; for 'tfjs' or 'tflite', that runtime's;
//   3. the smallest (files as written) of those, or of all candidates when none is preferred.
// No candidate: `recommended` is null, and the reason names the closest artifact.
import { Deployment, DeploymentArtifact, validateDeployment } from '../data/deployment';
import { ArtifactRecord, StageRecord } from './report';

/** Options of {@link buildDeployment}. */
export interface DeploymentOptions {
  readonly maxAccuracyDrop?: number;
  readonly prefer?: 'ort' | 'tfjs' | 'tflite';
  readonly input: Deployment['input'];
  readonly output: Deployment['output'];
}

const INT8_PRECISIONS = ['int8', 'int8-dynamic'];
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const mb = (b: number) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const RUNTIME: Record<string, string> = {
  ort: 'ONNX Runtime',
  tfjs: 'TensorFlow.js',
  tflite: 'TFLite',
  coreml: 'Core ML',
  none: 'nothing',
};

function describeArtifact(a: ArtifactRecord): string {
  const acc =
    a.accuracy !== undefined
      ? `, accuracy ${pct(a.accuracy)}${a.accuracyDrop !== undefined ? ` (drop ${pct(a.accuracyDrop)})` : ''}`
      : ', not scored';
  return `${a.format} ${a.precision} on ${RUNTIME[a.runtime]}, ${mb(a.sizeBytes)} (${a.sizeRatio.toFixed(2)}x the original's files)${acc}`;
}

function smallest(xs: readonly ArtifactRecord[]): ArtifactRecord | undefined {
  return xs.reduce<ArtifactRecord | undefined>(
    (a, b) => (a === undefined || b.sizeBytes < a.sizeBytes ? b : a),
    undefined,
  );
}

/** The artifact to ship and why (see the file header). */
export function recommend(
  artifacts: readonly ArtifactRecord[],
  o: Pick<DeploymentOptions, 'maxAccuracyDrop' | 'prefer'>,
): { recommended: string | null; reason: string } {
  const deployable = artifacts.filter((a) => a.deployable);
  if (!deployable.length)
    return { recommended: null, reason: 'the run wrote no deployable artifact (add a quantize or export stage)' };
  const max = o.maxAccuracyDrop;
  const passing = deployable.filter(
    (a) =>
      max === undefined || (a.accuracyDrop !== undefined && Number.isFinite(a.accuracyDrop) && a.accuracyDrop <= max),
  );
  if (!passing.length) {
    const scored = deployable.filter((a) => a.accuracyDrop !== undefined && Number.isFinite(a.accuracyDrop));
    const best = scored.reduce<ArtifactRecord | undefined>(
      (a, b) => (a === undefined || (b.accuracyDrop as number) < (a.accuracyDrop as number) ? b : a),
      undefined,
    );
    return {
      recommended: null,
      reason: best
        ? `no deployable artifact kept the accuracy drop within ${pct(max as number)}; the closest is ${best.file} (${describeArtifact(best)})`
        : `no deployable artifact was scored, so none is known to keep the accuracy drop within ${pct(max as number)}: add data.evaluation with labels`,
    };
  }
  const prefer = o.prefer ?? 'ort';
  const preferred =
    prefer === 'ort'
      ? ([
          passing.filter((a) => a.runtime === 'ort' && INT8_PRECISIONS.includes(a.precision)),
          passing.filter((a) => a.runtime === 'ort'),
        ].find((xs) => xs.length) ?? [])
      : passing.filter((a) => a.runtime === prefer);
  const pick = (smallest(preferred) ?? smallest(passing)) as ArtifactRecord;
  const least = smallest(passing) as ArtifactRecord;
  const within =
    max === undefined ? 'deployable (the recipe has no accuracy check)' : `within the ${pct(max)} accuracy-drop check`;
  const why =
    pick === least
      ? `the smallest artifact ${within}`
      : `preferred: ${prefer === 'ort' ? 'INT8 in ONNX Runtime runs integer kernels' : `the recipe prefers ${RUNTIME[prefer]}`}; ` +
        `the smallest artifact ${within} is ${least.file} (${describeArtifact(least)})`;
  return { recommended: pick.file, reason: `${pick.file}: ${describeArtifact(pick)}; ${why}` };
}

/** deploy.json for the stages of a run (checked with validateDeployment before it is returned). */
export function buildDeployment(stages: readonly StageRecord[], o: DeploymentOptions): Deployment {
  const records = stages.flatMap((s) => s.artifacts ?? []);
  const { recommended, reason } = recommend(records, o);
  const artifacts: DeploymentArtifact[] = stages.flatMap((s) =>
    (s.artifacts ?? []).map((a) => ({
      stage: s.artifact as string,
      file: a.file,
      format: a.format,
      runtime: a.runtime,
      deployable: a.deployable,
      precision: a.precision,
      sizeBytes: a.sizeBytes,
      ...(a.accuracy !== undefined && Number.isFinite(a.accuracy) ? { accuracy: a.accuracy } : {}),
      ...(a.floatLayers?.length ? { floatLayers: a.floatLayers.map((f) => f.layer) } : {}),
      ...(a.notes?.length ? { note: a.notes.join('; ').slice(0, 4096) } : {}),
    })),
  );
  return validateDeployment({
    format: 'tfjs-compress-deployment',
    version: 1,
    recommended,
    reason: reason.slice(0, 4096),
    artifacts,
    input: o.input,
    output: o.output,
  });
}
