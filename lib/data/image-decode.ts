// Decoding one PNG, JPEG or WebP image to 8-bit pixels of the model's input size, with sharp
// (libvips, in libuv's threads: the event loop stays free) and hostile-input limits:
//   - the format is sniffed from the bytes (never the name), and only these three reach the
//     decoder (no SVG, TIFF, PDF or GIF parsers);
//   - a pixel budget is checked from the header before anything is decoded (default 16 MP), so a
//     1 KB JPEG declaring 7000x7000 is refused at once; sharp's `limitInputPixels` backs it up;
//   - a time budget (default 10 s) stops a decode that takes too long;
//   - a corrupt or truncated file is a DataError naming the file (sharp's failOn 'error').
// The pixels are what Keras reads (PIL / tf.io.decode_image): colour values as stored (embedded
// ICC profiles ignored, no EXIF rotation), alpha dropped without compositing, grey images
// repeated into RGB, and RGB turned grey with the ITU-R 601 luma weights of
// tf.image.rgb_to_grayscale. Resizing is tf.image.resize's bilinear with half-pixel centres and
// no antialiasing, as Keras' image_dataset_from_directory does (bilinear.ts): a downscale of a
// large image runs inside libvips as an affine transform with that sampling grid (sharp's
// `resize` kernels antialias, so they are not used); small images and upscales are resized on
// the decoded pixels in JavaScript.
// Both agree with tf.image.resizeBilinear within 1 level (of 255), as tested.
import type * as SharpModule from 'sharp';
import { DataError, describe } from '../errors';
import { resizeBilinear } from './bilinear';
import { imageHeaderSize } from './image-header';

/** Decoded pixels, row-major HWC uint8. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/** Limits and output size of {@link decodeImage}. */
export interface DecodeOptions {
  /** 1 (grey) or 3 (RGB). Default 3. */
  readonly channels?: 1 | 3;
  /** Largest image, in pixels, checked from the header before decoding. Default 16 million. */
  readonly maxPixels?: number;
  /** Longest decode, in seconds (whole seconds, 1 to 3600). Default 10. */
  readonly maxDecodeSeconds?: number;
  /** Resize to this height and width (both or neither); default the image's own size. */
  readonly height?: number;
  readonly width?: number;
}

/** Default pixel budget of one image (16 MP: a 4,000 x 4,000 photo). */
export const DEFAULT_MAX_PIXELS = 16_000_000;
/** Default time budget of one decode, in seconds. */
export const DEFAULT_DECODE_SECONDS = 10;
/** Images larger than this (in pixels) are downscaled inside libvips; smaller ones in JavaScript. */
export const VIPS_RESIZE_MIN_PIXELS = 1_000_000;

type Sharp = (typeof SharpModule)['default'] & Pick<typeof SharpModule, 'interpolators'>;
let sharpModule: Sharp | undefined;
/** sharp, loaded on first use (its native library costs nothing to code that never decodes). */
function sharp(): Sharp {
  sharpModule ??= require('sharp') as Sharp; // CommonJS: the constructor, with interpolators on it
  return sharpModule;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (bytes: Uint8Array, at: number, text: string) =>
  [...text].every((ch, i) => bytes[at + i] === ch.charCodeAt(0));

/** 'png', 'jpeg', 'webp' or undefined, from the first bytes. */
export function imageFormat(bytes: Uint8Array): 'png' | 'jpeg' | 'webp' | undefined {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'webp';
  return undefined;
}

const NAMES = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' } as const;

function checkOptions(o: DecodeOptions, file: string, fn: string): void {
  const bad = (what: string, got: unknown, fix: string) =>
    new DataError(`${fn}: ${what}, got ${describe(got)}. ${fix}`, file);
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3)
    throw bad('channels 1 or 3', o.channels, 'Use 3 for RGB models, 1 for grey ones.');
  if (o.maxPixels !== undefined && !(Number.isSafeInteger(o.maxPixels) && o.maxPixels > 0))
    throw bad('maxPixels a positive integer', o.maxPixels, 'Use e.g. 16000000.');
  const s = o.maxDecodeSeconds;
  if (s !== undefined && !(Number.isInteger(s) && s >= 1 && s <= 3600))
    throw bad('maxDecodeSeconds a whole number of seconds in [1, 3600]', s, 'Use e.g. 10.');
  if ((o.height === undefined) !== (o.width === undefined))
    throw bad('height and width together', [o.height, o.width], 'Pass both, or neither to keep the size.');
  for (const v of [o.height, o.width])
    if (v !== undefined && !(Number.isInteger(v) && v > 0 && v <= 4096))
      throw bad('height and width integers in [1, 4096]', v, "Pass the model's input size.");
}

