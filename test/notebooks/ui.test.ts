// The course in the real notebook UI: Debian's classic Notebook started with `make notebook`'s
// settings (scripts/notebook-server.cjs), driven in Debian's Chromium through playwright-core.
// A copy of 00-introduction is opened, every cell run from the Cell menu and the notebook saved
// from the File menu; no cell may show an error and every chart must be drawn by plotly.js in the
// page (not only its PNG). The copy lives in a throwaway git repository under build/ set up as
// this one is (.gitattributes, .gitignore, the clean filter), so the test also shows what running
// the course in place does to git: the saved notebook keeps its outputs, and `git status` stays
// clean. The repository's own notebooks, results and git status must not change. A screenshot
// goes to build/ui-test/.
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../lib/viz/render';

 
const server = require('../../scripts/notebook-server.cjs') as {
  ROOT: string;
  findUi(envPath?: string): { kind: string; bin: string };
  serverCommand(o: { ui: { kind: string; bin: string }; root?: string; port: number; token: string; uid?: number; browser?: boolean; env?: Record<string, string> }):
    { bin: string; args: string[]; env: Record<string, string | undefined> };
  startServer(o: Record<string, unknown>): Promise<{ url(file: string): string; stop(): Promise<void>; child: import('child_process').ChildProcess }>;
};

const ROOT = path.resolve(__dirname, '..', '..');
const NOTEBOOK = path.join(ROOT, 'notebooks', '00-introduction.ipynb');
const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8',
  env: { ...process.env, GIT_AUTHOR_NAME: 'ui test', GIT_AUTHOR_EMAIL: 'ui@test', GIT_COMMITTER_NAME: 'ui test', GIT_COMMITTER_EMAIL: 'ui@test' } });
const gitStatus = (cwd = ROOT) => git(cwd, 'status', '--porcelain', '--untracked-files=all');
 
const { strip } = require('../../scripts/nbstrip.cjs') as { strip(text: string): string };

/** A git repository holding a copy of the notebook, with this repository's attributes, ignores and clean filter. */
function throwawayRepo(): string {
  const dir = fs.mkdtempSync(path.join(ROOT, 'build', 'ui-test-'));
  git(dir, 'init', '-q');
  git(dir, 'config', 'filter.nbstrip.clean', `node ${JSON.stringify(path.join(ROOT, 'scripts', 'nbstrip.cjs'))}`);
  for (const f of ['.gitattributes', '.gitignore']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  fs.copyFileSync(NOTEBOOK, path.join(dir, '00-introduction.ipynb'));
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'the course notebook');
  return dir;
}

interface RunState { total: number; executed: number; busy: boolean; errors: string[] }

/** Where the run stands, read from the classic Notebook's page. */
function runState(page: Page): Promise<RunState> {
  return page.evaluate(() => {
    const nb = (window as unknown as { Jupyter: { notebook: { get_cells(): { cell_type: string; input_prompt_number?: unknown }[] } } }).Jupyter.notebook;
    const code = nb.get_cells().filter((c) => c.cell_type === 'code');
    const errors = Array.from(document.querySelectorAll('.output_error, .output_stderr')).map((e) => (e.textContent ?? '').trim()).filter(Boolean);
    return {
      total: code.length,
      executed: code.filter((c) => typeof c.input_prompt_number === 'number').length,
      busy: Boolean(document.querySelector('#kernel_indicator_icon.kernel_busy_icon')),
      errors,
    };
  });
}

