// `make demo`'s entry point (the built dist/course/cli.js) as a child process: loopback only,
// strict flags, and a real start that prints the URL, serves the page and the models, and stops
// on SIGTERM. The deployment models come from the shared cache (trained on a first run).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';

const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'course', 'cli.js');

describe('course/cli: make demo', function () {
  this.timeout(900000);
  before(() => {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (make test builds first).`);
  });

  it('refuses non-loopback hosts, unknown flags and bad ports with exit code 2', () => {
    for (const [args, message] of [
      [['--host', '0.0.0.0'], /--host must be a loopback address .* got "0\.0\.0\.0"/],
      [['--host', ''], /loopback/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--port', '70000'], /--port must be an integer in \[0, 65535\]/],
      [['--port', 'x'], /--port/],
    ] as const) {
      const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60000 });
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(message);
      expect(r.stderr).to.contain('usage: cli');
    }
  });

  it('builds the models, prints a loopback URL that serves the page and every model file, and stops on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-demo-'));
    const child = spawn(process.execPath, [MAIN, '--port', '0', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /browser demo at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m) {
            clearInterval(timer);
            resolve(m[1] as string);
          }
        }, 200);
        void exited.then((c) => {
          clearInterval(timer);
          reject(new Error(`exited ${c}: ${err}`));
        });
      });
      expect((await fetch(`${url}/`)).status).to.equal(200);
      const manifest = (await (await fetch(`${url}/models/manifest.json`)).json()) as {
        models: { key: string; path: string; files: Record<string, number> }[];
      };
      expect(manifest.models.map((m) => m.key)).to.deep.equal(['baseline', 'pruned-dc', 'onnx-fp32', 'onnx-int8']);
      for (const m of manifest.models) {
        for (const [name, bytes] of Object.entries(m.files)) {
          const res = await fetch(`${url}/models/${m.path}/${name}`, { method: 'HEAD' });
          expect([res.status, Number(res.headers.get('content-length'))], `${m.key}/${name}`).to.deep.equal([
            200,
            bytes,
          ]);
        }
      }
      for (const file of [
        '/tf.min.js',
        '/tfjs-backend-wasm/tfjs-backend-wasm-simd.wasm',
        '/ort/ort.wasm.min.mjs',
        '/ort/ort-wasm-simd-threaded.wasm',
      ]) {
        expect((await fetch(`${url}${file}`, { method: 'HEAD' })).status, file).to.equal(200);
      }
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
