// ort_time.js — times one ONNX model on ONNX Runtime (CPU, onnxruntime-node) the way compare_ort.py
// needs it: fixed thread counts, warm-up, R timed runs, one JSON line with median/min/p90 in ms.
'use strict';

const fs = require('fs');
const path = require('path');

const USAGE = `usage: node bench/ort_time.js MODEL.onnx [--threads N] [--runs R] [--warmup W]
                    [--input [NAME=]x.npy] [--output y.npy] [--seed S] [--times]

Creates an ONNX Runtime session (graphOptimizationLevel 'all', intraOpNumThreads N,
interOpNumThreads 1, executionMode 'sequential', CPU execution provider), feeds the model's
float32 input from x.npy (else uniform random in [-1, 1) from --seed; symbolic dims become 1),
runs W warm-up and R timed runs, and prints one JSON line:
  {"runtime":"onnxruntime","version":..,"model":..,"threads":N,"runs":R,"warmup":W,
   "median_ms":..,"min_ms":..,"p90_ms":..,"mean_ms":..,"cpu_ms":..,"load_ms":..,"input_shape":[..]}
cpu_ms is the process's CPU time per timed run (all threads, including ORT's spinning workers).
--output writes the first output of the last run as float32 .npy; --times adds "times_ms".
Defaults: --threads 1 --runs 10 --warmup 3 --seed 0.
The median is the upper middle element (times[floor(R/2)] of the sorted times), as dlfusion prints.`;

