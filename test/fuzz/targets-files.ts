// Fuzz targets whose input is a file's bytes or a folder: .npy arrays, PNG/JPEG images (header
// fields rewritten with a valid CRC, so the decoder gets past its checksum), model.json manifests,
// and whole model folders read from disk (paths leading out, FIFOs, links, missing or resized
// weight files).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { execFileSync } from 'child_process';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { decodeImage } from '../../lib/data/image-decode';
import { encodeNpy, parseNpy } from '../../lib/data/npy';
import { checkManifest, ModelArtifacts, ModelJson } from '../../lib/data/model-files';
import { readArtifacts } from '../../lib/data/model-read';
import { modelToArtifacts } from '../../lib/data/model-io';
import { simpleNet } from '../../course/models/simplenet';
import { byteInputs, INTERESTING_VALUES, jsonInputs, mutatedBytes, mutatedJson } from './mutate';
import { FuzzTarget, showValue } from './target';

const NPY_MAGIC = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** A .npy file with header text `dict` (any text) and `data`, header length as numpy pads it. */
function npyWith(dict: string, data: Uint8Array, major = 1): Uint8Array {
  const lenBytes = major === 1 ? 2 : 4;
  const total = Math.ceil((8 + lenBytes + dict.length + 1) / 64) * 64;
  const header = Buffer.from(dict.padEnd(total - 8 - lenBytes - 1, ' ') + '\n', major === 3 ? 'utf8' : 'latin1');
  const out = new Uint8Array(8 + lenBytes + header.length + data.length);
  out.set(NPY_MAGIC, 0);
  out[6] = major;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, 8 + lenBytes);
  out.set(data, 8 + lenBytes + header.length);
  return out;
}

