import { expect } from 'chai';
import { ortLatency } from '../../lib/export/onnx/ort-latency';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { simpleNet } from '../../lib/models/simplenet';
import { ConfigError } from '../../lib/errors';

describe('export/ortLatency', () => {
  it('times every variant at every batch size, interleaved, with the machine recorded', async () => {
    const m = simpleNet({ seed: 1, hidden: [16] });
    const onnx = toOnnx(m);
    const { rows, machine, threads } = await ortLatency({ a: onnx, b: onnx }, { batchSizes: [1, 4], rounds: 2, runs: 3, minTimeMs: 0 });
    expect(rows.map((r) => `${r.variant}@${r.batchSize}`)).to.deep.equal(['a@1', 'b@1', 'a@4', 'b@4']);
    for (const r of rows) {
      expect(r.p50Ms).to.be.above(0);
      expect(r.roundP50Ms.length).to.equal(2);
      expect(r.sizeBytes).to.equal(onnx.sizeBytes);
    }
    expect(threads).to.equal(1);
    expect(machine.cpuFlags).to.be.an('array');
    m.dispose();
  });

  it('rejects a bad round count', async () => {
    let err: unknown;
    try { await ortLatency({}, { rounds: 0 }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(ConfigError);
  });
});
