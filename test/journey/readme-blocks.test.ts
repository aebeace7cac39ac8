// The README runner's own tests: how blocks and their directives are read, that a drifting block
// fails (a shell error, a TypeScript type error, invalid JSON), that skips need a reason and are
// counted, and that the README's install commands are the ones the journey runs.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { DirectiveError, readmeBlocks } from './readme-blocks';
import { runReadme } from './readme-runner';
import { INSTALL_COMMANDS } from './steps';

const REPO = path.resolve(__dirname, '..', '..');
const fence = '```';

describe('journey: README blocks', function () {
  this.timeout(120_000);

  it('reads fenced blocks in order with their language, line, section and directive', () => {
    const md = [
      '# Title',
      '## Install',
      '<!-- readme-test: skip (needs your own model) -->',
      '',
      `${fence}sh`,
      'npx tfjs-compress profile ./mine',
      fence,
      '<!-- readme-test: file recipe.json -->',
      `${fence}json`,
      '{"version": 1}',
      fence,
      `${fence}text`,
      'output',
      fence,
      '<!-- readme-test: background http://127.0.0.1:9/healthz -->',
      `${fence}bash`,
      'serve',
      fence,
    ].join('\n');
    const blocks = readmeBlocks(md);
    expect(blocks.map((b) => [b.line, b.language, b.section, b.action.kind])).to.deep.equal([
      [5, 'sh', 'Install', 'skip'],
      [9, 'json', 'Install', 'file'],
      [12, undefined, 'Install', 'run'],
      [16, 'sh', 'Install', 'background'],
    ]);
    expect(blocks[0]?.action).to.deep.equal({ kind: 'skip', reason: 'needs your own model' });
    expect(blocks[1]?.code).to.equal('{"version": 1}\n');
  });

  it('a skip without a reason, an unknown directive, a path outside the app and an unclosed block are errors', () => {
    const block = (directive: string) => `${directive}\n${fence}sh\nls\n${fence}\n`;
    expect(() => readmeBlocks(block('<!-- readme-test: skip -->'))).to.throw(DirectiveError, /skip \(reason\)/);
    expect(() => readmeBlocks(block('<!-- readme-test: ignore -->'))).to.throw(DirectiveError, /got "ignore"/);
    expect(() => readmeBlocks(block('<!-- readme-test: file ../x.json -->'))).to.throw(DirectiveError, /relative path/);
    expect(() => readmeBlocks(`${fence}sh\nls\n`)).to.throw(DirectiveError, /never closed/);
  });

  it('runs blocks as a terminal would and fails the ones that drift: an exit code, a type error, invalid JSON', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-readme-test-'));
    const start = path.join(root, 'start');
    fs.mkdirSync(start);
    const md = [
      `${fence}sh`,
      'mkdir app && cd app && echo hi > note.txt',
      fence,
      `${fence}sh`,
      'test -f note.txt # the folder carried over',
      fence,
      '<!-- readme-test: file data/values.json -->',
      `${fence}json`,
      '[1, 2, 3]',
      fence,
      `${fence}ts`,
      "import * as fs from 'node:fs';",
      "const values: number[] = JSON.parse(fs.readFileSync('data/values.json', 'utf8'));",
      'if (values.length !== 3) process.exit(4);',
      fence,
      `${fence}ts`,
      "const report = 'a';",
      "const report = 'b'; // declared twice, as the old README's script example did",
      fence,
      `${fence}json`,
      '{"version": 1,}',
      fence,
      `${fence}sh`,
      'exit 3',
      fence,
      '<!-- readme-test: skip (needs a GPU) -->',
      `${fence}sh`,
      'nvidia-smi',
      fence,
    ].join('\n');
    const file = path.join(root, 'README.md');
    fs.writeFileSync(file, md);
    const lines: string[] = [];
    const run = await runReadme(file, { startDir: start, repoDir: REPO, log: (t) => lines.push(t) });
    fs.rmSync(root, { recursive: true, force: true });
    expect(run.outcomes.map((o) => o.status)).to.deep.equal([
      'passed',
      'passed',
      'passed',
      'passed',
      'failed',
      'failed',
      'failed',
      'skipped',
    ]);
    expect(run.outcomes[4]?.reason).to.match(/Cannot redeclare block-scoped variable 'report'/);
    expect(run.outcomes[6]?.reason).to.match(/^exit 3/);
    expect([run.run, run.failed, run.skipped]).to.deep.equal([7, 3, 1]);
    expect(lines.join('\n')).to.match(/README line \d+ .*: FAILED/);
  });

  it("the README installs the tarball with the journey's commands, and every directive in it is well formed", () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    for (const command of INSTALL_COMMANDS('../tfjs-compress/build/tfjs-compress-0.1.0.tgz'))
      expect(readme).to.include(command);
    const version = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
    expect(readme, 'the README names the packed tarball of this version').to.include(`tfjs-compress-${version}.tgz`);
    const blocks = readmeBlocks(readme);
    expect(blocks.filter((b) => b.language === 'ts').length).to.be.at.least(2);
    for (const b of blocks.filter((x) => x.action.kind === 'skip'))
      expect((b.action as { reason: string }).reason.length, `line ${b.line}`).to.be.greaterThan(10);
  });
});
