// Reading values from inside If branches: ONNX Runtime returns only the main graph's outputs, so a
// value computed in a branch is passed out as an extra output of that branch (the other branch
// outputs an empty tensor in its place, so both keep the same outputs), then of the If node, up
// to the main graph. A run that takes the other branch yields the empty tensor: nothing observed.
// Loop and Scan bodies are not exposed (their outputs stack per iteration).
import { onnx } from 'onnx-proto';
import { GraphScope, Names, makeNode } from './graph';
import { makeTensor } from './tensor';

/** A float tensor output of unknown shape (ONNX Runtime needs branch outputs typed). */
const floatOutput = (name: string): onnx.ValueInfoProto =>
  onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } });

/** True when every graph around `scope` is an If branch (values inside can be passed out). */
export function exposable(scope: GraphScope): boolean {
  for (let s: GraphScope | undefined = scope; s?.parent; s = s.parent) if (s.owner?.opType !== 'If') return false;
  return true;
}

/**
 * Makes `value` of `scope` an output of the main graph (mutates the model: call on a copy used only
 * for calibration); returns its name there.
 */
export function exposeValue(scope: GraphScope, value: string, names: Names): string {
  if (!scope.parent || !scope.owner) return value;
  const produced = (scope.graph.node ?? []).some((n) => n.output?.includes(value));
  if (!produced) return exposeValue(scope.parent, value, names); // an outer value: read it where it is made
  const owner = scope.owner as onnx.NodeProto;
  for (const a of owner.attribute ?? []) {
    const g = a.g as onnx.GraphProto | undefined;
    if (!g) continue;
    if (g === scope.graph) {
      // A copy through Identity: a branch output may not appear twice (ONNX Runtime crashes on it),
      // and the If's own output at that place holds whichever branch ran.
      const copy = names.fresh(`${value}_observed`);
      g.node.push(makeNode('Identity', [value], [copy], names.fresh(`${value}_observed/Identity`)));
      g.output.push(floatOutput(copy));
    } else {
      const empty = names.fresh(`${value}_not_taken`);
      g.initializer.push(makeTensor(empty, new Float32Array(0), [0]));
      const out = names.fresh(`${value}_other_branch`);
      g.node.push(makeNode('Identity', [empty], [out], names.fresh(`${value}_other_branch/Identity`)));
      g.output.push(floatOutput(out));
    }
  }
  const outer = names.fresh(`${value}_out`);
  owner.output = [...(owner.output ?? []), outer];
  return exposeValue(scope.parent, outer, names);
}
