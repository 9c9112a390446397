// ort_profile.js — per-node times of one ONNX model on ONNX Runtime (CPU, onnxruntime-node) for
// layer_compare.py: runs the model with ORT's profiler on and prints the nodes of the timed runs.
'use strict';

const fs = require('fs');

const USAGE = `usage: node bench/ort_profile.js MODEL.onnx [--threads N] [--runs R] [--warmup W]
                    [--prefix /tmp/ortprof]

Same session options as ort_time.js (graphOptimizationLevel 'all', intraOpNumThreads N,
sequential), plus enableProfiling. Runs W warm-up and R timed runs on uniform random input in
[-1, 1) and prints one JSON line:
  {"runs": R, "run_ms": [..], "cpu_ms": .., "nodes": [{"name", "op", "in": [[dims]..], "out": [[dims]..],
                                         "us": [per timed run]}..]}
(cpu_ms: the process's CPU time per timed run, all threads: at 1 thread the latency without
the time other processes took the core) with the nodes in execution order (the order of the first timed run). The trace file ORT
writes is deleted afterwards. Defaults: --threads 1 --runs 20 --warmup 3.`;

function die(msg) {
  process.stderr.write(`ort_profile.js: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { threads: 1, runs: 20, warmup: 3, prefix: '/tmp/ortprof', model: null };
  for (let i = 0; i < argv.length; i++) {
    const o = argv[i];
    const num = () => {
      const v = argv[++i];
      if (v === undefined || !/^\d+$/.test(v)) die(`${o} wants an integer, got '${v}'`);
      return Number(v);
    };
    switch (o) {
      case '--threads': a.threads = num(); break;
      case '--runs': a.runs = num(); break;
      case '--warmup': a.warmup = num(); break;
      case '--prefix': a.prefix = argv[++i]; break;
      case '-h': case '--help': process.stdout.write(USAGE + '\n'); process.exit(0);
      default:
        if (o.startsWith('-') || a.model) die(`unexpected argument '${o}'\n${USAGE}`);
        a.model = o;
    }
  }
  if (!a.model) die(`missing MODEL.onnx\n${USAGE}`);
  if (a.runs < 1 || a.threads < 1) die('--runs and --threads must be >= 1');
  return a;
}

function shapes(list) {
  // [{"float": [1, 32, 112, 112]}, ...] -> [[1, 32, 112, 112], ...]
  return (list || []).map((t) => Object.values(t)[0] || []);
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    die(`cannot load onnxruntime-node (run bench/setup_ort.sh first): ${e.message}`);
  }
  const session = await ort.InferenceSession.create(a.model, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: a.threads,
    interOpNumThreads: 1, executionMode: 'sequential', enableProfiling: true,
    profileFilePrefix: `${a.prefix}_${process.pid}`,
  });
  const feeds = {};
  const meta = session.inputMetadata || [];
  for (let i = 0; i < session.inputNames.length; i++) {
    const dims = ((meta[i] || {}).shape || []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = dims.reduce((x, y) => x * y, 1);
    const data = new Float32Array(n);
    let s = 12345 + i; // a small LCG: the values do not matter for timing, only that they vary
    for (let k = 0; k < n; k++) { s = (s * 1103515245 + 12345) >>> 0; data[k] = s / 2147483648 - 1; }
    feeds[session.inputNames[i]] = new ort.Tensor('float32', data, dims);
  }
  for (let i = 0; i < a.warmup; i++) await session.run(feeds);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < a.runs; i++) await session.run(feeds);
  const cpu = process.cpuUsage(cpu0);
  if (session.release) await session.release(); // flushes and closes the trace file

  const dir = require('path').dirname(a.prefix);
  const base = require('path').basename(`${a.prefix}_${process.pid}`);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'));
  if (files.length !== 1) die(`expected one ORT trace ${base}*.json in ${dir}, found ${files.length}`);
  const file = `${dir}/${files[0]}`;
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);

  // Runs are the "model_run" session events; a node belongs to the run whose span holds it.
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .sort((x, y) => x.ts - y.ts);
  if (runs.length !== a.warmup + a.runs) die(`trace has ${runs.length} runs, expected ${a.warmup + a.runs}`);
  const timed = runs.slice(a.warmup);
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'))
    .sort((x, y) => x.ts - y.ts);
  const nodes = [];
  const index = new Map();
  timed.forEach((r, ri) => {
    for (const e of kernels) {
      if (e.ts < r.ts || e.ts > r.ts + r.dur) continue;
      const name = e.name.slice(0, -'_kernel_time'.length);
      let n = index.get(name);
      if (n === undefined) {
        if (ri > 0) continue; // a node that did not run in the first timed run
        n = { name, op: e.args.op_name, in: shapes(e.args.input_type_shape),
              out: shapes(e.args.output_type_shape), us: [] };
        index.set(name, n);
        nodes.push(n);
      }
      n.us.push(e.dur);
    }
  });
  process.stdout.write(JSON.stringify({ runs: a.runs, run_ms: timed.map((r) => r.dur / 1000),
    cpu_ms: (cpu.user + cpu.system) / 1000 / a.runs, nodes }) + '\n');
}

main().catch((e) => die(e && e.message ? e.message : String(e)));
