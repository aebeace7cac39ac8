// Image folders, read as the data side reads them now (async: reads through the safe-open
// primitive, sharp decoding and downscaling in libuv's threads, 4 at a time) against the design
// before (the same files read and decoded on the calling thread with pngjs / jpeg-js, resized
// with tf.image.resizeBilinear), in interleaved rounds (A B B A) on the same folders:
//   1. 600 small PNGs (64x64 -> 32x32): seconds, and the event loop's longest stall (the
//      longest gap between ticks of a 5 ms interval) while the folder loads;
//   2. 60 camera-size JPEGs (1600x1200 -> 224x224);
//   3. `limit: 8` of the 600 (the old loader decoded the whole folder for any count);
//   4. a 1 KB JPEG whose header declares 7000x7000: time to refuse it (median of 20).
// Writes results/bench-data.json with the machine. Run: node --import tsx test/bench/image-folder.bench.ts
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { initBackend } from '../../lib/core/backend';
import { permutation } from '../../lib/core/rng';
import { saveResults } from '../../course/results';
import { loadImageFolder } from '../../lib/data/image-folder';
import { imageFolderIndex } from '../../lib/data/folder-index';
import { decodeImage } from '../../lib/data/image-decode';
import { tmpDir } from '../data/images';

const ROUNDS = Number(process.env.DATA_BENCH_ROUNDS ?? 2); // A B B A per round

/** The loader before: every file read and decoded on the calling thread, the whole folder for any limit. */
function loadBefore(files: readonly string[], h: number, w: number, limit?: number): Uint8Array {
  const px = h * w * 3;
  const picked = permutation(files.length, 0);
  const decoded = Array.from(picked, (i) => {
    const bytes = fs.readFileSync(files[i] as string);
    const img =
      bytes[0] === 0x89
        ? (() => {
            const p = PNG.sync.read(bytes);
            return { width: p.width, height: p.height, data: new Uint8Array(p.data) };
          })()
        : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 50, maxMemoryUsageInMB: 1024 });
    const rgb = new Uint8Array(img.width * img.height * 3);
    for (let p = 0; p < img.width * img.height; p++) rgb.set(img.data.subarray(4 * p, 4 * p + 3), 3 * p);
    const t = tf.tidy(() =>
      tf
        .clipByValue(
          tf.round(
            tf.image.resizeBilinear(
              tf.tensor3d(rgb, [img.height, img.width, 3], 'int32').toFloat(),
              [h, w],
              false,
              true,
            ),
          ),
          0,
          255,
        )
        .toInt(),
    );
    const out = Uint8Array.from(t.dataSync());
    t.dispose();
    return out;
  });
  const n = Math.min(limit ?? decoded.length, decoded.length);
  const images = new Uint8Array(n * px);
  for (let k = 0; k < n; k++) images.set(decoded[k] as Uint8Array, k * px);
  return images;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds of `run`, and the event loop's longest gap between ticks of a 5 ms interval while it ran. */
async function measure(run: () => unknown): Promise<{ seconds: number; maxStallMs: number; p99StallMs: number }> {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 5);
  await sleep(20);
  gaps.length = 0;
  last = performance.now();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  await sleep(20); // the tick that ends a stall records it
  clearInterval(timer);
  const sorted = [...gaps].sort((a, b) => a - b);
  return {
    seconds,
    maxStallMs: sorted[sorted.length - 1] ?? 0,
    p99StallMs: sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? 0,
  };
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function compare(name: string, now: () => Promise<unknown>, before: () => unknown) {
  const rows: Record<'now' | 'before', { seconds: number; maxStallMs: number; p99StallMs: number }[]> = {
    now: [],
    before: [],
  };
  for (let r = 0; r < ROUNDS; r++)
    for (const which of ['now', 'before', 'before', 'now'] as const)
      rows[which].push(await measure(which === 'now' ? now : before));
  const summary = (k: 'now' | 'before') => ({
    secondsMedian: median(rows[k].map((x) => x.seconds)),
    maxStallMsMedian: median(rows[k].map((x) => x.maxStallMs)),
    p99StallMsMedian: median(rows[k].map((x) => x.p99StallMs)),
    rounds: rows[k].length,
  });
  const out = { now: summary('now'), before: summary('before') };
  const result = {
    ...out,
    speedup: out.before.secondsMedian / out.now.secondsMedian,
    maxStallRatio: out.now.maxStallMsMedian / out.before.maxStallMsMedian,
  };
  console.log(name, JSON.stringify(result));
  return result;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const small = tmpDir('tfc-bench-small-');
  for (let k = 0; k < 600; k++) {
    const raw = Buffer.alloc(64 * 64 * 3).map((_, i) => (i * 7 + k * 13) % 251);
    fs.writeFileSync(
      path.join(small, `${String(k).padStart(4, '0')}.png`),
      await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
        .png()
        .toBuffer(),
    );
  }
  const big = tmpDir('tfc-bench-big-');
  for (let k = 0; k < 60; k++) {
    const raw = Buffer.alloc(1600 * 1200 * 3).map((_, i) => (((i / 3) % 1600) * 0.15 + k * 3 + ((i * 31) % 23)) & 255);
    fs.writeFileSync(
      path.join(big, `${String(k).padStart(3, '0')}.jpg`),
      await sharp(raw, { raw: { width: 1600, height: 1200, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
  }
  const filesOf = async (dir: string) => (await imageFolderIndex(dir)).entries.map((e) => e.file);
  const smallFiles = await filesOf(small);
  const bigFiles = await filesOf(big);
  const smallPngs = await compare(
    '600 PNGs 64x64 -> 32x32',
    () => loadImageFolder(small, { height: 32, width: 32 }),
    () => loadBefore(smallFiles, 32, 32),
  );
  const photos = await compare(
    '60 JPEGs 1600x1200 -> 224x224',
    () => loadImageFolder(big, { height: 224, width: 224 }),
    () => loadBefore(bigFiles, 224, 224),
  );
  const limit8 = await compare(
    'limit 8 of 600 PNGs',
    () => loadImageFolder(small, { height: 32, width: 32, limit: 8 }),
    () => loadBefore(smallFiles, 32, 32, 8),
  );
  // The decompression bomb: a 1 KB JPEG declaring 7000x7000.
  const jpg = Buffer.from(
    await sharp(Buffer.alloc(8 * 8 * 3, 128), { raw: { width: 8, height: 8, channels: 3 } })
      .jpeg()
      .toBuffer(),
  );
  const sof = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0);
  jpg.writeUInt16BE(7000, sof + 5);
  jpg.writeUInt16BE(7000, sof + 7);
  const refusals: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await decodeImage(jpg, 'bomb.jpg').catch(() => undefined);
    refusals.push(performance.now() - t0);
  }
  const bomb = {
    bytes: jpg.length,
    declared: '7000x7000',
    refuseMsMedian: median(refusals),
    refusals: refusals.length,
  };
  console.log('bomb', JSON.stringify(bomb));
  const file = saveResults('bench-data', {
    imageFolder: {
      note: 'now: async (safe-open reads, sharp decode/downscale in libuv threads, 4 at a time); before: the previous loader (readFileSync, pngjs/jpeg-js, tf.image.resizeBilinear on the calling thread). Medians of interleaved A B B A rounds.',
      smallPngs,
      photos,
      limit8,
      bomb,
    },
  });
  console.log(`wrote ${file}`);
  fs.rmSync(small, { recursive: true, force: true });
  fs.rmSync(big, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
