// The notebook clean filter (scripts/nbstrip.cjs): outputs, execution counts and per-run metadata
// never reach git; the text it writes is what nbformat writes, so a notebook Jupyter saved after a
// run cleans back to exactly the committed file; and through real git, running a notebook in place
// leaves `git status` clean, and `git add --renormalize` converts committed notebooks once.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';

const { strip, refresh } = require('../../scripts/nbstrip.cjs') as {
  strip(text: string): string;
  refresh(files: string[]): string[];
};
const ROOT = path.resolve(__dirname, '..', '..');
const NOTEBOOKS = fs
  .readdirSync(path.join(ROOT, 'notebooks'))
  .filter((f) => f.endsWith('.ipynb'))
  .map((f) => path.join(ROOT, 'notebooks', f));

/** A notebook as a run leaves it: outputs, counts, the metadata Jupyter UIs add. */
function executed(source: string): string {
  const nb = JSON.parse(source) as { cells: Record<string, unknown>[]; metadata: Record<string, unknown> };
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== 'code') return;
    c.execution_count = i + 1;
    c.outputs = [
      { output_type: 'stream', name: 'stdout', text: ['ran\n'] },
      { output_type: 'display_data', data: { 'text/plain': ['x'] }, metadata: {} },
    ];
    c.metadata = {
      ...(c.metadata as object),
      scrolled: true,
      execution: { 'iopub.status.busy': '2025-01-01T00:00:00Z' },
      collapsed: false,
    };
  });
  nb.metadata = {
    ...nb.metadata,
    widgets: { state: {} },
    language_info: { ...(nb.metadata.language_info as object), version: '9.9.9' },
  };
  return JSON.stringify(nb, null, 2);
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  });

describe('scripts/nbstrip.cjs (the notebook clean filter)', function () {
  this.timeout(120000);

  it('removes outputs, execution counts and per-run metadata, and is idempotent', () => {
    const original = fs.readFileSync(NOTEBOOKS[0] as string, 'utf8');
    const clean = strip(executed(original));
    const nb = JSON.parse(clean) as {
      cells: Record<string, unknown>[];
      metadata: { widgets?: unknown; language_info: { version?: string } };
    };
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    expect(code.length).to.be.greaterThan(0);
    for (const c of code) {
      expect(c.outputs).to.deep.equal([]);
      expect(c.execution_count).to.equal(null);
      expect(Object.keys(c.metadata as object)).to.not.include.members(['scrolled', 'execution', 'collapsed']);
    }
    expect(nb.metadata.widgets).to.equal(undefined);
    expect(nb.metadata.language_info.version).to.equal(undefined);
    expect(strip(clean)).to.equal(clean);
    expect(clean).to.equal(strip(original)); // a run changes nothing git sees
  });

  it('passes anything that is not a notebook through unchanged', () => {
    for (const text of ['', 'not json', '{"a": 1}', '[1, 2]', 'null']) expect(strip(text)).to.equal(text);
  });

  it('writes what nbformat writes: every course notebook round-tripped through nbformat cleans to the same text', function () {
    if (!fs.existsSync('/usr/bin/python3')) this.skip();
    const script =
      'import sys, nbformat\nfor p in sys.argv[1:]:\n    nb = nbformat.read(p, as_version=4)\n    sys.stdout.write(nbformat.writes(nb) + "\\n\\0")';
    let out: string;
    try {
      out = execFileSync('/usr/bin/python3', ['-c', script, ...NOTEBOOKS], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch {
      return this.skip(); // nbformat (Debian's python3-nbformat) not installed: make setup installs it
    }
    const written = out.split('\0').slice(0, NOTEBOOKS.length);
    NOTEBOOKS.forEach((file, i) => {
      const ours = strip(fs.readFileSync(file, 'utf8'));
      expect(strip(written[i] as string), path.basename(file)).to.equal(ours);
    });
    // nbformat's own text of a stripped notebook is the stripped text itself (sorted keys, indent 1).
    const again = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys, nbformat; sys.stdout.write(nbformat.writes(nbformat.reads(sys.stdin.read(), as_version=4)) + "\\n")',
      ],
      { input: strip(fs.readFileSync(NOTEBOOKS[0] as string, 'utf8')), encoding: 'utf8' },
    );
    expect(again).to.equal(strip(fs.readFileSync(NOTEBOOKS[0] as string, 'utf8')));
  });

  it('through git: a run in place leaves git status clean, and --renormalize converts committed notebooks', () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-nbstrip-'));
    try {
      git(repo, 'init', '-q');
      const original = fs.readFileSync(NOTEBOOKS[0] as string, 'utf8');
      fs.mkdirSync(path.join(repo, 'scripts'));
      fs.copyFileSync(path.join(ROOT, 'scripts', 'nbstrip.cjs'), path.join(repo, 'scripts', 'nbstrip.cjs'));
      // Committed before the filter existed: outputs and all.
      fs.writeFileSync(path.join(repo, 'nb.ipynb'), executed(original));
      git(repo, 'add', '.');
      git(repo, 'commit', '-qm', 'before the filter');
      // What `make setup` and the repository add.
      git(repo, 'config', 'filter.nbstrip.clean', 'node scripts/nbstrip.cjs');
      fs.copyFileSync(path.join(ROOT, '.gitattributes'), path.join(repo, '.gitattributes'));
      git(repo, 'add', '--renormalize', '.');
      git(repo, 'add', '.gitattributes');
      git(repo, 'commit', '-qm', 'renormalize');
      expect(git(repo, 'show', 'HEAD:nb.ipynb')).to.equal(strip(original));
      // Running the notebook again rewrites outputs in the working file: no diff, and no commit
      // would carry them. git's status still marks it (the file size changed, as with nbstripout)
      // until --refresh, which the Jupyter save hook of `make notebook` runs, records the new size.
      const nb = path.join(repo, 'nb.ipynb');
      fs.writeFileSync(nb, executed(original).replace(/ran\\n/g, 'ran again\\n'));
      expect(git(repo, 'diff')).to.equal('');
      expect(git(repo, 'status', '--porcelain')).to.equal(' M nb.ipynb\n');
      expect(refresh([nb])).to.deep.equal([nb]);
      expect(git(repo, 'status', '--porcelain')).to.equal('');
      expect(git(repo, 'diff', '--cached')).to.equal(''); // nothing was staged
      expect(fs.readFileSync(nb, 'utf8')).to.contain('ran again'); // the outputs stay in the file
      // A real edit of a cell's source still shows, and --refresh leaves it unstaged.
      fs.writeFileSync(nb, executed(original.replace('tfjs-compress', 'tfjs-compress ')));
      expect(refresh([nb])).to.deep.equal([]);
      expect(git(repo, 'status', '--porcelain')).to.equal(' M nb.ipynb\n');
      expect(refresh([path.join(os.tmpdir(), 'not-in-git.ipynb')])).to.deep.equal([]);
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});
