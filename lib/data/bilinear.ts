// Bilinear resizing of 8-bit pixels with half-pixel centres, exactly as tf.image.resize
// (method 'bilinear', antialias false) computes it, which is what Keras'
// `image_dataset_from_directory` applies to every image: output pixel (r, c) samples the input
// at ((r + 0.5) * inH / outH - 0.5, (c + 0.5) * inW / outW - 0.5), clamped to the edges, from
// its 2x2 neighbours (tfjs-backend-cpu's ResizeBilinear, step for step). Values are rounded half
// to even (tf.round) and clipped to 0..255, as an ImageSet stores them. No antialiasing: a
// large downscale samples, it does not average (that is Keras' default too).
// Runs on the calling thread: it reads only 4 input pixels per output value, so a 224x224x3
// output costs ~150k multiply-adds whatever the input size.

/** Rounds half to even, as tf.round does. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Resizes HWC uint8 pixels to (outH, outW) with tf.image.resize's bilinear, half-pixel centres.
 * @example resizeBilinear(Uint8Array.of(0, 10, 20, 30), 2, 2, 1, 1, 1) // [15]
 */
export function resizeBilinear(
  src: Uint8Array,
  inH: number,
  inW: number,
  channels: number,
  outH: number,
  outW: number,
): Uint8Array {
  const out = new Uint8Array(outH * outW * channels);
  const ry = inH / outH;
  const rx = inW / outW;
  const x0 = new Int32Array(outW);
  const x1 = new Int32Array(outW);
  const fx = new Float64Array(outW);
  for (let c = 0; c < outW; c++) {
    const s = rx * (c + 0.5) - 0.5;
    x0[c] = Math.max(0, Math.floor(s));
    x1[c] = Math.min(inW - 1, Math.ceil(s));
    fx[c] = s - (x0[c] as number);
  }
  let o = 0;
  for (let r = 0; r < outH; r++) {
    const s = ry * (r + 0.5) - 0.5;
    const y0 = Math.max(0, Math.floor(s));
    const y1 = Math.min(inH - 1, Math.ceil(s));
    const fy = s - y0;
    const top = y0 * inW * channels;
    const bot = y1 * inW * channels;
    for (let c = 0; c < outW; c++) {
      const l = (x0[c] as number) * channels;
      const rr = (x1[c] as number) * channels;
      const f = fx[c] as number;
      for (let d = 0; d < channels; d++) {
        const tl = src[top + l + d] as number;
        const tr = src[top + rr + d] as number;
        const bl = src[bot + l + d] as number;
        const br = src[bot + rr + d] as number;
        const t = tl + (tr - tl) * f;
        const b = bl + (br - bl) * f;
        const v = roundHalfEven(Math.fround(t + (b - t) * fy));
        out[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return out;
}
