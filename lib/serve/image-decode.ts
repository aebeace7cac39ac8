// Uploaded images to 8-bit RGB pixels at the model's size, with sharp (libvips): decoding and
// resizing run on libuv's threads, never on the event loop. An upload is hostile until decoded:
//   - only PNG and JPEG, sniffed from the bytes (not the content type);
//   - a pixel budget checked from the header before any pixel is decoded (a 1 KB JPEG may
//     declare 7000 x 7000), and again by libvips itself (limitInputPixels);
//   - a time budget: the answer comes at the budget whatever libvips does (its own timeout,
//     whole seconds, stops the work soon after);
//   - at most `maxConcurrent` decodes at once, the rest wait in line (so uploads cannot take every
//     libuv thread from file reads);
//   - any failure is a RequestError: 415 not PNG/JPEG, 413 over a budget, 400 corrupt.
// The image is resized to the model's height and width (stretched, as Keras' load_img and the
// run's image folders do), RGB, alpha dropped (premultiplied while resizing), 8 bits a channel.
import type { Sharp, SharpOptions } from 'sharp';
import { imageFormat } from '../data/image-decode';
import { RequestError } from './request-error';

/** Limits of {@link ImageDecoder}. */
export interface ImageLimits {
  /** Largest image, width x height, checked from the header. Default 16 million. */
  readonly maxPixels?: number;
  /** Longest a decode may take (ms). Default 5,000. */
  readonly timeoutMs?: number;
  /** Decodes at once. Default 2. */
  readonly maxConcurrent?: number;
}

type SharpFactory = (input: Uint8Array, options?: SharpOptions) => Sharp;
let factory: Promise<SharpFactory> | undefined;
/** sharp, loaded on the first upload (libvips is not loaded by servers that never see an image). */
const loadSharp = (): Promise<SharpFactory> =>
  (factory ??= import('sharp').then((m) => ((m as { default?: SharpFactory }).default ?? m) as SharpFactory));

const fail = (status: number, message: string): RequestError => new RequestError(`predict: ${message}`, status);

/** Decodes uploads under the server's image limits. */
export class ImageDecoder {
  readonly maxPixels: number;
  readonly timeoutMs: number;
  private readonly maxConcurrent: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(limits: ImageLimits = {}) {
    this.maxPixels = limits.maxPixels ?? 16_000_000;
    this.timeoutMs = limits.timeoutMs ?? 5000;
    this.maxConcurrent = limits.maxConcurrent ?? 2;
  }

  /**
   * RGB pixels (height x width x 3, uint8, row-major) of a PNG or JPEG upload, resized to
   * `height` x `width`. Rejects with a RequestError; `signal` (the request's deadline) stops
   * the wait in line.
   */
  async decode(bytes: Uint8Array, height: number, width: number, signal?: AbortSignal): Promise<Uint8Array> {
    const format = imageFormat(bytes);
    if (!format)
      throw fail(
        415,
        `a PNG or JPEG image, got ${bytes.length} bytes starting ${Buffer.from(bytes.subarray(0, 4)).toString('hex') || '(none)'}. Convert the image to PNG or JPEG.`,
      );
    const sharp = await loadSharp();
    await this.slot(signal);
    const work = this.run(sharp, bytes, format, height, width);
    // The slot is held until libvips stops, even when the answer went out at the budget.
    work
      .catch(() => undefined)
      .finally(() => {
        this.running--;
        this.waiting.shift()?.();
      });
    return this.withBudget(work);
  }

  private async run(
    sharp: SharpFactory,
    bytes: Uint8Array,
    format: string,
    height: number,
    width: number,
  ): Promise<Uint8Array> {
    const corrupt = (e: unknown): RequestError =>
      /pixel limit/i.test((e as Error)?.message ?? '')
        ? fail(413, `an image of at most ${this.maxPixels} pixels, got more. Downscale it before sending it.`)
        : fail(
            400,
            `a valid ${format.toUpperCase()} image, got one that does not decode (${String((e as Error)?.message ?? e).slice(0, 120)}). Send the file as it is, not re-encoded.`,
          );
    let header: { width?: number; height?: number };
    try {
      header = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch (e) {
      throw corrupt(e);
    }
    const pixels = (header.width ?? 0) * (header.height ?? 0);
    if (!(pixels > 0)) throw corrupt(new Error('no image size in the header'));
    if (pixels > this.maxPixels)
      throw fail(
        413,
        `an image of at most ${this.maxPixels} pixels, got ${header.width}x${header.height}. Downscale it to about the model's input (${width}x${height}) before sending it.`,
      );
    try {
      const { data, info } = await sharp(bytes, {
        limitInputPixels: this.maxPixels,
        failOn: 'error',
        sequentialRead: true,
      })
        .timeout({ seconds: Math.max(1, Math.ceil(this.timeoutMs / 1000)) })
        .removeAlpha()
        .toColourspace('srgb')
        .resize(width, height, { fit: 'fill', kernel: 'linear' })
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      if (info.width !== width || info.height !== height || info.channels !== 3 || data.length !== width * height * 3)
        throw new Error(`decoded ${info.width}x${info.height}x${info.channels}`);
      return new Uint8Array(data.buffer, data.byteOffset, data.length);
    } catch (e) {
      throw corrupt(e);
    }
  }

  /** Answers at the time budget whatever libvips does. */
  private withBudget<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            fail(
              413,
              `an image that decodes within ${this.timeoutMs} ms, got one that takes longer. Send a smaller image.`,
            ),
          ),
        this.timeoutMs,
      );
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  /** Waits for a decode slot (or the request's deadline). */
  private slot(signal?: AbortSignal): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', abort);
        this.running++;
        resolve();
      };
      const abort = (): void => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason instanceof Error ? signal.reason : fail(504, 'an answer in time, got none.'));
      };
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort, { once: true });
      this.waiting.push(go);
    });
  }
}
