// The browser side of the deployment demo. Reads /models/manifest.json (which models, where,
// which weight format) and /models/samples.json (MNIST digits with labels), loads each model with
// stock TensorFlow.js, and measures download bytes, latency and predictions. Results are written
// to the page and to window.__results (read by the headless-browser test).
/* global tf */
'use strict';

const $ = (sel) => document.querySelector(sel);

async function fetchModel(entry) {
  // Download model.json and its weight files ourselves, so the bytes are counted exactly.
  const base = `/models/${entry.path}/`;
  const jsonRes = await fetch(base + 'model.json');
  if (!jsonRes.ok) throw new Error(`model.json of ${entry.key}: HTTP ${jsonRes.status}`);
  const jsonText = await jsonRes.text();
  const modelJson = JSON.parse(jsonText);
  let bytes = new TextEncoder().encode(jsonText).length;
  const buffers = [];
  const specs = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) {
      const res = await fetch(base + p);
      if (!res.ok) throw new Error(`${p} of ${entry.key}: HTTP ${res.status}`);
      const buf = await res.arrayBuffer();
      bytes += buf.byteLength;
      buffers.push(buf);
    }
    specs.push(...group.weights);
  }
  const total = buffers.reduce((a, b) => a + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) { weightData.set(new Uint8Array(b), off); off += b.byteLength; }
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData: weightData.buffer }));
  const quantized = specs.some((s) => s.quantization);
  return { model, bytes, format: quantized ? specs.find((s) => s.quantization).quantization.dtype + ' quantized' : 'float32' };
}

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function timeIt(fn, runs) {
  // Browsers coarsen performance.now() (0.1 ms or worse), so each sample times enough
  // back-to-back calls to last about 2 ms and reports the mean per call.
  for (let i = 0; i < 5; i++) fn();
  const t0 = performance.now();
  fn();
  const once = Math.max(performance.now() - t0, 0.01);
  const inner = Math.max(1, Math.min(200, Math.ceil(2 / once)));
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    for (let k = 0; k < inner; k++) fn();
    times.push((performance.now() - start) / inner);
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p90: quantile(times, 0.9) };
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

async function main() {
  const params = new URLSearchParams(location.search);
  const wanted = params.get('backend');
  if (wanted) await tf.setBackend(wanted);
  else if (!(await tf.setBackend('webgl').catch(() => false))) await tf.setBackend('cpu');
  await tf.ready();
  const manifest = await (await fetch('/models/manifest.json')).json();
  const samples = await (await fetch('/models/samples.json')).json();
  const n = samples.labels.length;
  const x = tf.tidy(() => tf.tensor2d(samples.images.flat(), [n, 784]).div(255));
  const results = { backend: tf.getBackend(), tfjs: tf.version.tfjs, userAgent: navigator.userAgent, models: [] };
  for (const entry of manifest.models) {
    $('#status').textContent = `loading ${entry.label}…`;
    const t0 = performance.now();
    const { model, bytes, format } = await fetchModel(entry);
    const loadMs = performance.now() - t0;
    const one = x.slice([0, 0], [1, 784]);
    const b32 = x.slice([0, 0], [Math.min(32, n), 784]);
    const l1 = timeIt(() => tf.tidy(() => model.predict(one).dataSync()), 50);
    const l32 = timeIt(() => tf.tidy(() => model.predict(b32).dataSync()), 20);
    one.dispose();
    b32.dispose();
    const predicted = tf.tidy(() => Array.from(model.predict(x).argMax(1).dataSync()));
    const correct = predicted.filter((p, i) => p === samples.labels[i]).length;
    results.models.push({ key: entry.key, label: entry.label, note: entry.note || '', format, downloadBytes: bytes, loadMs,
      p50Batch1Ms: l1.p50, p90Batch1Ms: l1.p90, p50Batch32Ms: l32.p50, sampleAccuracy: correct / n, samples: n, predicted });
    model.dispose();
  }
  x.dispose();
  const body = $('#summary tbody');
  for (const m of results.models) {
    const tr = document.createElement('tr');
    tr.className = 'model-row';
    tr.innerHTML = `<td>${m.label}${m.note ? ` <span class="muted">(${m.note})</span>` : ''}</td><td>${m.format}</td><td class="bytes">${m.downloadBytes.toLocaleString('en')}</td>` +
      `<td class="p50">${m.p50Batch1Ms.toFixed(3)}</td><td>${m.p90Batch1Ms.toFixed(3)}</td><td>${m.p50Batch32Ms.toFixed(3)}</td><td>${(m.sampleAccuracy * 100).toFixed(1)}% of ${m.samples}</td>`;
    body.appendChild(tr);
  }
  const shown = Math.min(16, n);
  for (let i = 0; i < shown; i++) {
    const div = document.createElement('div');
    div.className = 'digit';
    const canvas = document.createElement('canvas');
    canvas.width = 28;
    canvas.height = 28;
    drawDigit(canvas, samples.images[i]);
    div.appendChild(canvas);
    const lines = results.models.map((m) => {
      const p = m.predicted[i];
      return `<span class="${p === samples.labels[i] ? '' : 'wrong'}">${m.key}: ${p}</span>`;
    });
    div.insertAdjacentHTML('beforeend', `true ${samples.labels[i]}<br>${lines.join('<br>')}`);
    $('#digits').appendChild(div);
  }
  $('#env').textContent = `TensorFlow.js ${results.tfjs}, backend ${results.backend}; ${results.userAgent}`;
  $('#status').textContent = `done: ${results.models.length} models measured on the ${results.backend} backend`;
  results.done = true;
  window.__results = results;
}

main().catch((e) => {
  $('#status').textContent = `error: ${e && e.message ? e.message : e}`;
  $('#status').className = 'error';
  window.__results = { done: true, error: String(e && e.message ? e.message : e) };
});
