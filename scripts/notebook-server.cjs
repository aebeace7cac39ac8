#!/usr/bin/env node
// `make notebook`: opens the course in a Jupyter UI. JupyterLab when `jupyter-lab` is installed,
// else Debian's classic Notebook (`jupyter-notebook`, installed with apt when run as root; otherwise
// the exact command is printed). The server:
//   - serves the repository root (so the page can load plotly.js from node_modules, see
//     lib/viz/plotly-html.ts) and opens on notebooks/;
//   - finds the tslab kernel through an absolute JUPYTER_PATH (build/jupyter), wherever it starts;
//   - listens on 127.0.0.1 only, with a token passed in the environment (not on the command line);
//   - adds --allow-root when run as root;
//   - loads scripts/jupyter-config.py: after each save that changed only outputs, git's stale
//     "modified" mark is cleared (nbstrip.cjs --refresh), so running notebooks in place keeps
//     `git status` clean while they keep their outputs on disk.
// Notebooks opened this way write their results under build/results/ (TFJS_COMPRESS_RESULTS is
// left unset), so exploring the course leaves git clean. The browser test
// (test/notebooks/ui.test.ts) starts the server through the same functions.
//   node scripts/notebook-server.cjs [--port N] [--no-browser] [--print-command]
const { execFileSync, spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const APT_INSTALL = 'apt-get install -y --no-install-recommends jupyter-notebook';

/** The first executable called `name` on PATH, or undefined. */
function onPath(name, envPath = process.env.PATH ?? '') {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Which UI to start: {kind: 'lab' | 'classic', bin}, or {kind: 'missing', install} with the apt command. */
function findUi(envPath = process.env.PATH ?? '') {
  const lab = onPath('jupyter-lab', envPath);
  if (lab) return { kind: 'lab', bin: lab };
  const classic = ['/usr/bin/jupyter-notebook', onPath('jupyter-notebook', envPath)].find((f) => f && fs.existsSync(f));
  if (classic) return { kind: 'classic', bin: classic };
  return { kind: 'missing', install: APT_INSTALL };
}

/**
 * The server's command line and environment. Pure: the test checks it for root and non-root.
 * @param {{ui: {kind: string, bin: string}, root?: string, port: number, token: string, uid?: number, browser?: boolean, env?: object}} o
 */
function serverCommand(o) {
  const root = path.resolve(o.root ?? ROOT);
  const env = o.env ?? process.env;
  const kernels = path.join(root, 'build', 'jupyter');
  const args = [`--notebook-dir=${root}`, '--ip=127.0.0.1', `--port=${o.port}`, '--port-retries=0', `--config=${path.join(ROOT, 'scripts', 'jupyter-config.py')}`];
  if (!o.browser) args.push('--no-browser');
  if ((o.uid ?? process.getuid?.() ?? -1) === 0) args.push('--allow-root');
  // Open on the course's folder (the classic Notebook; JupyterLab opens its own workspace).
  if (o.ui.kind === 'classic') args.push('--NotebookApp.default_url=/tree/notebooks');
  return {
    bin: o.ui.bin,
    args,
    env: {
      ...env,
      JUPYTER_PATH: [kernels, env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
      JUPYTER_TOKEN: o.token,
      TFJS_COMPRESS_NOTEBOOK_ROOT: root,
      TFJS_COMPRESS_NODE: process.execPath,
      TFJS_COMPRESS_RESULTS: undefined,
    },
  };
}

/** The URL of a page of the server (`notebooks` folder by default), with the token. */
function pageUrl(ui, port, token, file = 'notebooks') {
  const route = ui.kind === 'lab' ? `lab/tree/${file}` : /\.ipynb$/.test(file) ? `notebooks/${file}` : `tree/${file}`;
  return `http://127.0.0.1:${port}/${route}?token=${token}`;
}

/** A free TCP port on 127.0.0.1 (`preferred` when it is free). */
function freePort(preferred = 0) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', () => (preferred ? freePort(0).then(resolve, reject) : reject(new Error('no free port'))));
    srv.listen(preferred, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on 127.0.0.1:port; rejects after `ms` or when `child` exits. */
function waitForPort(port, child, ms = 60000) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    let exited = false;
    child.once('exit', (code) => { exited = true; reject(new Error(`the Jupyter server exited with code ${code} before listening on port ${port}`)); });
    const attempt = () => {
      if (exited) return;
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`the Jupyter server on port ${port}, got no answer after ${ms / 1000} s`));
        else setTimeout(attempt, 250);
      });
    };
    attempt();
  });
}