function die(msg) {
  process.stderr.write(`ort_time.js: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { threads: 1, runs: 10, warmup: 3, seed: 0, input: null, inputName: null,
              output: null, times: false, model: null };
  const intOpt = (name, v, min) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) die(`${name} wants an integer >= ${min}, got '${v}'`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const o = argv[i];
    switch (o) {
      case '--threads': a.threads = intOpt(o, argv[++i], 1); break;
      case '--runs': a.runs = intOpt(o, argv[++i], 1); break;
      case '--warmup': a.warmup = intOpt(o, argv[++i], 0); break;
      case '--seed': a.seed = intOpt(o, argv[++i], 0); break;
      case '--input': {
        const v = argv[++i];
        if (!v) die('--input wants [NAME=]FILE.npy');
        const eq = v.indexOf('=');
        // NAME=FILE only when the part before '=' does not look like a path
        if (eq > 0 && !v.slice(0, eq).includes('/')) { a.inputName = v.slice(0, eq); a.input = v.slice(eq + 1); }
        else a.input = v;
        break;
      }
      case '--output': a.output = argv[++i]; if (!a.output) die('--output wants FILE.npy'); break;
      case '--times': a.times = true; break;
      case '-h': case '--help': process.stdout.write(USAGE + '\n'); process.exit(0);
      default:
        if (o.startsWith('-')) die(`unknown option '${o}'\n${USAGE}`);
        if (a.model) die(`unexpected argument '${o}'`);
        a.model = o;
    }
  }
  if (!a.model) die(`missing MODEL.onnx\n${USAGE}`);
  return a;
}

// --- .npy (float32, C order, little-endian only: what numpy writes for np.float32 here) ---

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY')
    throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen, hstart;
  if (major === 1) { hlen = buf.readUInt16LE(8); hstart = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); hstart = 12; }
  else throw new Error(`${file}: unsupported .npy version ${major}`);
  if (hstart + hlen > buf.length) throw new Error(`${file}: header runs past the end of the file`);
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${file}: cannot parse header ${header.trim()}`);
  if (descr[1] !== '<f4') throw new Error(`${file}: dtype '${descr[1]}' (only float32 '<f4' is supported)`);
  if (fortran[1] !== 'False') throw new Error(`${file}: Fortran order is not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`${file}: bad shape (${shape[1]})`);
  const n = dims.reduce((x, y) => x * y, 1);
  const off = hstart + hlen;
  if (buf.length - off !== n * 4)
    throw new Error(`${file}: ${buf.length - off} data bytes, shape [${dims}] needs ${n * 4}`);
  // copy: the data offset need not be 4-byte aligned for a Float32Array view
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(off + 4 * i);
  return { dims, data };
}

function writeNpy(file, dims, data) {
  const shapeStr = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // numpy pads the header with spaces so the data starts at a multiple of 64, ending in '\n'
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93; pre.write('NUMPY', 1, 'latin1'); pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], 4 * i);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// SplitMix64 in BigInt: deterministic random inputs (a cheap generator is plenty here)
function randomFloats(n, seed) {
  const M = (1n << 64n) - 1n;
  let s = BigInt(seed) & M;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x9E3779B97F4A7C15n) & M;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & M;
    z ^= z >> 31n;
    out[i] = Number(z >> 40n) / 16777216 * 2 - 1;
  }
  return out;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function main() {
  const a = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    die(`cannot load onnxruntime-node (run bench/setup_ort.sh first): ${e.message}`);
  }
  const version = require(path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'package.json')).version;

  const opts = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  const t0 = nowMs();
  const session = await ort.InferenceSession.create(a.model, opts);
  const loadMs = nowMs() - t0;

  const meta = session.inputMetadata || [];
  if (session.inputNames.length !== 1 && !a.inputName && a.input)
    die(`the model has ${session.inputNames.length} inputs; name the one --input is for (NAME=FILE)`);
  const feeds = {};
  let inputShape = null;
  for (let i = 0; i < session.inputNames.length; i++) {
    const name = session.inputNames[i];
    const m = meta[i] || {};
    if (m.isTensor === false) die(`input '${name}' is not a tensor`);
    if (m.type && m.type !== 'float32') die(`input '${name}' has type ${m.type}; only float32 inputs are supported`);
    let dims, data;
    if (a.input && (a.inputName ? a.inputName === name : i === 0)) {
      ({ dims, data } = readNpy(a.input));
    } else {
      dims = (m.shape || []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
      if (!dims.length) die(`input '${name}' has no known shape; give it with --input`);
      data = randomFloats(dims.reduce((x, y) => x * y, 1), a.seed + i);
    }
    if (i === 0) inputShape = dims;
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  if (a.inputName && !(a.inputName in feeds)) die(`the model has no input named '${a.inputName}'`);

  let result;
  for (let i = 0; i < a.warmup; i++) result = await session.run(feeds);
  const times = new Array(a.runs);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < a.runs; i++) {
    const s = nowMs();
    result = await session.run(feeds);
    times[i] = nowMs() - s;
  }
  const cpu = process.cpuUsage(cpu0);
  const sorted = times.slice().sort((x, y) => x - y);
  const n = sorted.length;
  const r3 = (x) => Math.round(x * 1000) / 1000;
  const report = {
    runtime: 'onnxruntime', version, model: a.model, threads: a.threads, runs: a.runs, warmup: a.warmup,
    median_ms: r3(sorted[Math.floor(n / 2)]),
    min_ms: r3(sorted[0]),
    p90_ms: r3(sorted[Math.max(0, Math.ceil(0.9 * n) - 1)]),
    mean_ms: r3(times.reduce((x, y) => x + y, 0) / n),
    // CPU time of the whole process per timed run (all threads; ORT's idle workers spin): with
    // --threads 1 it is the latency without the time other processes took the core away.
    cpu_ms: r3((cpu.user + cpu.system) / 1000 / a.runs),
    load_ms: r3(loadMs),
    input_shape: inputShape,
  };
  if (a.times) report.times_ms = times.map(r3);
  if (a.output) {
    const out = result[session.outputNames[0]];
    if (out.type !== 'float32') die(`output '${session.outputNames[0]}' is ${out.type}, not float32`);
    writeNpy(a.output, out.dims.map(Number), out.data);
  }
  process.stdout.write(JSON.stringify(report) + '\n');
  if (session.release) await session.release();
}

main().catch((e) => die(e && e.message ? e.message : String(e)));
