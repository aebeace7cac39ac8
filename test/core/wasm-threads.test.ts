import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { initBackend } from '../../lib/core/backend';
import { setWasmThreads, wasmThreads } from '../../lib/core/wasm-threads';
import { ConfigError } from '../../lib/errors';
import { threadedFigures } from '../fixtures/wasm-threads-child';

const run = promisify(execFile);
const CHILD = path.join(__dirname, '..', 'fixtures', 'wasm-threads-child.ts');

describe("core/wasm-threads: tfjs's threaded SIMD binary in Node", () => {
  it('2 threads give the single-threaded results (matmul, conv net, training loss) and the process ends by itself', async function () {
    this.timeout(180000);
    const single = await threadedFigures(); // this process: tfjs's single-threaded SIMD binary
    expect(wasmThreads()).to.equal(1);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, '2'], { timeout: 150000 });
    const threaded = JSON.parse(stdout.trim().split('\n').pop() as string) as typeof single & {
      threads: number;
      machineThreads: number;
    };
    expect([threaded.threads, threaded.machineThreads]).to.deep.equal([2, 2]);
    const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
    expect(maxDiff(threaded.matmul as number[], single.matmul as number[])).to.be.lessThan(1e-4);
    expect(maxDiff(threaded.conv as number[], single.conv as number[])).to.be.lessThan(1e-4);
    expect(Math.abs((threaded.loss as number) - (single.loss as number))).to.be.lessThan(1e-5);
    expect([threaded.leaked, single.leaked]).to.deep.equal([0, 0]);
  });

  it('refuses to switch while wasm tensors are alive, and the backend stays usable', async () => {
    const t = tf.scalar(3);
    let err: unknown;
    try {
      await setWasmThreads(2);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(
      /initBackend: threads chosen before the first wasm tensor, got \d+ tensors alive on wasm/,
    );
    expect(wasmThreads()).to.equal(1);
    expect(tf.getBackend()).to.equal('wasm');
    expect(tf.mul(t, 2).dataSync()[0]).to.equal(6);
    t.dispose();
  });

  it('rejects thread counts out of [1, 8] and threads on another backend', async () => {
    for (const bad of [0, 9, 1.5, '2' as unknown as number]) {
      let err: unknown;
      try {
        await initBackend('wasm', { threads: bad });
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/initBackend: threads an integer in \[1, 8\]/);
    }
    let err: unknown;
    try {
      await initBackend('cpu', { threads: 2 });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.match(/threads for the 'wasm' backend only, got threads with 'cpu'/);
    expect(tf.getBackend()).to.equal('wasm');
  });
});