describe('the course in the classic Notebook (browser test)', function () {
  this.timeout(300000);

  it('builds the server command for root and for a non-root user, with an absolute kernel path', () => {
    const ui = { kind: 'classic', bin: '/usr/bin/jupyter-notebook' };
    const asUser = server.serverCommand({ ui, root: 'relative/root', port: 9999, token: 'secret-token-1', uid: 1000, env: { PATH: '/usr/bin' } });
    const asRoot = server.serverCommand({ ui, root: 'relative/root', port: 9999, token: 'secret-token-1', uid: 0, env: { PATH: '/usr/bin', JUPYTER_PATH: '/opt/j' } });
    expect(asUser.args).to.not.include('--allow-root');
    expect(asRoot.args).to.include('--allow-root');
    for (const c of [asUser, asRoot]) {
      expect(c.args).to.include.members(['--ip=127.0.0.1', '--port=9999', '--port-retries=0', '--no-browser']);
      expect(path.isAbsolute(c.env.JUPYTER_PATH?.split(path.delimiter)[0] ?? '')).to.equal(true);
      expect(c.env.JUPYTER_PATH?.split(path.delimiter)[0]).to.equal(path.resolve('relative/root', 'build', 'jupyter'));
      expect(c.env.JUPYTER_TOKEN).to.equal('secret-token-1');
      expect(c.args.join(' ')).to.not.contain('secret-token-1'); // the token travels in the environment only
    }
    expect(asRoot.env.JUPYTER_PATH).to.equal(`${path.resolve('relative/root', 'build', 'jupyter')}${path.delimiter}/opt/j`);
    const lab = server.serverCommand({ ui: { kind: 'lab', bin: '/x/jupyter-lab' }, port: 1, token: 't', uid: 1000 });
    expect(lab.args.some((a) => a.startsWith('--NotebookApp'))).to.equal(false);
  });

  it('runs 00-introduction: no cell errors, interactive Plotly charts, git left as it was', async function () {
    const classic = ['/usr/bin/jupyter-notebook'].find((f) => fs.existsSync(f));
    if (!classic || !fs.existsSync(CHROMIUM_PATH) || !fs.existsSync(path.join(ROOT, 'build', 'jupyter', 'kernels', 'tslab', 'kernel.json'))) {
      this.skip(); // make test runs `make setup` first (it installs both), so this only skips outside the Makefile
    }
    const before = { notebook: sha256(NOTEBOOK), status: gitStatus() };
    const committedResults = path.join(ROOT, 'results', '00-introduction.json');
    const committedBefore = fs.existsSync(committedResults) ? sha256(committedResults) : '';
    const dir = throwawayRepo();
    const copy = path.join(dir, '00-introduction.ipynb');
    const rel = path.relative(ROOT, copy).split(path.sep).join('/');
    const started = Date.now();
    const srv = await server.startServer({ ui: { kind: 'classic', bin: classic }, root: ROOT, stdio: 'pipe' });
    let log = '';
    srv.child.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
    srv.child.stdout?.on('data', (d: Buffer) => { log += d.toString(); });
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(srv.url(rel));
      await page.waitForFunction(() => (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } })
        .Jupyter?.notebook?.kernel?.is_connected() === true, undefined, { timeout: 60000 });
      await page.click('#celllink'); // the Cell menu
      await page.click('#run_all_cells > a');
      let state = await runState(page);
      while (Date.now() - started < 240000 && !state.errors.length && (state.executed < state.total || state.busy)) {
        await page.waitForTimeout(1000);
        state = await runState(page);
      }
      const shot = path.join(ROOT, 'build', 'ui-test', '00-introduction.png');
      fs.mkdirSync(path.dirname(shot), { recursive: true });
      await page.locator('.tfc-plotly').first().scrollIntoViewIfNeeded().catch(() => undefined);
      await page.screenshot({ path: shot });
      expect(state.errors, 'outputs with errors').to.deep.equal([]);
      expect(state.executed, `cells run (server log:\n${log.slice(-2000)})`).to.equal(state.total);
      const charts = await page.evaluate(() => Array.from(document.querySelectorAll('.tfc-plotly')).map((d) => ({
        plotted: d.classList.contains('js-plotly-plot') && Boolean(d.querySelector('.plot-container svg.main-svg')),
        traces: ((d as unknown as { _fullData?: unknown[] })._fullData ?? []).length,
        png: Boolean(d.querySelector('img')),
      })));
      expect(charts.length, 'interactive charts').to.equal(2);
      for (const c of charts) expect(c).to.include({ plotted: true, png: false }).and.to.have.property('traces').greaterThan(0);
      expect(pageErrors).to.deep.equal([]);
      expect(fs.statSync(shot).size).to.be.greaterThan(10000);
      // Save from the File menu: the file keeps its outputs, git sees no change.
      const sizeBefore = fs.statSync(copy).size;
      await page.click('#filelink');
      await page.click('#save_checkpoint > a');
      await page.waitForFunction(() => (window as unknown as { Jupyter: { notebook: { dirty: boolean } } }).Jupyter.notebook.dirty === false, undefined, { timeout: 30000 });
      await page.waitForTimeout(500);
      const saved = fs.readFileSync(copy, 'utf8');
      expect(saved).to.contain('"output_type": "display_data"');
      expect(saved.length).to.be.greaterThan(sizeBefore);
      expect(strip(saved)).to.equal(git(dir, 'show', 'HEAD:00-introduction.ipynb')); // the UI's file cleans to the committed text
      expect(gitStatus(dir), 'git status of the notebook run in place').to.equal('');
    } finally {
      await browser?.close();
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // The run wrote its results under build/results, and nothing git tracks changed.
    expect(fs.statSync(path.join(ROOT, 'build', 'results', '00-introduction.json')).mtimeMs).to.be.greaterThan(started);
    expect(fs.existsSync(committedResults) ? sha256(committedResults) : '').to.equal(committedBefore);
    expect(sha256(NOTEBOOK)).to.equal(before.notebook);
    expect(gitStatus()).to.equal(before.status);
  });
});
