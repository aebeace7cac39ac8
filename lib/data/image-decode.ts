// Decoding one PNG or JPEG file to 8-bit pixels, with the decoders' hostile-input limits on:
// `pngjs` (pure JS, no dependencies, 16-bit and palette images rescaled to 8 bits) and `jpeg-js`
// (pure JS, no dependencies, with its own resolution and memory caps). The format is sniffed from
// the bytes, not the file name. Colour images become grey with the ITU-R 601 luma weights that
// tf.image.rgb_to_grayscale uses; alpha is dropped (Keras' color_mode 'rgb' does the same).
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { DataError, describe } from '../errors';

/** Decoded pixels, row-major HWC uint8. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/** Limits of {@link decodeImage}. */
export interface DecodeOptions {
  /** 1 (grey) or 3 (RGB). Default 3. */
  readonly channels?: 1 | 3;
  /** Largest image, in pixels, checked from the header before decoding. Default 50 million. */
  readonly maxPixels?: number;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** 'png', 'jpeg' or undefined, from the first bytes. */
export function imageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

function fromRgba(rgba: Uint8Array, width: number, height: number, channels: 1 | 3): DecodedImage {
  const n = width * height;
  const data = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) {
    const r = rgba[4 * p] as number;
    const g = rgba[4 * p + 1] as number;
    const b = rgba[4 * p + 2] as number;
    if (channels === 3) {
      data[3 * p] = r;
      data[3 * p + 1] = g;
      data[3 * p + 2] = b;
    } else {
      data[p] = Math.round(0.2989 * r + 0.587 * g + 0.114 * b);
    }
  }
  return { width, height, channels, data };
}

/**
 * Decodes PNG or JPEG bytes. `file` names the file in errors; a corrupt or unsupported file is a DataError.
 * @example decodeImage(fs.readFileSync('cat.png'), 'cat.png', {channels: 3}).data.length // height * width * 3
 */
export function decodeImage(bytes: Uint8Array, file = '<memory>', options: DecodeOptions = {}): DecodedImage {
  const fn = 'decodeImage';
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3)
    throw new DataError(
      `${fn}: channels 1 or 3, got ${describe(channels)}. Use 3 for RGB models, 1 for grey ones.`,
      file,
    );
  const maxPixels = options.maxPixels ?? 50_000_000;
  const format = imageFormat(bytes);
  const broken = (e: unknown) =>
    new DataError(
      `${fn}: a valid ${format === 'png' ? 'PNG' : 'JPEG'} image in ${file}, got "${(e as Error).message ?? String(e)}". ` +
        `The file is corrupt or truncated: re-export it, or remove it from the folder.`,
      file,
    );
  if (format === 'png') {
    // IHDR is the first chunk: width and height at bytes 16-23, checked before inflating anything.
    if (bytes.length < 24) throw broken(new Error('file shorter than a PNG header'));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const width = view.getUint32(16);
    const height = view.getUint32(20);
    if (width * height > maxPixels) {
      throw new DataError(
        `${fn}: an image of at most ${maxPixels} pixels in ${file}, got ${width}x${height}. Downscale it first, or raise maxPixels if it is trusted.`,
        file,
      );
    }
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      throw broken(e);
    }
    return fromRgba(png.data, png.width, png.height, channels);
  }
  if (format === 'jpeg') {
    let img: { width: number; height: number; data: Uint8Array };
    try {
      img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: maxPixels / 1e6,
        maxMemoryUsageInMB: 1024,
      });
    } catch (e) {
      throw broken(e);
    }
    if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4)
      throw broken(new Error('no pixels decoded'));
    return fromRgba(img.data, img.width, img.height, channels);
  }
  throw new DataError(
    `${fn}: a PNG or JPEG image in ${file}, got bytes that are neither (starting ${Buffer.from(bytes.subarray(0, 4)).toString('hex')}). ` +
      `Convert the image to PNG or JPEG, or remove it from the folder.`,
    file,
  );
}
