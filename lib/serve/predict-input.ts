// A predict or infer request's body to a validated batch, by its Content-Type:
//   - JSON (this server's `{input}` / `{inputs}`, or an Open Inference Protocol request): read
//     under the body cap, parsed on the main thread when small, in a worker when large;
//   - `image/png`, `image/jpeg` (or application/octet-stream): one image, the body itself;
//   - `multipart/form-data`: a batch of images, one per file part, streamed through busboy.
// Images are decoded off the event loop (image-decode.ts), resized to the model's input, and
// preprocessed as the version's deploy.json says (pixels.ts, in a worker). Every stage waits on
// the request's scope: over the global body budget the answer is 503, past the deadline 504.
import * as http from 'http';
import { ImageLayout, ServingContract, imageLayout } from './contract';
import type { BodyKind } from './decode';
import { readBody, readBodyChunks } from './http-util';
import { ImageDecoder } from './image-decode';
import { RequestError } from './request-error';
import type { RequestScope } from './request-scope';
import { readUploads } from './upload';
import type { PredictInput } from './validate';

/** What reading an input needs from the server. */
export interface InputContext {
  readonly contract: ServingContract;
  readonly maxBatchSize: number;
  /** Largest JSON body. */
  readonly maxBodyBytes: number;
  /** Largest image file (one image body, or one file of a form). */
  readonly maxImageBytes: number;
  readonly images: ImageDecoder;
  /** Parses a JSON body (in a worker when it is large). */
  decode(kind: BodyKind, chunks: Buffer[]): Promise<PredictInput>;
  /** Preprocesses decoded pixels (NHWC uint8) into model inputs (in a worker when others are in flight). */
  pixels(pixels: Uint8Array, count: number, layout: ImageLayout): Promise<Float32Array>;
}

/** A validated input, and how long reading and parsing (or decoding) took (ms). */
export interface ReadInput {
  readonly input: PredictInput;
  readonly readMs: number;
  readonly parseMs: number;
}

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/jpg', 'application/octet-stream'];

/** The media type of a request, lower case, without parameters ('' when absent). */
export function mediaType(req: http.IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function layoutOf(ctx: InputContext, route: string): ImageLayout {
  const layout = imageLayout(ctx.contract.input);
  if (!layout)
    throw new RequestError(
      `${route}: images for a model that takes images, got one for a model with input [${ctx.contract.input.shape.join(', ')}]. ` +
        `Send JSON {"input": [...]} of that shape.`,
      415,
    );
  return layout;
}

async function imagesToInput(
  ctx: InputContext,
  files: readonly Uint8Array[],
  layout: ImageLayout,
  scope: RequestScope,
): Promise<Float32Array> {
  const decoded = await scope.race(
    Promise.all(files.map((f) => ctx.images.decode(f, layout.height, layout.width, scope.signal))),
  );
  const one = layout.height * layout.width * 3;
  const pixels = new Uint8Array(decoded.length * one);
  decoded.forEach((d, i) => pixels.set(d, i * one));
  return scope.race(ctx.pixels(pixels, decoded.length, layout));
}

/**
 * Reads and validates the body of a predict (`kind` 'predict') or infer ('infer': JSON only)
 * request. Throws a RequestError: 400 malformed, 413 too large, 415 an unsupported type, 503
 * over the body budget, 504 past the deadline.
 */
export async function readPredictInput(
  ctx: InputContext,
  req: http.IncomingMessage,
  route: string,
  kind: BodyKind,
  scope: RequestScope,
): Promise<ReadInput> {
  const t0 = performance.now();
  const type = mediaType(req);
  if (kind === 'predict' && type === 'multipart/form-data') {
    const layout = layoutOf(ctx, route);
    const files = await scope.race(
      readUploads(
        req,
        {
          maxFiles: ctx.maxBatchSize,
          maxFileBytes: ctx.maxImageBytes,
          maxBodyBytes: Math.min(ctx.maxBatchSize, 64) * ctx.maxImageBytes + 65536,
        },
        route,
        scope,
      ),
    );
    const t1 = performance.now();
    const values = await imagesToInput(ctx, files, layout, scope);
    return { input: { values, count: files.length, batch: true }, readMs: t1 - t0, parseMs: performance.now() - t1 };
  }
  if (kind === 'predict' && (IMAGE_TYPES.includes(type) || type.startsWith('image/'))) {
    const layout = layoutOf(ctx, route);
    const bytes = await readBody(req, ctx.maxImageBytes, route, { scope });
    const t1 = performance.now();
    const values = await imagesToInput(ctx, [bytes], layout, scope);
    return { input: { values, count: 1, batch: false }, readMs: t1 - t0, parseMs: performance.now() - t1 };
  }
  const chunks = await readBodyChunks(req, ctx.maxBodyBytes, route, { scope });
  const t1 = performance.now();
  const input = await scope.race(ctx.decode(kind, chunks));
  return { input, readMs: t1 - t0, parseMs: performance.now() - t1 };
}
