// The browser side of the deployment demo. Reads /models/manifest.json (which models, their
// files and runtime) and /models/samples.json (MNIST digits with labels); downloads each model's
// files itself (so the bytes are counted exactly), builds it (TensorFlow.js; a Deep Compression
// file is decoded here first; ONNX models go to onnxruntime-web), measures latency in interleaved
// rounds after a warm-up, and predicts the digits. Every speed-up is against the model's own
// reference (manifest: `reference`, `change`), so each names one change: INT8 against fp32 in the
// same runtime, or the runtime switch at the same precision. Results go to the page and to window.__results
// (read by the headless-browser test). Query: ?backend=wasm|cpu|webgl (tfjs; default wasm), ?rounds=N.
/* global tf */
import { decodeDeepCompression, weightData } from './dc-decoder.mjs';
import { interleavedRounds, summarize } from './timing.mjs';

const $ = (sel) => document.querySelector(sel);
const params = new URLSearchParams(location.search);
const BATCHES = [1, 32];

async function download(url, counted) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  counted[url.split('/').pop()] = bytes.byteLength;
  return bytes;
}
const text = (bytes) => new TextDecoder().decode(bytes);

/** Downloads and builds one model; returns {run(batch), predict(all), files, dispose}. */
async function loadModel(entry, ort, inputs, n, px) {
  const base = `/models/${entry.path}/`;
  const files = {};
  if (entry.runtime === 'onnxruntime-web') {
    const bytes = await download(base + 'model.onnx', files);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const shape = entry.inputShape;
    const feed = (b) => ({ [entry.inputName]: new ort.Tensor('float32', inputs.slice(0, b * px), [b, ...shape]) });
    const feeds = Object.fromEntries(BATCHES.map((b) => [b, feed(b)]));
    const run = async (feeds1) => {
      const out = await session.run(feeds1);
      const t = out[entry.outputName];
      const data = t.data;
      if (t.dispose) t.dispose();
      return data;
    };
    return { files, run: (b) => run(feeds[b]), predict: () => run(feed(n)), dispose: () => session.release() };
  }
  const modelJson = JSON.parse(text(await download(base + 'model.json', files)));
  let specs;
  let data;
  if (entry.kind === 'tfjs-deep-compression') {
    specs = modelJson.weightSpecs;
    data = weightData(specs, decodeDeepCompression(await download(base + modelJson.weightsFile, files)));
  } else {
    specs = modelJson.weightsManifest.flatMap((g) => g.weights);
    const parts = [];
    for (const g of modelJson.weightsManifest) for (const p of g.paths) parts.push(await download(base + p, files));
    const all = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
    parts.reduce((off, p) => { all.set(p, off); return off + p.byteLength; }, 0);
    data = all.buffer;
  }
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData: data }));
  const shape = model.inputs[0].shape.slice(1);
  const xs = Object.fromEntries(BATCHES.map((b) => [b, tf.tensor(inputs.slice(0, b * px), [b, ...shape])]));
  const run = (x) => {
    const y = model.predict(x);
    const out = y.dataSync();
    y.dispose();
    return out;
  };
  return {
    files,
    shapes: JSON.stringify(specs.map((s) => s.shape)),
    run: (b) => run(xs[b]),
    predict: () => tf.tidy(() => run(tf.tensor(inputs, [n, ...shape]))),
    dispose: () => { Object.values(xs).forEach((x) => x.dispose()); model.dispose(); },
  };
}

function argmaxRows(values, rows) {
  const classes = values.length / rows;
  return Array.from({ length: rows }, (_, i) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[i * classes + c] > values[i * classes + best]) best = c;
    return best;
  });
}

