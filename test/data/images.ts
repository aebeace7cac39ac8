// Real image files for the data tests, written by sharp (libvips' own encoders), and folders of
// them laid out as users lay them out.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';

/** PNG bytes of `rgb(x, y)` pixels. */
export function png(width: number, height: number, rgb: (x: number, y: number) => readonly number[]): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(rgb(x, y), 3 * (y * width + x));
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** JPEG bytes (quality 95) of one colour. */
export function jpg(width: number, height: number, rgb: readonly number[]): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, 3 * i);
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

export const tmpDir = (prefix = 'tfc-images-') => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Writes `files` (relative path -> bytes) under a new temporary folder; returns it. */
export function writeTree(files: Record<string, Uint8Array | string>, dir = tmpDir()): string {
  for (const [rel, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), bytes);
  }
  return dir;
}

/** `n` distinct small PNGs named `<prefix>000.png`...; pixel value k in image k (red channel). */
export async function pngs(n: number, prefix = 'img', size = 4): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (let k = 0; k < n; k++)
    out[`${prefix}${String(k).padStart(3, '0')}.png`] = await png(size, size, () => [k % 256, 10, 20]);
  return out;
}

/** The rejection of a promise (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** Rejects when `p` has not settled within `ms` (a hang, not a timing measurement). */
export const within = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`hung for ${ms} ms`)), ms))]);