/** Width and height from the header (nothing decoded); DataError for a corrupt header. */
async function header(bytes: Buffer, file: string, format: keyof typeof NAMES, fn: string) {
  try {
    const m = await sharp()(bytes, { failOn: 'error' }).metadata();
    return { width: m.width ?? 0, height: m.height ?? 0 };
  } catch (e) {
    throw broken(fn, file, format, e);
  }
}

function broken(fn: string, file: string, format: keyof typeof NAMES, e: unknown): DataError {
  const msg = String((e as Error)?.message ?? e).split('\n')[0] ?? '';
  if (/timeout/i.test(msg))
    return new DataError(
      `${fn}: a ${NAMES[format]} image that decodes within the time budget in ${file}, got a timeout (${msg}). ` +
        `Re-encode or downscale it, or raise maxDecodeSeconds if it is trusted.`,
      file,
    );
  return new DataError(
    `${fn}: a valid ${NAMES[format]} image in ${file}, got "${msg}". ` +
      `The file is corrupt or truncated: re-export it, or remove it from the folder.`,
    file,
  );
}

/** RGB to grey with tf.image.rgb_to_grayscale's weights, rounded. */
function toGrey(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let p = 0; p < out.length; p++)
    out[p] = Math.round(
      0.2989 * (rgb[3 * p] as number) + 0.587 * (rgb[3 * p + 1] as number) + 0.114 * (rgb[3 * p + 2] as number),
    );
  return out;
}

/**
 * Decodes PNG, JPEG or WebP bytes off the event loop, resized to (height, width) when given.
 * `file` names the file in errors; a corrupt, oversized or slow file is a DataError.
 * @example (await decodeImage(bytes, 'cat.png', {height: 224, width: 224})).data.length // 224 * 224 * 3
 */
export async function decodeImage(
  bytes: Uint8Array,
  file = '<memory>',
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  const fn = 'decodeImage';
  checkOptions(options, file, fn);
  const channels = options.channels ?? 3;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const format = imageFormat(bytes);
  if (!format) {
    throw new DataError(
      `${fn}: a PNG, JPEG or WebP image in ${file}, got bytes that are none of them (starting ${Buffer.from(bytes.subarray(0, 4)).toString('hex')}). ` +
        `Convert the image to PNG or JPEG, or remove it from the folder.`,
      file,
    );
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The header in JavaScript (no thread hop); libvips' own reading of it when that fails.
  const { width, height } = imageHeaderSize(bytes, format) ?? (await header(buf, file, format, fn));
  if (!(width > 0 && height > 0)) throw broken(fn, file, format, new Error('no image size in the header'));
  if (width * height > maxPixels) {
    throw new DataError(
      `${fn}: an image of at most ${maxPixels} pixels in ${file}, got ${width}x${height} (${width * height} pixels, declared in its header). ` +
        `Downscale it first, or raise maxPixels if it is trusted.`,
      file,
    );
  }
  const outH = options.height ?? height;
  const outW = options.width ?? width;
  // A large image is downscaled inside libvips (its full-size pixels never reach JavaScript); a
  // small one, or any upscale, is resized after decoding, in JavaScript (cheaper than libvips'
  // affine set-up for small images: measured ~2x per 64x64 image).
  const inVips =
    width * height > VIPS_RESIZE_MIN_PIXELS && outH <= height && outW <= width && (outH !== height || outW !== width);
  let img = sharp()(buf, { failOn: 'error', limitInputPixels: maxPixels, ignoreIcc: true })
    .timeout({ seconds: options.maxDecodeSeconds ?? DEFAULT_DECODE_SECONDS })
    .removeAlpha()
    .toColourspace('srgb');
  if (inVips) {
    const sy = outH / height;
    const sx = outW / width;
    img = img.affine([sx, 0, 0, sy], {
      interpolator: sharp().interpolators.bilinear,
      odx: 0.5 * sx - 0.5,
      ody: 0.5 * sy - 0.5,
    });
  }
  let raw: { data: Buffer; info: SharpModule.OutputInfo };
  try {
    raw = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw broken(fn, file, format, e);
  }
  const gotH = inVips ? outH : height;
  const gotW = inVips ? outW : width;
  const { info } = raw;
  // Exactly the size asked of libvips (from the header): anything else means the decoder read
  // another size than the header declared, and nothing is guessed.
  if (info.channels !== 3 || info.width !== gotW || info.height !== gotH)
    throw broken(
      fn,
      file,
      format,
      new Error(`decoded ${info.width}x${info.height}x${info.channels}, not the ${gotW}x${gotH} expected`),
    );
  let rgb = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  if (gotH !== outH || gotW !== outW) rgb = resizeBilinear(rgb, gotH, gotW, 3, outH, outW);
  return { width: outW, height: outH, channels, data: channels === 3 ? rgb : toGrey(rgb) };
}
