// kill -9 at random points of saving and publishing, on real files, in child processes: after
// every kill the folder must hold one whole model (never the model.json of one model with the
// weights of another), no saved or published version may be lost, and what the killed writer
// left behind is cleaned up by the next start. The children run the library's write path
// (writeArtifacts: what saveModel and publishModel call after serializing the model in memory)
// from plain JavaScript transpiled from lib/ for this test, so each starts in well under a
// second without loading tfjs; the models are real SimpleNets serialized by modelToArtifacts.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { simpleNet } from '../../course/models/simplenet';
import { modelToArtifacts } from '../../lib/data/model-io';
import { ModelArtifacts, writeArtifacts } from '../../lib/data/model-files';
import { readArtifacts } from '../../lib/data/model-read';
import { recoverFolder } from '../../lib/core/atomic';
import { Rng } from '../../lib/core/rng';
import { transpileLib } from '../helpers/transpile';

const LIB_FILES = [
  'errors.ts',
  'core/atomic.ts',
  'core/read-file.ts',
  'data/model-files.ts',
  'data/model-json.ts',
  'data/model-read.ts',
];
const CHILD = `
const fs = require('fs'); const path = require('path'); const readline = require('readline');
const { writeArtifacts } = require('./lib/data/model-files.js');
const { readArtifacts } = require('./lib/data/model-read.js');
const [mode, target, ...modelDirs] = process.argv.slice(2);
const models = modelDirs.map((d) => readArtifacts(d));
const out = (s) => fs.writeSync(1, s + '\\n');
if (Object.keys(require.cache).some((k) => k.includes('tensorflow'))) throw new Error('tfjs loaded');
out('ready');
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [cmd, arg] = line.split(' ');
  const v = Number(arg);
  const publish = (i, a) => writeArtifacts(path.join(target, 'm', String(i)), a, { caller: 'publishModel', exclusive: true, extraFiles: { 'meta.json': JSON.stringify({ version: i }) } });
  if (cmd === 'go') for (let i = v; ; i++) { // until killed
    if (mode === 'save') { writeArtifacts(target, models[i % models.length]); out('saved ' + i); }
    else { publish(i, models[i % models.length]); out('published ' + i); }
  }
  if (cmd === 'race') {
    try { publish(v, models[0]); out('ok ' + v); } catch (e) { out('refused ' + v + ' ' + e.constructor.name); }
  }
});
`;

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

