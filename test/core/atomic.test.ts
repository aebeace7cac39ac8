// Folders written as one unit: new, refused when they exist (atomically), replaced with force (other
// files kept when asked), undone on failure,
// and recovered after a crash (an interrupted replacement rolled back, dead writers' temps removed).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { ConfigError, DataError } from '../../lib/errors';
import { recoverFolder, writeFolderAtomic, writeFolderAtomicSync } from '../../lib/core/atomic';

const put =
  (files: Record<string, string>) =>
  (dir: string): void => {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  };
const read = (dir: string): Record<string, string> =>
  Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((n) => [n, fs.readFileSync(path.join(dir, n), 'utf8')]),
  );
/** The pid of a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number;

describe('core/atomic: writeFolderAtomic', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-folder-'));
  const hidden = () => fs.readdirSync(base).filter((n) => n.startsWith('.'));
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('writes a new folder, replaces it whole with force, and keeps only the files carryOver names', async () => {
    const dir = path.join(base, 'a');
    expect(
      await writeFolderAtomic(dir, async (tmp) => {
        put({ 'model.json': 'A', 'w.bin': 'a' })(tmp);
        return 7;
      }),
    ).to.equal(7);
    expect(read(dir)).to.deep.equal({ 'model.json': 'A', 'w.bin': 'a' });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    writeFolderAtomicSync(dir, put({ 'model.json': 'B', 'w2.bin': 'b' }), {
      force: true,
      carryOver: () => ['notes.txt', 'model.json'],
    });
    expect(read(dir)).to.deep.equal({ 'model.json': 'B', 'notes.txt': 'mine', 'w2.bin': 'b' });
    writeFolderAtomicSync(dir, put({ 'model.json': 'C' }), { force: true });
    expect(read(dir)).to.deep.equal({ 'model.json': 'C' });
    expect(hidden()).to.deep.equal([]);
  });

  it("refuses a folder that exists (without force), with the caller's error, and leaves it as it was", async () => {
    const dir = path.join(base, 'v1');
    writeFolderAtomicSync(dir, put({ 'model.json': 'first' }));
    expect(() => writeFolderAtomicSync(dir, put({ 'model.json': 'second' }), { caller: 'publishX' })).to.throw(
      ConfigError,
      /publishX: an output folder that does not exist yet, got .*v1, which exists\. .* pass --force/,
    );
    expect(() =>
      writeFolderAtomicSync(dir, put({ 'model.json': 'second' }), { onExists: () => new DataError('taken') }),
    ).to.throw(DataError, 'taken');
    expect(await writeFolderAtomic(dir, put({ 'model.json': 'second' })).catch((e: unknown) => e)).to.be.instanceOf(
      ConfigError,
    );
    expect(read(dir)).to.deep.equal({ 'model.json': 'first' });
    const empty = path.join(base, 'v2');
    fs.mkdirSync(empty);
    writeFolderAtomicSync(empty, put({ 'model.json': 'x' })); // an empty folder is free
    expect(read(empty)).to.deep.equal({ 'model.json': 'x' });
    expect(hidden()).to.deep.equal([]);
  });

  it('a failing fill leaves the old folder and no temporary folder; typed errors pass through', async () => {
    const dir = path.join(base, 'b');
    writeFolderAtomicSync(dir, put({ 'model.json': 'old' }));
    expect(() =>
      writeFolderAtomicSync(
        dir,
        (tmp) => {
          put({ 'model.json': 'half' })(tmp);
          throw new ConfigError('stop');
        },
        { force: true },
      ),
    ).to.throw(ConfigError, 'stop');
    expect(() =>
      writeFolderAtomicSync(
        dir,
        (tmp) => {
          fs.writeFileSync(path.join(tmp, 'no', 'such'), 'x');
        },
        { force: true },
      ),
    ).to.throw(DataError, /the folder .*b written, got ENOENT .* is unchanged/);
    expect(
      await writeFolderAtomic(
        dir,
        async () => {
          throw new ConfigError('async stop');
        },
        { force: true },
      ).catch((e: unknown) => (e as Error).message),
    ).to.equal('async stop');
    expect(read(dir)).to.deep.equal({ 'model.json': 'old' });
    expect(hidden()).to.deep.equal([]);
  });

  it('refuses a file in the way, a parent that is a file, and sub-folders it would have to carry', () => {
    fs.writeFileSync(path.join(base, 'file'), 'x');
    expect(() => writeFolderAtomicSync(path.join(base, 'file'), put({ a: '1' }), { force: true })).to.throw(
      ConfigError,
      /a folder \(or nothing\) at .*file, got a file/,
    );
    expect(() => writeFolderAtomicSync(path.join(base, 'file'), put({ a: '1' }))).to.throw(ConfigError, /which exists/);
    expect(() => writeFolderAtomicSync(path.join(base, 'file', 'sub'), put({ a: '1' }))).to.throw(
      DataError,
      /a folder .* at .*file, got (ENOTDIR|EEXIST)/,
    );
    const dir = path.join(base, 'c');
    writeFolderAtomicSync(dir, put({ a: '1' }));
    fs.mkdirSync(path.join(dir, 'nested'));
    expect(() => writeFolderAtomicSync(dir, put({ a: '2' }), { force: true, carryOver: () => ['nested'] })).to.throw(
      ConfigError,
      /a folder holding files only, got the sub-folder/,
    );
    expect(fs.readFileSync(path.join(dir, 'a'), 'utf8')).to.equal('1');
    expect(hidden()).to.deep.equal([]);
  });

  it('recovers what a killed writer left: the old folder back when the target is missing, dead temps removed, live ones kept', () => {
    const dir = path.join(base, 'd');
    const dead = deadPid();
    fs.mkdirSync(path.join(base, `.d.old-${dead}-0-aa11`));
    fs.writeFileSync(path.join(base, `.d.old-${dead}-0-aa11`, 'model.json'), 'committed');
    fs.mkdirSync(path.join(base, `.d.tmp-${dead}-0-bb22`));
    fs.mkdirSync(path.join(base, `.d.tmp-${process.pid}-0-cc33`)); // this process: a writer in flight
    fs.mkdirSync(path.join(base, `.dd.tmp-${dead}-0-dd44`)); // a sibling's, dead: removed too
    fs.mkdirSync(path.join(base, `.e.old-${dead}-0-ff66`)); // a sibling's interrupted replacement: restored
    expect(recoverFolder(dir)).to.equal(true);
    expect(read(dir)).to.deep.equal({ 'model.json': 'committed' });
    expect(fs.existsSync(path.join(base, 'e'))).to.equal(true);
    expect(hidden().sort()).to.deep.equal([`.d.tmp-${process.pid}-0-cc33`]);
    // With the target present, a dead writer's old folder is only removed.
    fs.mkdirSync(path.join(base, `.d.old-${dead}-0-ee55`));
    expect(recoverFolder(dir)).to.equal(false);
    expect(read(dir)).to.deep.equal({ 'model.json': 'committed' });
    expect(hidden()).to.not.include(`.d.old-${dead}-0-ee55`);
    fs.rmSync(path.join(base, `.d.tmp-${process.pid}-0-cc33`), { recursive: true });
  });
});