function drawDigit(canvas, pixels) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = 255 - pixels[i];
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const cell = (html, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;

function render(results, samples) {
  const body = $('#summary tbody');
  for (const m of results.models) {
    const tr = document.createElement('tr');
    tr.className = 'model-row';
    tr.dataset.key = m.key;
    const dense = m.denseFileBytes ? `<br><span class="muted">dense files: ${m.denseFileBytes.toLocaleString('en')}</span>` : '';
    const vs = m.reference ? `${m.change}<br><span class="muted">vs ${results.models.find((r) => r.key === m.reference).label}</span>` : 'the baseline';
    tr.innerHTML = cell(`${m.label}${m.note ? `<br><span class="muted">${m.note}</span>` : ''}`) + cell(m.runtime) + cell(m.format) + cell(vs) +
      cell(`${m.downloadBytes.toLocaleString('en')}${dense}`, 'bytes') + cell(fmt(m.p50Batch1Ms), 'p50') + cell(fmt(m.p90Batch1Ms)) + cell(`×${fmt(m.speedupBatch1, 2)}`) +
      cell(fmt(m.p50Batch32Ms)) + cell(fmt(m.p90Batch32Ms)) + cell(`×${fmt(m.speedupBatch32, 2)}`) + cell(`${(m.sampleAccuracy * 100).toFixed(1)}% of ${m.samples}`);
    body.appendChild(tr);
  }
  const rounds = $('#rounds tbody');
  for (const r of results.rounds) {
    const tr = document.createElement('tr');
    tr.innerHTML = cell(String(r.round + 1)) + cell(String(r.batch)) + cell(r.order.join(' → ')) + results.models.map((m) => cell(fmt(r.ms[m.key], 4))).join('');
    rounds.appendChild(tr);
  }
  $('#rounds thead tr').insertAdjacentHTML('beforeend', results.models.map((m) => `<th>${m.key} (ms)</th>`).join(''));
  for (let i = 0; i < Math.min(16, samples.labels.length); i++) {
    const div = document.createElement('div');
    div.className = 'digit';
    const canvas = document.createElement('canvas');
    canvas.width = 28;
    canvas.height = 28;
    drawDigit(canvas, samples.images[i]);
    div.appendChild(canvas);
    const lines = results.models.map((m) => `<span class="${m.predicted[i] === samples.labels[i] ? '' : 'wrong'}">${m.key}: ${m.predicted[i]}</span>`);
    div.insertAdjacentHTML('beforeend', `true ${samples.labels[i]}<br>${lines.join('<br>')}`);
    $('#digits').appendChild(div);
  }
}

async function main() {
  const wanted = params.get('backend') || 'wasm';
  const rounds = Number(params.get('rounds') || 60);
  if (wanted === 'wasm') tf.wasm.setWasmPaths('/tfjs-backend-wasm/');
  if (!(await tf.setBackend(wanted))) throw new Error(`the tfjs backend "${wanted}" did not initialize`);
  await tf.ready();
  const ort = await import('/ort/ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1; // no cross-origin isolation here: both runtimes use one thread
  const manifest = await (await fetch('/models/manifest.json')).json();
  const samples = await (await fetch('/models/samples.json')).json();
  const n = samples.labels.length;
  const px = samples.images[0].length;
  const inputs = Float32Array.from(samples.images.flat(), (v) => v / 255);
  const loaded = [];
  for (const entry of manifest.models) {
    $('#status').textContent = `loading ${entry.label}…`;
    const t0 = performance.now();
    const m = await loadModel(entry, ort, inputs, n, px);
    loaded.push({ entry, m, loadMs: performance.now() - t0 });
  }
  const warmupRounds = 2;
  $('#status').textContent = `measuring: ${warmupRounds} warm-up rounds, then ${rounds} interleaved rounds…`;
  const measured = await interleavedRounds(loaded.map(({ entry, m }) => ({ key: entry.key, run: m.run })), {
    batches: BATCHES, rounds, warmupRounds, targetMs: Number(params.get('sampleMs') || 5),
    onRound: (r) => { $('#status').textContent = r < 0 ? 'warming up…' : `round ${r + 1} of ${rounds}…`; },
  });
  const models = [];
  for (const { entry, m, loadMs } of loaded) {
    const [s1, s32] = BATCHES.map((b) => summarize(measured, entry.key, b));
    const outputs = Array.from(await m.predict());
    const predicted = argmaxRows(outputs, n);
    const bytes = Object.values(m.files).reduce((a, b) => a + b, 0);
    models.push({ key: entry.key, label: entry.label, note: entry.note, reference: entry.reference, change: entry.change, kind: entry.kind, runtime: entry.runtime, format: entry.format, downloadBytes: bytes, files: m.files,
      denseFileBytes: entry.denseFileBytes, loadMs, p50Batch1Ms: s1.p50, p90Batch1Ms: s1.p90, p50Batch32Ms: s32.p50, p90Batch32Ms: s32.p90, minBatch1Ms: s1.min, minBatch32Ms: s32.min,
      firstInRoundRatio: (s1.firstInRoundRatio + s32.firstInRoundRatio) / 2, sampleAccuracy: predicted.filter((p, i) => p === samples.labels[i]).length / n, samples: n, predicted, outputs });
    await m.dispose();
  }
  // Each model against its reference (the baseline against itself: 1).
  for (const m of models) {
    const ref = models.find((r) => r.key === m.reference) || models[0];
    m.speedupBatch1 = ref.p50Batch1Ms / m.p50Batch1Ms;
    m.speedupBatch32 = ref.p50Batch32Ms / m.p50Batch32Ms;
  }
  // The pruned model decoded to dense weights does the baseline's arithmetic in the same runtime:
  // their ratio is what noise alone does to a ratio on this page.
  const twin = loaded.findIndex(({ entry, m }, i) => i > 0 && entry.runtime === 'tfjs' && loaded[0].entry.runtime === 'tfjs' && m.shapes === loaded[0].m.shapes && (entry.reference || loaded[0].entry.key) === loaded[0].entry.key);
  const sameArithmeticRatio = twin > 0 ? { key: models[twin].key, batch1: models[twin].speedupBatch1, batch32: models[twin].speedupBatch32 } : undefined;
  const results = { backend: tf.getBackend(), tfjs: tf.version.tfjs, ort: ort.env.versions ? ort.env.versions.web : '', userAgent: navigator.userAgent,
    threads: { tfjs: 1, ort: ort.env.wasm.numThreads }, warmupRounds, rounds: measured, models, sameArithmeticRatio };
  render(results, samples);
  // One line per change, the quantization first: each ratio compares two models that differ in that change only.
  const lines = models.filter((m) => m.reference).sort((a, b) => Number(/quantization/.test(b.change)) - Number(/quantization/.test(a.change)))
    .map((m) => `${m.change}: ×${fmt(m.speedupBatch1, 2)} at batch 1, ×${fmt(m.speedupBatch32, 2)} at batch 32 (${m.label} vs ${models.find((r) => r.key === m.reference).label}).`);
  $('#speedup').textContent = lines.length
    ? `${lines.join(' ')} Medians of ${rounds} interleaved rounds after ${warmupRounds} warm-up rounds; TensorFlow.js on ${results.backend}.`
    : 'one model only: nothing to compare';
  if (sameArithmeticRatio) {
    $('#speedup').insertAdjacentHTML('afterend', `<p class="muted" id="noise">${models[twin].label} does the same arithmetic as ${models[0].label} ` +
      `in the same runtime: their ratio, ×${fmt(sameArithmeticRatio.batch1, 2)} at batch 1 and ×${fmt(sameArithmeticRatio.batch32, 2)} at batch 32, is what this page's measurement noise alone gives.</p>`);
  }
  $('#env').textContent = `TensorFlow.js ${results.tfjs} (${results.backend}), onnxruntime-web ${results.ort}, one thread each (page not cross-origin isolated); ${results.userAgent}`;
  $('#status').textContent = `done: ${models.length} models measured`;
  results.done = true;
  window.__results = results;
}

main().catch((e) => {
  $('#status').textContent = `error: ${e && e.message ? e.message : e}`;
  $('#status').className = 'error';
  window.__results = { done: true, error: String(e && e.message ? e.message : e) };
});
