// Image headers read in JavaScript must agree with libvips on every real file, and no byte
// string may make the header reader or the decoder throw anything but a DataError (fast-check
// mutations of real PNG, JPEG and WebP files).
import sharp from 'sharp';
import { expect } from 'chai';
import fc from 'fast-check';
import { imageHeaderSize } from '../../lib/data/image-header';
import { decodeImage, imageFormat } from '../../lib/data/image-decode';
import { DataError } from '../../lib/errors';

const raw = (w: number, h: number, c: 3 | 4) =>
  sharp(
    Buffer.alloc(w * h * c).map((_, i) => (i * 37) % 256),
    { raw: { width: w, height: h, channels: c } },
  );

async function samples(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const [w, h] of [
    [1, 1],
    [17, 5],
    [300, 41],
    [640, 480],
  ] as const) {
    out.push(await raw(w, h, 3).png().toBuffer());
    out.push(await raw(w, h, 4).png({ palette: true }).toBuffer());
    out.push(await raw(w, h, 3).jpeg().toBuffer());
    out.push(await raw(w, h, 3).jpeg({ progressive: true }).toBuffer());
    out.push(await raw(w, h, 3).withMetadata({ orientation: 6 }).jpeg().toBuffer()); // an EXIF segment first
    out.push(await raw(w, h, 3).webp().toBuffer());
    out.push(await raw(w, h, 3).webp({ lossless: true }).toBuffer());
    out.push(await raw(w, h, 4).webp({ alphaQuality: 50 }).toBuffer());
  }
  return out;
}

describe('data/image-header', function () {
  this.timeout(60000);

  it('reads the same width and height as libvips from 32 real PNG, JPEG and WebP files', async () => {
    for (const bytes of await samples()) {
      const format = imageFormat(bytes);
      expect(format).to.be.a('string');
      const m = await sharp(bytes).metadata();
      expect(imageHeaderSize(bytes, format as 'png'), `${format} ${m.width}x${m.height}`).to.deep.equal({
        width: m.width,
        height: m.height,
      });
    }
  });

  it('mutated and truncated files: the header reader never throws, the decoder throws only DataErrors', async () => {
    const files = await samples();
    let refused = 0;
    let decoded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(files.length - 1),
        fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 6 }),
        fc.option(fc.nat(400)),
        async (which, edits, cut) => {
          const bytes = Buffer.from(files[which] as Buffer);
          for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
          const b = cut === null ? bytes : bytes.subarray(0, cut);
          const format = imageFormat(b);
          if (format) imageHeaderSize(b, format);
          try {
            await decodeImage(b, 'mutant', { height: 8, width: 8 });
            decoded++;
          } catch (e) {
            if (!(e instanceof DataError)) throw e;
            refused++;
          }
        },
      ),
      { numRuns: 300, seed: 8 },
    );
    expect(refused).to.be.greaterThan(50);
    expect(decoded).to.be.greaterThan(10);
  });
});