/** The UI, installing the classic Notebook from Debian when missing and run as root; else throws with the command. */
function ensureUi() {
  let ui = findUi();
  if (ui.kind !== 'missing') return ui;
  if (process.getuid?.() !== 0) {
    throw new Error(`no Jupyter UI: neither jupyter-lab nor jupyter-notebook is installed. Run: sudo apt-get update && sudo ${APT_INSTALL}`);
  }
  console.log(`installing Debian's classic Notebook: ${APT_INSTALL}`);
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
  execFileSync('apt-get', APT_INSTALL.split(' ').slice(1).concat('-q'), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  ui = findUi();
  if (ui.kind === 'missing') throw new Error('jupyter-notebook is still missing after apt-get install');
  return ui;
}

/**
 * Starts the server and waits until it listens. Returns the child process, the UI, port, token,
 * `url(file)` and `stop()`.
 */
async function startServer(o = {}) {
  const ui = o.ui ?? ensureUi();
  const port = o.port ?? (await freePort(8888));
  const token = o.token ?? crypto.randomBytes(24).toString('hex');
  const cmd = serverCommand({ ui, root: o.root, port, token, browser: o.browser ?? false });
  const env = Object.fromEntries(Object.entries(cmd.env).filter(([, v]) => v !== undefined));
  const child = spawn(cmd.bin, cmd.args, { cwd: o.root ?? ROOT, env, stdio: o.stdio ?? 'inherit' });
  await waitForPort(port, child, o.timeoutMs);
  return {
    child, ui, port, token,
    url: (file) => pageUrl(ui, port, token, file),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

async function main(argv) {
  const portAt = argv.indexOf('--port');
  const port = portAt >= 0 ? Number(argv[portAt + 1]) : await freePort(8888);
  const browser = !argv.includes('--no-browser') && Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY) && process.getuid?.() !== 0;
  let ui;
  try {
    ui = argv.includes('--print-command') ? findUi() : ensureUi();
  } catch (e) {
    console.error(`make notebook: ${e.message}`);
    process.exit(1);
  }
  if (argv.includes('--print-command')) {
    if (ui.kind === 'missing') return console.log(`missing: ${ui.install}`);
    const cmd = serverCommand({ ui, port, token: '<token>', browser });
    return console.log(`JUPYTER_PATH=${cmd.env.JUPYTER_PATH} JUPYTER_TOKEN=<token> ${cmd.bin} ${cmd.args.join(' ')}`);
  }
  const server = await startServer({ ui, port, browser });
  const line = '-'.repeat(72);
  console.log(`\n${line}\nThe course (${ui.kind === 'lab' ? 'JupyterLab' : 'classic Notebook'}, kernel "TypeScript (tslab)"):\n` +
    `  ${server.url('notebooks')}\n  start with ${server.url('notebooks/00-introduction.ipynb')}\n` +
    `Results of runs here go to build/results/ (git stays clean). Stop with Ctrl-C.\n${line}\n`);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.child.kill(sig));
  server.child.on('exit', (code) => process.exit(code ?? 0));
}

module.exports = { ROOT, APT_INSTALL, findUi, serverCommand, pageUrl, freePort, startServer };

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`make notebook: ${e.message}`);
    process.exit(1);
  });
}
