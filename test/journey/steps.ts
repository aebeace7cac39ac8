// What the journey types and sends, in one place: the install commands (the README's, checked
// by test/journey/readme-blocks.test.ts), the recipe, the upload requests, and how a class name
// is found in the server's answer.
import { DIGIT_NAMES } from './user-files';

/**
 * Installing the packed tarball into an app, as the README says: ONNX Runtime's install script
 * would download GPU libraries from outside the npm registry, so the app denies it (npm 11's
 * allowScripts, kept for every later install) and the variable skips it on any npm.
 */
export const INSTALL_COMMANDS = (tarball: string): string[] => [
  'npm pkg set allowScripts.onnxruntime-node=false --json',
  `ONNXRUNTIME_NODE_INSTALL=skip npm install ${tarball}`,
];

/** The journey's recipe (paths relative to the app). */
export function journeyRecipe(): unknown {
  return {
    version: 1,
    model: './models/digits-mobilenet-input',
    seed: 0,
    data: {
      calibration: { path: './calibration', preprocessing: 'mobilenet' },
      evaluation: { path: './evaluation', preprocessing: 'mobilenet', classNames: [...DIGIT_NAMES] },
    },
    stages: [
      { kind: 'quantize', mode: 'static', calibration: { count: 64 } },
      { kind: 'export', to: 'onnx' },
      { kind: 'export', to: 'tflite' },
      { kind: 'bench', runtimes: ['tfjs-wasm', 'ort'], batchSizes: [1, 32], rounds: 3 },
    ],
    checks: { maxAccuracyDrop: 0.02 },
  };
}

/** Ways to POST one PNG, in the order tried: the raw bytes, then a multipart form upload. */
export function predictRequests(
  port: number,
  png: Buffer,
): { label: string; url: string; headers: Record<string, string>; body: Buffer }[] {
  const boundary = 'tfc-journey-boundary';
  const form = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="image"; filename="digit.png"\r\ncontent-type: image/png\r\n\r\n`,
    ),
    png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const url = `http://127.0.0.1:${port}/v1/predict`;
  return [
    { label: '/v1/predict (image/png body)', url, headers: { 'content-type': 'image/png' }, body: png },
    {
      label: '/v1/predict (multipart form, field "image")',
      url,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: form,
    },
  ];
}

const CLASS_KEY = /^(class|class_?name|label|predicted_?(class|label)?|prediction|top_?class)$/i;

/** A value of `names` under a class-like key (className, label, ...) anywhere in `answer`, else the first such string. */
export function findClassName(answer: unknown, names: readonly string[]): string | undefined {
  const keyed = (v: unknown): string | undefined => {
    if (Array.isArray(v)) return v.map(keyed).find((x) => x !== undefined);
    if (!v || typeof v !== 'object') return undefined;
    for (const [k, x] of Object.entries(v))
      if (CLASS_KEY.test(k) && typeof x === 'string' && names.includes(x)) return x;
    return Object.values(v)
      .map(keyed)
      .find((x) => x !== undefined);
  };
  return keyed(answer) ?? anyName(answer, names);
}

/** The first string in `answer` (depth first) that is one of `names`. */
function anyName(answer: unknown, names: readonly string[]): string | undefined {
  if (typeof answer === 'string') return names.includes(answer) ? answer : undefined;
  if (Array.isArray(answer)) {
    for (const v of answer) {
      const found = anyName(v, names);
      if (found) return found;
    }
    return undefined;
  }
  if (answer && typeof answer === 'object') {
    for (const v of Object.values(answer)) {
      const found = anyName(v, names);
      if (found) return found;
    }
  }
  return undefined;
}
