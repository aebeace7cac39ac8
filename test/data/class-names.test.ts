// Layouts and class names as users bring them: a flat folder of calibration images, one class
// folder, many; Keras' class_names order; a labels.txt or a JSON array shipped with a converted
// model (whose order is the model's output order, not the alphabet); folders that do not match.
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { loadImageFolder } from '../../lib/data/image-folder';
import { imageFolderIndex } from '../../lib/data/folder-index';
import { loadDataFiles } from '../../lib/data/data-files';
import { parseLabelsFile, readLabelsFile } from '../../lib/data/class-names';
import { ConfigError, DataError } from '../../lib/errors';
import { png, pngs, rejection, tmpDir, writeTree } from './images';

/** A folder with one subfolder per name; class k's images have red value 10 * (k + 1) (k in sorted order). */
async function classFolder(names: readonly string[], perClass = 2): Promise<string> {
  const files: Record<string, Buffer> = {};
  for (const [k, n] of [...names].sort().entries())
    for (let i = 0; i < perClass; i++) files[`${n}/${i}.png`] = await png(2, 2, () => [10 * (k + 1), i, 0]);
  return writeTree(files);
}

describe('data/class-names and folder layouts', function () {
  this.timeout(60000);

  it('a flat folder is unlabelled data; one class folder and many class folders are labelled', async () => {
    const flat = writeTree(await pngs(5));
    const index = await imageFolderIndex(flat);
    expect([index.layout, index.classNames, index.entries.length]).to.deep.equal(['flat', [], 5]);
    expect(index.entries.every((e) => e.label === undefined)).to.equal(true);
    const set = await loadImageFolder(flat, { height: 2, width: 2 });
    expect([set.count, set.labelled, set.classNames]).to.deep.equal([5, false, []]);

    const one = await loadImageFolder(await classFolder(['only']), { height: 2, width: 2 });
    expect([one.count, one.labelled, one.classNames, Array.from(one.labels)]).to.deep.equal([
      2,
      undefined,
      ['only'],
      [0, 0],
    ]);
    const many = await imageFolderIndex(await classFolder(['b', 'a', 'c']));
    expect([many.layout, many.classNames]).to.deep.equal(['classes', ['a', 'b', 'c']]);
  });

  it('classNames sets label i = names[i] (Keras class_names), not the alphabet', async () => {
    const dir = await classFolder(['cat', 'dog', 'bird']); // sorted: bird 10, cat 20, dog 30
    const set = await loadImageFolder(dir, { height: 2, width: 2, classNames: ['dog', 'cat', 'bird'] });
    expect(set.classNames).to.deep.equal(['dog', 'cat', 'bird']);
    for (let k = 0; k < set.count; k++) {
      const red = set.images[k * 12] as number;
      expect(set.classNames[set.labels[k] as number], `red ${red}`).to.equal({ 10: 'bird', 20: 'cat', 30: 'dog' }[red]);
    }
  });

  it('a labels file (labels.txt, one per line; or a JSON array) orders the classes; subfolders may be fewer', async () => {
    const dir = await classFolder(['cat', 'dog']);
    const txt = path.join(tmpDir(), 'labels.txt');
    fs.writeFileSync(txt, '\uFEFFbackground\r\ndog\r\n  cat  \r\nfish\r\n');
    expect(await readLabelsFile(txt)).to.deep.equal(['background', 'dog', 'cat', 'fish']);
    const set = await loadImageFolder(dir, { height: 2, width: 2, labelsFile: txt });
    expect(set.classNames).to.deep.equal(['background', 'dog', 'cat', 'fish']);
    const labelOfRed = new Map(Array.from({ length: set.count }, (_, k) => [set.images[k * 12], set.labels[k]]));
    expect(Object.fromEntries(labelOfRed)).to.deep.equal({ 10: 2, 20: 1 }); // cat (sorted first) = 2, dog = 1
    const json = path.join(tmpDir(), 'labels.json');
    fs.writeFileSync(json, JSON.stringify(['dog', 'cat']));
    expect((await loadImageFolder(dir, { height: 2, width: 2, labelsFile: json })).classNames).to.deep.equal([
      'dog',
      'cat',
    ]);
    const data = await loadDataFiles(dir, { inputShape: [2, 2, 3], labelsFile: txt });
    expect(data.classNames).to.deep.equal(['background', 'dog', 'cat', 'fish']);
    expect(data.paths).to.deep.equal([dir, txt]);
  });

  it('1,000 class names (ImageNet-style labels.txt) label with 16-bit labels', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `class ${i}`);
    const dir = writeTree({
      'class 999/a.png': await png(2, 2, () => [1, 2, 3]),
      'class 3/b.png': await png(2, 2, () => [4, 5, 6]),
    });
    const set = await loadImageFolder(dir, { height: 2, width: 2, classNames: names });
    expect(set.labels).to.be.instanceOf(Uint16Array);
    expect(Array.from(set.labels).sort((a, b) => a - b)).to.deep.equal([3, 999]);
  });

  it('subfolders that are not among the names are a DataError naming them (and the names without a folder)', async () => {
    const dir = await classFolder(['cat', 'dgo']);
    const e = await rejection(loadImageFolder(dir, { height: 2, width: 2, classNames: ['cat', 'dog'] }));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/got 1 that are not: "dgo" \(names without a subfolder: "dog"\)\. Rename or move/);
  });

  it('bad class names and labels files are typed errors saying what to fix', async () => {
    const dir = await classFolder(['a']);
    const cases: [unknown, RegExp][] = [
      [[], /a list of 1 to 65536 class names/],
      [['a', 'a'], /distinct names, got "a" at indices 0 and 1/],
      [['a', ''], /non-empty names .* at index 1/],
      [['a', 7], /non-empty names/],
      ['a', /a list of 1 to 65536/],
    ];
    for (const [names, re] of cases) {
      const e = await rejection(loadImageFolder(dir, { height: 2, width: 2, classNames: names as string[] }));
      expect(e, String(names)).to.be.instanceOf(ConfigError);
      expect(e.message).to.match(re);
    }
    const file = path.join(tmpDir(), 'labels.txt');
    fs.writeFileSync(file, 'a\n\nb\n');
    expect(() => parseLabelsFile('a\n\nb\n', file, 'f')).to.throw(DataError, /an empty line 2/);
    expect(await rejection(loadImageFolder(dir, { height: 2, width: 2, labelsFile: file }))).to.be.instanceOf(
      DataError,
    );
    expect(() => parseLabelsFile('["a", 1]', 'l.json', 'f')).to.throw(DataError, /non-empty names/);
    expect(() => parseLabelsFile('[' + '['.repeat(200000), 'l.json', 'f')).to.throw(
      DataError,
      /JSON array of class names/,
    );
    expect(
      await rejection(loadImageFolder(dir, { height: 2, width: 2, labelsFile: file, classNames: ['a'] })),
    ).to.be.instanceOf(ConfigError);
    expect((await rejection(readLabelsFile(path.join(dir, 'nope.txt')))).message).to.match(/a labels file at .*ENOENT/);
  });

  it('a folder holding both loose images and subfolders is refused (which is meant is unclear)', async () => {
    const dir = writeTree({
      'a.png': await png(2, 2, () => [1, 1, 1]),
      'cats/b.png': await png(2, 2, () => [1, 1, 1]),
    });
    const e = await rejection(loadImageFolder(dir, { height: 2, width: 2 }));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(
      /either images directly in .* or one subfolder per class, got both \(1 images and the subfolders cats\)/,
    );
  });

  it('requireLabels refuses a flat folder before reading any image (a corrupt one is never reached)', async () => {
    const dir = writeTree({ ...(await pngs(3)), 'broken.png': 'not a png at all' });
    const e = await rejection(loadDataFiles(dir, { inputShape: [2, 2, 3], requireLabels: true }));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(
      /labelled images \(one subfolder per class\) in .*, got 4 images directly in the folder, without labels/,
    );
    // Without requireLabels the same folder is read, and the corrupt file is found.
    expect((await rejection(loadDataFiles(dir, { inputShape: [2, 2, 3] }))).message).to.match(/broken\.png/);
  });
});
