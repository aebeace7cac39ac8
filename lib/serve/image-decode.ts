// Uploaded images to 8-bit RGB pixels at the model's size, with sharp (libvips): decoding and
// resizing run on libuv's threads, never on the event loop. An upload is hostile until decoded:
//   - only PNG, JPEG and WebP, sniffed from the bytes (not the content type);
//   - a pixel budget checked from the header before any pixel is decoded (a 1 KB JPEG may
//     declare 7000 x 7000), and again by libvips itself (limitInputPixels);
//   - a time budget: the answer comes at the budget whatever libvips does (its own timeout,
//     whole seconds, stops the work soon after);
//   - at most `maxConcurrent` decodes at once, the rest wait in line (so uploads cannot take every
//     libuv thread from file reads);
//   - any failure is a RequestError: 415 not PNG/JPEG, 413 over a budget, 400 corrupt.
// The image is resized to the model's height and width (stretched, as Keras' load_img and the
// run's image folders do: the data side's decodeImage, one resize for both), RGB, alpha dropped,
// 8 bits a channel.
import { decodeImage, imageFormat } from '../data/image-decode';
import { imageHeaderSize } from '../data/image-header';
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
        `a PNG, JPEG or WebP image, got ${bytes.length} bytes starting ${Buffer.from(bytes.subarray(0, 4)).toString('hex') || '(none)'}. Convert the image to PNG or JPEG.`,
      );
    await this.slot(signal);
    const work = this.run(bytes, format, height, width);
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
    bytes: Uint8Array,
    format: 'png' | 'jpeg' | 'webp',
    height: number,
    width: number,
  ): Promise<Uint8Array> {
    const corrupt = (e: unknown): RequestError =>
      /pixel limit|of at most \d+ pixels/i.test((e as Error)?.message ?? '')
        ? fail(
            413,
            `an image of at most ${this.maxPixels} pixels, got more. Downscale it to about the model's input (${width}x${height}) before sending it.`,
          )
        : fail(
            400,
            `a valid ${format.toUpperCase()} image, got one that does not decode (${String((e as Error)?.message ?? e).slice(0, 120)}). Send the file as it is, not re-encoded.`,
          );
    const declared = imageHeaderSize(bytes, format);
    if (declared && declared.width * declared.height > this.maxPixels)
      throw fail(
        413,
        `an image of at most ${this.maxPixels} pixels, got ${declared.width}x${declared.height}. Downscale it to about the model's input (${width}x${height}) before sending it.`,
      );
    try {
      // The run's own decoder: the same bilinear resize (Keras' half-pixel centres) as the image
      // folders the model was calibrated and evaluated on, so a served photo gets the same pixels.
      const img = await decodeImage(bytes, 'the upload', {
        height,
        width,
        channels: 3,
        maxPixels: this.maxPixels,
        maxDecodeSeconds: Math.max(1, Math.ceil(this.timeoutMs / 1000)),
      });
      return img.data;
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
