import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { encodeNpy, parseNpy, readNpy } from '../../lib/data/npy';
import { loadDataFiles } from '../../lib/data/data-files';
import { DataError, ShapeError } from '../../lib/errors';

// Bytes written by numpy 1.24.2 itself (np.save / numpy.lib.format.write_array), as hex: the
// oracle for the reader. Regenerate with /usr/bin/python3 (Debian's python3-numpy).
const NUMPY = {
  v1f32:
    '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000803e0000003f0000403f0000803f0000a03f',
  v2f64:
    '934e554d50590200740000007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028312c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000f83f00000000000002c0',
  v3u8: '934e554d50590300740000007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c20322c2031292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a010203ff',
  i64: '934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000000007000000000000000900000000000000',
  be: '934e554d5059010076007b276465736372273a20273e6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a3f80000040000000',
  fortran:
    '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2033292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000000000040400000803f00008040000000400000a040',
};
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('data/npy', () => {
  it('reads numpy-written files of versions 1.0, 2.0 and 3.0 (float32, float64, uint8)', () => {
    const a = parseNpy(bytes(NUMPY.v1f32));
    expect(a.dtype).to.equal('float32');
    expect(a.shape).to.deep.equal([2, 3]);
    expect(Array.from(a.data)).to.deep.equal([0, 0.25, 0.5, 0.75, 1, 1.25]);
    const b = parseNpy(bytes(NUMPY.v2f64));
    expect([b.dtype, b.shape, Array.from(b.data)]).to.deep.equal(['float64', [1, 2], [1.5, -2.25]]);
    const c = parseNpy(bytes(NUMPY.v3u8));
    expect([c.dtype, c.shape, Array.from(c.data)]).to.deep.equal(['uint8', [2, 2, 1], [1, 2, 3, 255]]);
  });

  it('turns int64 labels into int32, and refuses values that do not fit', () => {
    const a = parseNpy(bytes(NUMPY.i64));
    expect(a.data).to.be.instanceOf(Int32Array);
    expect(Array.from(a.data)).to.deep.equal([0, 7, 9]);
    const big = bytes(NUMPY.i64);
    big[big.length - 1] = 0x01; // the last value becomes 9 + 2^56
    expect(errorOf(() => parseNpy(big, 'labels.npy')))
      .to.be.instanceOf(DataError)
      .with.property('message')
      .that.matches(/int32.*labels\.npy/);
  });

  it('writes what numpy writes (byte for byte) and reads its own output back', () => {
    const a = parseNpy(bytes(NUMPY.v1f32));
    expect(Buffer.from(encodeNpy(a)).toString('hex')).to.equal(NUMPY.v1f32);
    const x = { dtype: 'int32' as const, shape: [3], data: Int32Array.of(-1, 0, 5) };
    expect(Array.from(parseNpy(encodeNpy(x)).data)).to.deep.equal([-1, 0, 5]);
  });

  it('refuses big-endian, Fortran-order, truncated, padded, foreign and malformed files with a DataError naming the file', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['big-endian', bytes(NUMPY.be), /little-endian dtype.*x\.npy.*">f4"/],
      ['fortran', bytes(NUMPY.fortran), /C order/],
      ['truncated', bytes(NUMPY.v1f32).slice(0, -3), /24 data bytes.*truncated/],
      ['trailing', new Uint8Array([...bytes(NUMPY.v1f32), 0, 0, 0, 0]), /trailing bytes/],
      ['not npy', new Uint8Array(Buffer.from('PK\x03\x04 this is a zip')), /magic/],
      ['header cut', bytes(NUMPY.v1f32).slice(0, 40), /header of 118 bytes/],
      [
        'extra key',
        new Uint8Array(
          Buffer.from(
            Buffer.from(NUMPY.v1f32, 'hex').toString('latin1').replace("'shape': (2, 3), }", "'shape': (2, 3),'x':1}"),
            'latin1',
          ),
        ),
        /quoted string|header keys/,
      ],
    ];
    for (const [name, data, re] of cases) {
      const e = errorOf(() => parseNpy(data, 'x.npy'));
      expect(e, name).to.be.instanceOf(DataError);
      expect(e.message, name).to.match(re);
      expect((e as DataError).file, name).to.equal('x.npy');
    }
  });

  it('reads values at an offset that is not a multiple of the item size', () => {
    // A hand-made header of 60 bytes: the float32 values start at byte 70, not a multiple of 4.
    const text = "{'descr':'<f4','fortran_order':False,'shape':(2,)}";
    const h = text + ' '.repeat(Math.max(0, 59 - text.length)) + '\n';
    const out = new Uint8Array(10 + h.length + 8);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
    new DataView(out.buffer).setUint16(8, h.length, true);
    out.set(Buffer.from(h, 'latin1'), 10);
    new DataView(out.buffer).setFloat32(10 + h.length, 1.5, true);
    new DataView(out.buffer).setFloat32(14 + h.length, -3, true);
    expect((10 + h.length) % 4).to.not.equal(0);
    expect(Array.from(parseNpy(out).data)).to.deep.equal([1.5, -3]);
  });

  it('caps the file size before reading it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-npy-'));
    const file = path.join(dir, 'x.npy');
    fs.writeFileSync(file, bytes(NUMPY.v1f32));
    expect(readNpy(file).shape).to.deep.equal([2, 3]);
    expect(errorOf(() => readNpy(file, { maxBytes: 100 })))
      .to.be.instanceOf(DataError)
      .with.property('message')
      .that.matches(/at most 100 bytes/);
    expect(errorOf(() => readNpy(path.join(dir, 'missing.npy'))))
      .to.be.instanceOf(DataError)
      .with.property('message')
      .that.matches(/ENOENT/);
  });

  it('loadDataFiles gives tensors {xs, ys} checked against the model input, and leaks nothing on a misfit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-npy-'));
    const xs = path.join(dir, 'xs.npy');
    const ys = path.join(dir, 'ys.npy');
    fs.writeFileSync(
      xs,
      encodeNpy({ dtype: 'uint8', shape: [3, 2, 2, 1], data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) }),
    );
    fs.writeFileSync(ys, bytes(NUMPY.i64));
    const before = tf.memory().numTensors;
    const data = await loadDataFiles(xs, { inputShape: [2, 2, 1], labels: ys, scale: 1 / 255 });
    expect([data.kind, data.count, data.labelled]).to.deep.equal(['npy', 3, true]);
    const src = data.source as { xs: tf.Tensor; ys: tf.Tensor };
    expect(src.xs.shape).to.deep.equal([3, 2, 2, 1]);
    expect(src.xs.dtype).to.equal('float32');
    expect(src.xs.dataSync()[1]).to.be.closeTo(20 / 255, 1e-7);
    expect(Array.from(src.ys.dataSync())).to.deep.equal([0, 7, 9]);
    data.dispose();
    expect(tf.memory().numTensors).to.equal(before);
    const e = (await loadDataFiles(xs, { inputShape: [28, 28, 1], labels: ys }).catch((x: Error) => x)) as Error;
    expect(e).to.be.instanceOf(ShapeError);
    expect(e.message).to.match(/\[n, 28, 28, 1\].*got \[3, 2, 2, 1\]/);
    expect(tf.memory().numTensors).to.equal(before);
    fs.writeFileSync(ys, encodeNpy({ dtype: 'int32', shape: [2], data: Int32Array.of(0, 1) }));
    expect(await loadDataFiles(xs, { inputShape: [2, 2, 1], labels: ys }).catch((x: Error) => x))
      .to.be.instanceOf(ShapeError)
      .with.property('message')
      .that.matches(/one label per example/);
    expect(tf.memory().numTensors).to.equal(before);
  });
});