function startChild(dir: string, args: string[]): Child {
  const proc = spawn(process.execPath, [path.join(dir, 'child.js'), ...args], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() as string;
    for (const l of parts) l === 'ready' ? onReady() : lines.push(l);
  });
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  void exited.then(() => {
    if (stderr && !proc.killed) lines.push(`stderr ${stderr}`);
  });
  return { proc, lines, ready, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
const hiddenUnder = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.')) : [];

describe('data/model files under kill -9 (child processes, real files)', function () {
  this.timeout(600000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-kill-'));
  const models: ModelArtifacts[] = [];
  const modelDirs: string[] = [];

  /** Which model `a` is, by its model.json and by its weights (-1: none). */
  const identify = (a: ModelArtifacts) => ({
    json: models.findIndex((m) => JSON.stringify(m.modelJson) === JSON.stringify(a.modelJson)),
    weights: models.findIndex((m) => sameBytes(m.weightData, a.weightData)),
  });

  before(async () => {
    transpileLib(base, LIB_FILES);
    fs.writeFileSync(path.join(base, 'child.js'), CHILD);
    for (const seed of [1, 2, 3]) {
      const m = simpleNet({ seed, hidden: [96] });
      models.push(await modelToArtifacts(m));
      m.dispose();
      modelDirs.push(path.join(base, `model${seed}`));
      writeArtifacts(modelDirs[modelDirs.length - 1] as string, models[models.length - 1] as ModelArtifacts);
    }
    // Three models whose model.json texts differ (layer names) and whose weights differ, of one size.
    expect(new Set(models.map((m) => JSON.stringify(m.modelJson))).size).to.equal(3);
    expect(new Set(models.map((m) => m.weightData.length)).size).to.equal(1);
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('100 kills at random points of saves and publishes: 0 mixed, 0 lost, temporary folders cleaned on the next start', async () => {
    const rng = new Rng(12);
    const saveDir = path.join(base, 'saved');
    const registry = path.join(base, 'registry');
    const versionsDir = path.join(registry, 'm');
    let committed = -1; // the last save known to be on disk
    const published = new Set<number>();
    let nextVersion = 0;
    const tally = { kills: 0, saves: 0, publishes: 0, midWrite: 0, mixed: 0, lost: 0, unexpected: 0 };
    const problems: string[] = [];
    const boot = (mode: string) => startChild(base, [mode, mode === 'save' ? saveDir : registry, ...modelDirs]);
    let pending = { save: boot('save'), publish: boot('publish') }; // the next child boots while this one runs
    for (let k = 0; k < 100; k++) {
      const mode = k % 2 === 0 ? 'save' : 'publish';
      const child = pending[mode];
      pending = { ...pending, [mode]: boot(mode) };
      await child.ready;
      child.proc.stdin?.write(`go ${mode === 'save' ? committed + 1 : nextVersion}\n`);
      await sleep(rng.next() * 600);
      child.proc.kill('SIGKILL');
      await child.exited;
      tally.kills++;
      const stray = child.lines.filter((l) => !/^(saved|published) \d+$/.test(l));
      if (stray.length) problems.push(`kill ${k}: ${stray.join(' | ')}`);
      const done = child.lines.map((l) => Number(l.split(' ')[1]));
      if (mode === 'save') {
        tally.saves += done.length;
        if (hiddenUnder(base).some((n) => n.startsWith('.saved.'))) tally.midWrite++;
        const last = done.length ? (done[done.length - 1] as number) : committed;
        let got: ReturnType<typeof identify> | undefined;
        if (last < 0 && !fs.existsSync(saveDir)) continue; // killed before the first save landed: nothing to lose
        try {
          got = identify(readArtifacts(saveDir)); // reading is a start: it rolls back an interrupted replacement
        } catch (e) {
          tally.lost++;
          problems.push(`kill ${k}: ${(e as Error).message}`);
        }
        if (got && (got.json !== got.weights || got.json < 0)) tally.mixed++;
        else if (got) {
          // The folder holds the last reported save, or the one in flight when the kill came.
          const at = [last, last + 1].find((i) => i >= 0 && i % 3 === got?.json);
          if (at === undefined) tally.lost++;
          else committed = at;
        }
      } else {
        tally.publishes += done.length;
        done.forEach((v) => published.add(v));
        if (hiddenUnder(versionsDir).length) tally.midWrite++;
        const listed = fs.existsSync(versionsDir)
          ? fs
              .readdirSync(versionsDir)
              .filter((n) => !n.startsWith('.'))
              .map(Number)
          : [];
        for (const v of published) if (!listed.includes(v)) tally.lost++;
        for (const v of listed.filter((x) => x >= nextVersion)) {
          if (!published.has(v) && v !== (done.length ? (done[done.length - 1] as number) + 1 : nextVersion))
            tally.unexpected++;
          try {
            const dir = path.join(versionsDir, String(v));
            const got = identify(readArtifacts(dir));
            const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { version: number };
            if (got.json !== v % 3 || got.weights !== v % 3 || meta.version !== v) tally.mixed++;
          } catch (e) {
            tally.mixed++;
            problems.push(`kill ${k}, version ${v}: ${(e as Error).message}`);
          }
          published.add(v);
        }
        nextVersion = Math.max(nextVersion, ...listed.map((v) => v + 1));
      }
    }
    pending.save.proc.kill('SIGKILL');
    pending.publish.proc.kill('SIGKILL');
    await Promise.all([pending.save.exited, pending.publish.exited]);
    const leftBefore =
      hiddenUnder(base).filter((n) => n.startsWith('.saved.')).length + hiddenUnder(versionsDir).length;
    recoverFolder(saveDir); // the next start of a writer of each folder
    recoverFolder(path.join(versionsDir, String(nextVersion)));
    const leftAfter = hiddenUnder(base).filter((n) => n.startsWith('.saved.')).length + hiddenUnder(versionsDir).length;
    console.log(
      `      ${tally.kills} kills (${tally.saves} saves and ${tally.publishes} publishes completed between them; ${tally.midWrite} kills left a temporary folder): ` +
        `${tally.mixed} mixed, ${tally.lost} lost, ${tally.unexpected} unexpected versions; temporary folders left after the last kill ${leftBefore}, after the next start ${leftAfter}`,
    );
    expect(problems).to.deep.equal([]);
    expect(tally.kills).to.equal(100);
    expect(tally.saves).to.be.greaterThan(0);
    expect(tally.publishes).to.be.greaterThan(0);
    expect(tally.midWrite, 'some kills should land inside a write').to.be.greaterThan(0);
    expect({ mixed: tally.mixed, lost: tally.lost, unexpected: tally.unexpected, leftAfter }).to.deep.equal({
      mixed: 0,
      lost: 0,
      unexpected: 0,
      leftAfter: 0,
    });
  });

  it('two processes publishing the same version: exactly one succeeds each time, the other gets a ConfigError', async () => {
    const registry = path.join(base, 'race');
    const a = startChild(base, ['publish', registry, modelDirs[0] as string]);
    const b = startChild(base, ['publish', registry, modelDirs[1] as string]);
    await Promise.all([a.ready, b.ready]);
    const rounds = 40;
    let oneWinner = 0;
    const winners = { a: 0, b: 0 };
    for (let v = 0; v < rounds; v++) {
      a.proc.stdin?.write(`race ${v}\n`);
      b.proc.stdin?.write(`race ${v}\n`);
      while (a.lines.length <= v || b.lines.length <= v) await sleep(2);
      const ra = a.lines[v] as string;
      const rb = b.lines[v] as string;
      const oks = [ra, rb].filter((l) => l.startsWith('ok ')).length;
      const refusals = [ra, rb].filter((l) => l === `refused ${v} ConfigError`).length;
      if (oks === 1 && refusals === 1) oneWinner++;
      const stored = identify(readArtifacts(path.join(registry, 'm', String(v))));
      const winner = ra.startsWith('ok ') ? 0 : 1;
      expect(stored, `version ${v}`).to.deep.equal({ json: winner, weights: winner });
      winners[winner === 0 ? 'a' : 'b']++;
    }
    a.proc.kill('SIGKILL');
    b.proc.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
    console.log(
      `      ${rounds} races: ${oneWinner} with exactly one winner (first process won ${winners.a}, second ${winners.b})`,
    );
    expect(oneWinner).to.equal(rounds);
    expect(hiddenUnder(path.join(registry, 'm'))).to.deep.equal([]);
  });
});
