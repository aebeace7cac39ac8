// The output rules as an attacker tries them: a stage named to climb out of --out, --out equal to,
// containing or inside an input (with --force), a symlinked --out, a folder without the marker,
// a marker swapped away at the last moment. Each refusal is typed, says how to fix it, and
// leaves every user file byte for byte as it was (hashed before and after).
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { OUTPUT_MARKER, checkOutputFolder, writeOutputFolder } from '../../lib/core/safe-output';
import { MNIST_CNN, verifiedModelFiles } from '../fixtures/real-models';
import { cli, mnistNpy, tmpDir } from '../cli/helpers';

/** Every file under `dir` (links not followed) with its sha256, or the link target. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) walk(p);
      else out[rel] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** A project folder as a user has it: recipe, model, data, labels and an unrelated notes file. */
function project(): { dir: string; recipe: string; model: string } {
  const dir = path.join(tmpDir('tfc-safe-'), 'project');
  fs.mkdirSync(dir);
  const model = path.join(dir, 'model');
  fs.cpSync(verifiedModelFiles(MNIST_CNN).dir, model, { recursive: true });
  const data = mnistNpy(dir, 20, 0);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'my notes, not a model\n');
  const recipe = path.join(dir, 'recipe.json');
  fs.writeFileSync(
    recipe,
    JSON.stringify({
      version: 1,
      model: 'model',
      data: { evaluation: { path: path.basename(data.xs), labels: path.basename(data.ys), scale: 1 / 255 } },
      stages: [{ kind: 'export', to: 'onnx' }],
    }),
  );
  return { dir, recipe, model };
}

