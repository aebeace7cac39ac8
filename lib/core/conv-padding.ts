// Padding amounts of a 2-D convolution or pooling, computed the way TensorFlow (and tfjs) does:
// for 'same', the extra row or column goes to the bottom or right. Layout NHWC.

/** The `pad` attribute of tfjs conv kernels. */
export type PadAttr = 'same' | 'valid' | number | number[][];

/** Explicit padding `{top, bottom, left, right}` in pixels. */
export interface Padding2D {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/**
 * Explicit padding of a convolution over an input `inH x inW` with a kernel `kH x kW`.
 * @example convPadding('same', [28, 28], [5, 5], [1, 1]) // {top: 2, bottom: 2, left: 2, right: 2}
 */
export function convPadding(
  pad: PadAttr,
  [inH, inW]: readonly [number, number],
  [kH, kW]: readonly [number, number],
  [sH, sW]: readonly [number, number],
  [dH, dW]: readonly [number, number] = [1, 1],
): Padding2D {
  if (pad === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (typeof pad === 'number') return { top: pad, bottom: pad, left: pad, right: pad };
  if (Array.isArray(pad)) {
    // NHWC explicit padding: [[0, 0], [top, bottom], [left, right], [0, 0]].
    const h = pad[1] ?? [0, 0];
    const w = pad[2] ?? [0, 0];
    return { top: h[0] ?? 0, bottom: h[1] ?? 0, left: w[0] ?? 0, right: w[1] ?? 0 };
  }
  const effKH = (kH - 1) * dH + 1;
  const effKW = (kW - 1) * dW + 1;
  const outH = Math.ceil(inH / sH);
  const outW = Math.ceil(inW / sW);
  const padH = Math.max((outH - 1) * sH + effKH - inH, 0);
  const padW = Math.max((outW - 1) * sW + effKW - inW, 0);
  const top = Math.floor(padH / 2);
  const left = Math.floor(padW / 2);
  return { top, bottom: padH - top, left, right: padW - left };
}
