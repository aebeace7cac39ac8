// The quantized model's own layers: FakeQuantize -> QuantizeLinear + DequantizeLinear (the QDQ
// pair ONNX Runtime fuses with the ops around it into QLinearConv, QGemm, QLinearAdd, ...);
// DynamicQuantize -> nothing here: the Dense converter that reads it emits DynamicQuantizeLinear
// + MatMulInteger (the ops have no float QDQ form).
import { FakeQuantize } from '../../quantize/fake-quantize-layer';
import { Converter, OnnxValue, quantizeDequantize, sameGrid } from './context';

export const convertFakeQuantize: Converter = (ctx, node, [x]) => {
  const input = x as OnnxValue;
  // The grid the target takes (toOnnx's outputGrid map holds it, converted once).
  const qp = ctx.outputGrid(node.inputs[0] as string) ?? (node.layer as FakeQuantize).qparams;
  // An input already on this grid (a converter placed the pair inside its ops) shares its constants.
  const reuse = input.grid && sameGrid(input.grid.qp, qp) ? input.grid : undefined;
  const { name, grid } = quantizeDequantize(ctx.g, input.name, qp, node.inputs[0] as string, reuse);
  return { ...input, name, grid };
};

export const convertDynamicQuantize: Converter = (_ctx, _node, [x]) => x as OnnxValue;
