// MaxPooling2D / AveragePooling2D -> MaxPool / AveragePool (NCHW, explicit TensorFlow-style
// padding; AveragePool excludes padding from the mean, as tfjs does); global pooling ->
// GlobalAveragePool / GlobalMaxPool + Flatten (tfjs global pooling drops the spatial axes).
import { convPadding } from '../../core/conv-padding';
import { Converter, OnnxValue, config, quantizeDequantize } from './context';
import { pair } from '../../core/pair';

function pool(op: 'MaxPool' | 'AveragePool'): Converter {
  return (ctx, node, [x]) => {
    const input = x as OnnxValue;
    const [h, w] = input.shape as [number, number, number];
    const k = pair(config(node, 'poolSize'), [2, 2]);
    const s = pair(config(node, 'strides'), k);
    const p = convPadding(config<'same' | 'valid'>(node, 'padding'), [h, w], k, s);
    const y = ctx.g.op(op, [input.name], node.name, {
      kernel_shape: { ints: k },
      strides: { ints: s },
      pads: { ints: [p.top, p.left, p.bottom, p.right] },
    });
    return { name: y, shape: node.outputShape, nchw: true };
  };
}

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool'): Converter {
  return (ctx, node, [x]) => {
    let y = ctx.g.op(op, [(x as OnnxValue).name], `${node.name}_pooled`);
    // In a QDQ graph the pair goes right after the pooling (QLinearGlobalAveragePool), before the Flatten.
    const qp = ctx.outputGrid(node.name);
    const q = qp ? quantizeDequantize(ctx.g, y, qp, node.name) : undefined;
    y = q?.name ?? y;
    return {
      name: ctx.g.op('Flatten', [y], node.name, { axis: { int: 1 } }),
      shape: node.outputShape,
      nchw: false,
      ...(q ? { grid: q.grid } : {}),
    };
  };
}

export const convertMaxPooling2D = pool('MaxPool');
export const convertAveragePooling2D = pool('AveragePool');
export const convertGlobalAveragePooling2D = globalPool('GlobalAveragePool');
export const convertGlobalMaxPooling2D = globalPool('GlobalMaxPool');