describe('safe output: --out is never an input, --force replaces only an earlier output, stage names stay inside', function () {
  this.timeout(300_000);

  it('a stage named "../../x" is refused before anything is written, inside or outside --out', () => {
    const { dir, recipe } = project();
    const text = JSON.parse(fs.readFileSync(recipe, 'utf8'));
    for (const name of ['../../x', '../x', '/tmp/x', 'a/../../x', '..']) {
      text.stages = [{ kind: 'export', to: 'onnx', name }];
      fs.writeFileSync(recipe, JSON.stringify(text));
      const before = snapshot(path.dirname(dir)); // the project and the folder around it
      const r = cli(['run', recipe, '--out', path.join(dir, 'out', 'deep')]);
      expect(r.status, name).to.equal(1);
      expect(r.stderr).to.match(
        /ConfigError: recipe .*stages\[0\]\.name must be a non-empty string .*Use letters, digits/,
      );
      expect(snapshot(path.dirname(dir)), name).to.deep.equal(before);
    }
  });

  it('--out equal to the folder holding the recipe, model and data, with --force: refused, nothing deleted', () => {
    const { dir, recipe } = project();
    const before = snapshot(dir);
    for (const out of [dir, path.join(dir, 'model'), path.join(dir, 'model', 'inside'), path.dirname(dir), '/']) {
      const r = cli(['run', recipe, '--out', out, '--force']);
      expect(r.status, out).to.equal(1);
      expect(r.stderr, out).to.match(
        /ConfigError: expected an output folder (apart from every input|below the file system root), got .*(is|contains|lies inside) |root/,
      );
      expect(snapshot(dir), out).to.deep.equal(before);
    }
    const r = cli(['run', recipe, '--out', dir, '--force']);
    expect(r.stderr).to.match(
      /which contains the recipe .* Choose an output folder outside the folders the command reads/,
    );
  });

  it('--out inside or equal to an input of the prune, quantize and export commands is refused the same way', () => {
    const { dir, model } = project();
    const before = snapshot(dir);
    const data = path.join(dir, 'mnist-x-0-20.npy');
    for (const args of [
      ['prune', model, '--sparsity', '0.5', '--out', model, '--force'],
      ['prune', model, '--sparsity', '0.5', '--out', path.join(model, 'pruned')],
      ['quantize', model, '--mode', 'weight-only', '--out', dir, '--force'],
      ['quantize', model, '--mode', 'static', '--data', data, '--scale', '1/255', '--out', data, '--force'],
      ['export', model, '--to', 'onnx', '--out', model, '--force'],
    ]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).to.equal(1);
      expect(r.stderr, args.join(' ')).to.match(/ConfigError: expected an output folder apart from every input/);
      expect(snapshot(dir), args.join(' ')).to.deep.equal(before);
    }
  });

  it('a symlinked --out, or one whose parent links into an input, is refused', () => {
    const { dir, recipe, model } = project();
    const elsewhere = tmpDir('tfc-safe-target-');
    fs.writeFileSync(path.join(elsewhere, 'keep.txt'), 'keep');
    fs.symlinkSync(elsewhere, path.join(dir, 'out-link'));
    fs.symlinkSync(model, path.join(dir, 'model-link'));
    const before = { dir: snapshot(dir), elsewhere: snapshot(elsewhere) };
    let r = cli(['run', recipe, '--out', path.join(dir, 'out-link'), '--force']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(
      /ConfigError: expected an output folder that is not a symbolic link, got .*out-link, a link to/,
    );
    r = cli(['run', recipe, '--out', path.join(dir, 'model-link', 'out')]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/lies inside the model/);
    expect({ dir: snapshot(dir), elsewhere: snapshot(elsewhere) }).to.deep.equal(before);
  });

  it('--force over a folder without the marker is refused and leaves it whole; over an earlier output it replaces it', () => {
    const { dir, recipe } = project();
    const mine = path.join(dir, 'results');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'thesis.tex'), 'years of work');
    const before = snapshot(dir);
    let r = cli(['run', recipe, '--out', mine, '--force']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(
      new RegExp(
        `an earlier output of tfjs-compress \\(a folder holding ${OUTPUT_MARKER.replace(/\./g, '\\.')}\\) to replace with --force, got .*results, which holds other files and no marker`,
      ),
    );
    expect(snapshot(dir)).to.deep.equal(before);
    // A marker-shaped file that is not ours (a link, or another tool's JSON) does not count either.
    fs.symlinkSync('/etc/hostname', path.join(mine, OUTPUT_MARKER));
    expect(cli(['run', recipe, '--out', mine, '--force']).status).to.equal(1);
    expect(fs.readFileSync(path.join(mine, 'thesis.tex'), 'utf8')).to.equal('years of work');

    const out = path.join(dir, 'out');
    r = cli(['run', recipe, '--out', out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.existsSync(path.join(out, OUTPUT_MARKER))).to.equal(true);
    r = cli(['run', recipe, '--out', out]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/which exists\. Choose another folder, or pass --force/);
    fs.writeFileSync(path.join(out, 'stale.txt'), 'from the first run');
    r = cli(['run', recipe, '--out', out, '--force']);
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.existsSync(path.join(out, 'stale.txt'))).to.equal(false);
    expect(fs.existsSync(path.join(out, 'deploy.json'))).to.equal(true);
    expect(fs.readdirSync(dir).filter((e) => e.includes('.tmp-') || e.includes('.old-'))).to.deep.equal([]);
  });

  it('a marker removed while the new output is written: the replacement is refused at the last moment and nothing is lost', async () => {
    const dir = tmpDir('tfc-safe-race-');
    const out = path.join(dir, 'out');
    const safe = {
      caller: 'test',
      kind: 'test',
      force: true,
      inputs: [{ role: 'the model', path: path.join(dir, 'model') }],
    };
    await writeOutputFolder(out, (tmp) => fs.writeFileSync(path.join(tmp, 'a.txt'), 'first'), safe);
    expect(checkOutputFolder(out, safe).replaces).to.equal(true);
    let error: unknown;
    try {
      await writeOutputFolder(
        out,
        (tmp) => {
          fs.writeFileSync(path.join(tmp, 'a.txt'), 'second');
          fs.rmSync(path.join(out, OUTPUT_MARKER)); // someone swaps the folder's content meanwhile
          fs.writeFileSync(path.join(out, 'users-file.txt'), 'precious');
        },
        safe,
      );
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.match(/holds other files and no marker/);
    expect(fs.readFileSync(path.join(out, 'users-file.txt'), 'utf8')).to.equal('precious');
    expect(fs.readFileSync(path.join(out, 'a.txt'), 'utf8')).to.equal('first');
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['out']);
  });
});
