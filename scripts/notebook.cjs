// Converts between a notebook and a plain TypeScript file in the "percent" format, so notebooks
// can be written and reviewed as text:
//   node scripts/notebook.cjs to-ipynb notebooks/src.ts notebooks/NN-name.ipynb
//   node scripts/notebook.cjs to-ts notebooks/NN-name.ipynb > draft.ts
// Cells start with `// %%` (code) or `// %% [markdown]` (markdown: each line prefixed `// `).
const fs = require('fs');
const [cmd, input, output] = process.argv.slice(2);

function toIpynb(text) {
  const cells = [];
  let cur = null;
  const flush = () => {
    if (!cur) return;
    while (cur.lines.length && cur.lines[cur.lines.length - 1].trim() === '') cur.lines.pop();
    while (cur.lines.length && cur.lines[0].trim() === '') cur.lines.shift();
    const src = cur.lines.map((l, i) => l + (i < cur.lines.length - 1 ? '\n' : ''));
    cells.push(cur.kind === 'markdown'
      ? { cell_type: 'markdown', metadata: {}, source: src }
      : { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: src });
  };
  for (const line of text.split('\n')) {
    const m = /^\/\/ %%( \[markdown\])?\s*$/.exec(line);
    if (m) { flush(); cur = { kind: m[1] ? 'markdown' : 'code', lines: [] }; continue; }
    if (!cur) continue;
    cur.lines.push(cur.kind === 'markdown' ? line.replace(/^\/\/ ?/, '') : line);
  }
  flush();
  return {
    cells,
    metadata: {
      kernelspec: { display_name: 'TypeScript (tslab)', language: 'typescript', name: 'tslab' },
      language_info: { codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true }, file_extension: '.ts', mimetype: 'text/typescript', name: 'typescript', version: '5.0' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

function toTs(nb) {
  return nb.cells.map((c) => {
    const src = Array.isArray(c.source) ? c.source.join('') : c.source;
    return c.cell_type === 'markdown'
      ? '// %% [markdown]\n' + src.split('\n').map((l) => ('// ' + l).trimEnd()).join('\n')
      : '// %%\n' + src;
  }).join('\n\n') + '\n';
}

if (cmd === 'to-ipynb' && input && output) {
  const nb = toIpynb(fs.readFileSync(input, 'utf8'));
  nb.cells.forEach((c, i) => { c.id = `cell-${i}`; });
  fs.writeFileSync(output, JSON.stringify(nb, null, 1) + '\n');
} else if (cmd === 'to-ts' && input) {
  process.stdout.write(toTs(JSON.parse(fs.readFileSync(input, 'utf8'))));
} else {
  console.error('usage: notebook.cjs to-ipynb SRC.ts OUT.ipynb | to-ts NB.ipynb');
  process.exit(2);
}