const npy: FuzzTarget = {
  name: 'npy',
  parser: 'lib/data/npy.ts parseNpy',
  setup() {
    const valids = [
      encodeNpy({ dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }),
      encodeNpy({ dtype: 'uint8', shape: [4], data: Uint8Array.of(0, 1, 254, 255) }),
      encodeNpy({ dtype: 'int32', shape: [1, 1, 2], data: Int32Array.of(-1, 7) }),
    ];
    const dim = fc.oneof(fc.nat(8), fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, 1e308, 1.5, 'x', 'None'));
    const header = fc
      .record({
        descr: fc.oneof(
          fc.constantFrom(
            "'<f4'",
            "'<i8'",
            "'<u8'",
            "'|b1'",
            "'|u1'",
            "'>f4'",
            "'<f2'",
            "'<U10'",
            "'|O'",
            "'<c8'",
            "'f4'",
          ),
          fc.string({ maxLength: 12 }).map((s) => `'${s}'`),
        ),
        fortran: fc.constantFrom('False', 'True', '0', "'False'", ''),
        shape: fc.array(dim, { maxLength: 6 }).map((d) => (d.length === 1 ? `(${d[0]},)` : `(${d.join(', ')})`)),
        extra: fc.constantFrom('', "'x': 1, ", "'descr': '<f4', ", "'shape': (1,), "),
        order: fc.boolean(),
      })
      .map((h) =>
        h.order
          ? `{'descr': ${h.descr}, 'fortran_order': ${h.fortran}, 'shape': ${h.shape}, ${h.extra}}`
          : `{${h.extra}'shape': ${h.shape}, 'descr': ${h.descr}, 'fortran_order': ${h.fortran}}`,
      );
    const headerCases = fc
      .tuple(header, fc.uint8Array({ maxLength: 96 }), fc.constantFrom(1, 2, 3))
      .map(([h, d, major]) => npyWith(h, d, major));
    // Valid headers with data of exactly the declared size (or one byte off), to reach the decoding.
    const itemBytes: Record<string, number> = {
      "'<f4'": 4,
      "'<i8'": 8,
      "'<u8'": 8,
      "'|u1'": 1,
      "'<f8'": 8,
      "'|b1'": 1,
    };
    const exactCases = fc
      .record({
        descr: fc.constantFrom(...Object.keys(itemBytes)),
        shape: fc.array(fc.nat(4), { maxLength: 3 }),
        off: fc.constantFrom(0, 0, 0, -1, 1),
        fill: fc.constantFrom(0, 0xff, 0x7f, 0x80),
      })
      .map(({ descr, shape, off, fill }) => {
        const count = shape.reduce((a, b) => a * b, 1);
        const dict = `{'descr': ${descr}, 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
        return npyWith(dict, new Uint8Array(Math.max(0, count * (itemBytes[descr] as number) + off)).fill(fill));
      });
    return {
      arbitrary: fc.oneof(
        { weight: 3, arbitrary: headerCases },
        { weight: 2, arbitrary: exactCases },
        { weight: 4, arbitrary: byteInputs(valids, NPY_MAGIC) },
      ),
      run: (b) => parseNpy(b as Uint8Array, 'fuzz.npy'),
      save: (b) => b as Uint8Array,
    };
  },
};

/** `png` with its IHDR fields replaced and the chunk's CRC recomputed. */
function pngWithHeader(
  png: Uint8Array,
  h: { w: number; h: number; depth: number; color: number; interlace: number },
): Uint8Array {
  const out = Uint8Array.from(png);
  const view = new DataView(out.buffer);
  view.setUint32(16, h.w >>> 0);
  view.setUint32(20, h.h >>> 0);
  out[24] = h.depth;
  out[25] = h.color;
  out[28] = h.interlace;
  view.setUint32(29, zlib.crc32(out.subarray(12, 29)) >>> 0);
  return out;
}

/** `jpg` with the size in its first start-of-frame segment replaced. */
function jpegWithSize(jpg: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(jpg);
  for (let i = 2; i + 9 < out.length; i++) {
    if (out[i] === 0xff && ((out[i + 1] as number) & 0xf0) === 0xc0 && out[i + 1] !== 0xc4 && out[i + 1] !== 0xc8) {
      const view = new DataView(out.buffer);
      view.setUint16(i + 5, height & 0xffff);
      view.setUint16(i + 7, width & 0xffff);
      return out;
    }
  }
  return out;
}

const image: FuzzTarget = {
  name: 'image',
  parser: 'lib/data/image-decode.ts decodeImage (PNG, JPEG)',
  setup() {
    const rgba = Uint8Array.from({ length: 6 * 5 * 4 }, (_, i) => (i * 37) % 256);
    const rgb = new PNG({ width: 6, height: 5 });
    rgb.data = Buffer.from(rgba);
    const pngs = [
      new Uint8Array(PNG.sync.write(rgb)),
      new Uint8Array(PNG.sync.write(rgb, { colorType: 0, inputHasAlpha: true })),
      new Uint8Array(PNG.sync.write(rgb, { colorType: 2 })),
    ];
    const jpgs = [new Uint8Array(jpeg.encode({ width: 6, height: 5, data: Buffer.from(rgba) }, 90).data)];
    const side = fc.oneof(
      fc.integer({ min: 0, max: 64 }),
      fc.constantFrom(7000, 65535, 0x7fffffff, 0xffffffff, 100_000),
    );
    const pngHeader = fc
      .tuple(
        fc.constantFrom(...pngs),
        fc.record({
          w: side,
          h: side,
          depth: fc.constantFrom(1, 2, 4, 8, 16, 0, 3, 255),
          color: fc.constantFrom(0, 2, 3, 4, 6, 1, 7, 255),
          interlace: fc.constantFrom(0, 1, 2),
        }),
      )
      .map(([p, h]) => pngWithHeader(p, h));
    const jpegHeader = fc.tuple(fc.constantFrom(...jpgs), side, side).map(([j, w, h]) => jpegWithSize(j, w, h));
    return {
      arbitrary: fc.oneof(
        { weight: 3, arbitrary: pngHeader },
        { weight: 2, arbitrary: jpegHeader },
        { weight: 2, arbitrary: pngHeader.chain((p) => mutatedBytes(p, 3)) },
        { weight: 4, arbitrary: byteInputs([...pngs, ...jpgs]) },
        { weight: 1, arbitrary: byteInputs(jpgs, Uint8Array.from([0xff, 0xd8, 0xff])) },
      ),
      run: async (b) => {
        const img = await decodeImage(b as Uint8Array, 'fuzz-image', { channels: 3 });
        return { width: img.width, height: img.height, bytes: img.data.length };
      },
      check: (r) => {
        const { width, height, bytes } = r as { width: number; height: number; bytes: number };
        return bytes === width * height * 3 ? undefined : `pixels ${bytes} for ${width}x${height}x3`;
      },
      save: (b) => b as Uint8Array,
    };
  },
};

/** A small layers model's artifacts (model.json with a weights manifest, and its weight bytes). */
async function tinyArtifacts(): Promise<ModelArtifacts> {
  const model = simpleNet({ seed: 1, hidden: [4], inputSize: 6, numClasses: 3 });
  try {
    return await modelToArtifacts(model);
  } finally {
    model.dispose();
  }
}

const manifest: FuzzTarget = {
  name: 'manifest',
  parser: 'lib/data/model-files.ts checkManifest (a parsed model.json)',
  async setup() {
    const { modelJson } = await tinyArtifacts();
    const valid = JSON.parse(JSON.stringify(modelJson)) as ModelJson;
    checkManifest(valid, 'fuzz', 'model.json');
    // checkManifest's caller has checked that weightsManifest is an array (parseModelJson): keep it one.
    const manifests = mutatedJson(valid.weightsManifest, 6).map((m) => (Array.isArray(m) ? m : [m]));
    return {
      arbitrary: manifests.map((weightsManifest) => ({ ...valid, weightsManifest })),
      run: (json) => checkManifest(json as ModelJson, 'fuzz', 'model.json'),
      save: showValue,
    };
  },
};

type Entry = {
  readonly name: string;
  readonly kind: 'bytes' | 'fifo' | 'outside-link' | 'folder';
  readonly bytes: Uint8Array;
};

const modelFolder: FuzzTarget = {
  name: 'model-folder',
  parser: 'lib/data/model-read.ts readArtifacts (a model folder on disk)',
  async setup() {
    const { modelJson, weightData } = await tinyArtifacts();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-folder-'));
    const outside = path.join(root, 'outside.bin');
    fs.writeFileSync(outside, weightData);
    const shard = (modelJson.weightsManifest[0]?.paths[0] as string) ?? 'group1-shard1of1.bin';
    const names = [shard, 'model.json', 'other.bin', '../outside.bin', 'sub/x.bin'];
    const entry = fc.record({
      name: fc.constantFrom(...names),
      kind: fc.constantFrom('bytes', 'bytes', 'bytes', 'fifo', 'outside-link', 'folder'),
      bytes: fc.oneof(fc.constant(weightData), mutatedBytes(weightData, 2)),
    }) as fc.Arbitrary<Entry>;
    const text = fc.oneof(
      { weight: 8, arbitrary: jsonInputs(modelJson).map((j) => showValue(j)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...INTERESTING_VALUES.filter((v) => typeof v === 'string')) as fc.Arbitrary<string>,
      },
    );
    let n = 0;
    return {
      arbitrary: fc.record({
        json: text,
        entries: fc.oneof(
          fc.constant([{ name: shard, kind: 'bytes', bytes: weightData }] as Entry[]),
          fc.array(entry, { maxLength: 3 }),
        ),
      }),
      run(input) {
        const { json, entries } = input as { json: string; entries: Entry[] };
        const dir = path.join(root, `case-${n++}`);
        fs.mkdirSync(dir);
        try {
          fs.writeFileSync(path.join(dir, 'model.json'), json);
          for (const e of entries) {
            const file = path.join(dir, e.name);
            if (!path.resolve(file).startsWith(dir + path.sep) || e.name === 'model.json') continue;
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.rmSync(file, { recursive: true, force: true });
            if (e.kind === 'bytes') fs.writeFileSync(file, e.bytes);
            else if (e.kind === 'fifo') execFileSync('mkfifo', [file]);
            else if (e.kind === 'outside-link') fs.symlinkSync(outside, file);
            else fs.mkdirSync(file);
          }
          const a = readArtifacts(dir);
          return { weightBytes: a.weightData.length };
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
      save: showValue,
      close: () => fs.rmSync(root, { recursive: true, force: true }),
    };
  },
};

export const FILE_TARGETS: readonly FuzzTarget[] = [npy, image, manifest, modelFolder];
