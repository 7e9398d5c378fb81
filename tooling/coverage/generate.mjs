#!/usr/bin/env node
/**
 * Generates docs/coverage.md from the code: every PyTorch function, Tensor method and
 * property, module, optimizer and scheduler that stepwise implements, its stepwise
 * spelling, the backends where it runs and whether it has a backward, plus the common
 * PyTorch names (pytorch-common.txt) not covered yet.
 *
 *   node tooling/coverage/generate.mjs           # writes docs/coverage.md
 *   node tooling/coverage/generate.mjs --check   # fails if docs/coverage.md is not current
 *
 * It introspects the built packages (run `pnpm build` first): `torch.*`, `Tensor.prototype`,
 * `torch.nn.*`, `nn.functional`, `nn.init`, `nn.utils`, `optim`, `optim.lrScheduler`,
 * `optim.swaUtils`, `linalg`, `autograd`, `utils.data`. A stepwise name is matched to
 * PyTorch's by turning PyTorch's snake_case name into camelCase (plus EXCEPTIONS below)
 * and looking it up in pytorch-names.json (PyTorch's public names, written by
 * pytorch_names.py). "Runs on" is measured: each name is called on tiny inputs on every
 * backend (cpu-js, wasm-simd, and webgpu when an adapter exists), its outputs read back;
 * "backward" is measured too: the sum of its first float output is backpropagated, and it
 * counts when an input received a gradient. The call used for each name is the first of a
 * list of generic argument patterns that works on cpu-js, or an explicit recipe below.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const outFile = join(root, 'docs', 'coverage.md');
const load = (p) => import(pathToFileURL(join(root, p)).href);

const torch = await load('packages/core/dist/index.js');
const { cpuJs } = await load('packages/cpu-js/dist/index.js');
const { wasmSimd } = await load('packages/wasm-simd/dist/index.js');

// ---------------------------------------------------------------------------------------
// Backends.

const backends = [];
backends.push(cpuJs());
backends.push(await wasmSimd());
let webgpuNote = '';
if (process.env.STEPWISE_COVERAGE_WEBGPU !== '0') {
  try {
    const { webgpu } = await load('packages/webgpu/dist/index.js');
    backends.push(await webgpu());
  } catch (e) {
    webgpuNote = `webgpu was not probed (${String(e?.message ?? e).split('\n')[0]})`;
  }
} else {
  webgpuNote = 'webgpu was not probed (STEPWISE_COVERAGE_WEBGPU=0)';
}
for (const b of backends) torch.registerBackend(b);
const BACKEND_NAMES = ['cpu-js', 'wasm-simd', 'webgpu'];

// ---------------------------------------------------------------------------------------
// Names: PyTorch's, and the camelCase spelling stepwise gives them.

const pt = JSON.parse(readFileSync(join(here, 'pytorch-names.json'), 'utf8'));

/** PyTorch names whose stepwise spelling is not the plain camelCase of the name. */
const EXCEPTIONS = {
  torch: { set_printoptions: 'setPrintOptions' },
};

/** `log_softmax` → `logSoftmax`, `masked_fill_` → `maskedFill_`, `T_max` → `T_max`. */
function camel(name) {
  const trail = name.match(/_*$/)[0];
  const body = name.slice(0, name.length - trail.length);
  const parts = body.split('_');
  return (
    parts[0] +
    parts
      .slice(1)
      .map((p) => (p ? p[0].toUpperCase() + p.slice(1) : '_'))
      .join('') +
    trail
  );
}

function camelMap(ns) {
  const m = new Map();
  for (const n of pt.namespaces[ns] ?? []) m.set(EXCEPTIONS[ns]?.[n] ?? camel(n), n);
  return m;
}

// ---------------------------------------------------------------------------------------
// Inputs, made on the current backend for every probe.

const f32 = (data, grad = true) => torch.tensor(data, { dtype: 'float32', requiresGrad: grad });
function inputs() {
  torch.manualSeed(0);
  return {
    A: f32([
      [0.1, 0.2, 0.3],
      [0.4, 0.5, 0.6],
      [0.7, 0.8, 0.9],
    ]),
    B: f32([
      [0.9, 0.3, 0.5],
      [0.2, 0.6, 0.4],
      [0.8, 0.7, 0.25],
    ]),
    S: f32(0.5),
    V: f32([0.3, 0.6, 0.9]),
    X3: torch.rand([2, 3, 3]).requiresGrad_(),
    X4: torch.rand([2, 3, 4, 4]).requiresGrad_(),
    X34: torch.rand([2, 3, 4]).requiresGrad_(),
    W4: torch.rand([3, 3, 1, 1]).requiresGrad_(),
    W3: torch.rand([3, 3, 1]).requiresGrad_(),
    I: torch.tensor(
      [
        [0, 2, 1],
        [1, 0, 2],
        [2, 1, 0],
      ],
      { dtype: 'int32' },
    ),
    I1: torch.tensor([0, 2], { dtype: 'int32' }),
    T: torch.tensor([0, 2, 1], { dtype: 'int32' }),
    M: torch.tensor([
      [true, false, true],
      [false, true, false],
      [true, true, false],
    ]),
    P: f32(
      [
        [0.2, 0.5, 0.3],
        [0.6, 0.1, 0.3],
        [0.3, 0.3, 0.4],
      ],
      false,
    ),
    R: f32([0.5, 1, 1.5], false),
  };
}

function resolve(arg, inp) {
  if (typeof arg === 'string' && Object.hasOwn(inp, arg)) return inp[arg];
  if (Array.isArray(arg)) return arg.map((a) => resolve(a, inp));
  return arg;
}

// Generic argument patterns, tried in order (first element: the receiver of a method, or
// the first argument of a function).
const GENERIC = [
  ['A'],
  ['A', 'B'],
  ['A', 1],
  ['A', 0.5],
  ['A', -1],
  ['A', 0, 1],
  ['A', [1, 0]],
  ['A', 1, 'I'],
  ['A', 0, 'I1'],
  ['A', 1, 'I', 'B'],
  ['A', 'M', 0.5],
  ['A', 'M'],
  ['A', 'B', 'B'],
  ['A', 'B', 0.5],
  ['A', 0.2, 0.8],
  ['A', 'V'],
  ['A', 'I'],
  ['A', 3, 3],
  ['A', 9],
  ['A', 'int32'],
  ['A', ['M'], 0.5],
  ['A', 0, 0, 2],
  ['A', 0, 2, 1],
  ['A', 1, [3, 1]],
  ['S'],
  ['V'],
  ['V', 'V'],
  ['V', 'A'],
  ['P', 2],
  ['P'],
  ['X4'],
  ['I'],
  ['M'],
  ['M', 'M'],
  ['M', 'A', 'B'],
  [['A', 'B']],
  [[3, 3]],
  [3, 3],
  [3],
  [0, 1, 5],
  [[3], 0.5],
  [0, 5, [3]],
  [5, [3]],
  [0, 1, [3]],
  ['ij,jk->ik', 'A', 'B'],
  [[0.1, 0.2]],
];

// Explicit calls, where no generic pattern fits (or one would change global state).
const RECIPES = {
  torch: {
    manualSeed: [0],
    seed: [],
    setDefaultDtype: ['float32'],
    setGradEnabled: [true],
    setPrintOptions: [{}],
    noGrad: [() => 1],
    enableGrad: [() => 1],
    setRngState: (t) => t.setRngState(t.getRngState()),
    tensor: [[0.5, 1.5]],
    linspace: [0, 1, 5],
    logspace: [0, 1, 5],
    normal: [0, 1, [3]],
    arange: [5],
    zeros: [2, 3],
    ones: [2, 3],
    empty: [2, 3],
    full: [[2, 3], 0.5],
    eye: [3],
    rand: [2, 3],
    randn: [2, 3],
    randint: [0, 5, [3]],
    randperm: [5],
    where: ['M', 'A', 'B'],
    bmm: ['X3', 'X3'],
    baddbmm: ['X3', 'X3', 'X3'],
    reshape: ['A', [9]],
    save: ['A'],
    load: async (t, i) => t.load(await t.saveAsync({ a: i.A })),
  },
  Tensor: {
    backward: (_t, i) => i.A.mul(i.B).sum().backward(),
    registerHook: (_t, i) => i.A.registerHook((g) => g),
    item: ['S'],
    retainGrad: (_t, i) => i.A.mul(1).retainGrad(),
    to: ['A', 'int32'],
    type: ['A', 'int32'],
    data: ['A'],
    bmm: ['X3', 'X3'],
    baddbmm: ['X3', 'X3', 'X3'],
    indexPut_: ['A', ['I1'], 0.5],
    indexCopy_: (_t, i) => i.A.mul(1).indexCopy_(0, i.I1, i.B.narrow(0, 0, 2)),
  },
  'torch.nn.functional': {
    linear: ['A', 'B'],
    bilinear: ['A', 'A', 'X3'],
    conv1d: ['X3', 'W3'],
    conv2d: ['X4', 'W4'],
    convTranspose2d: ['X4', 'W4'],
    maxPool1d: ['X3', 2],
    avgPool1d: ['X3', 2],
    maxPool2d: ['X4', 2],
    maxPool2dWithIndices: ['X4', 2],
    avgPool2d: ['X4', 2],
    adaptiveAvgPool2d: ['X4', 1],
    layerNorm: ['A', [3]],
    groupNorm: ['X4', 1],
    batchNorm: ['X4', 'R', 'R'],
    embedding: ['I', 'A'],
    oneHot: ['T', 3],
    pad: ['A', [1, 1]],
    crossEntropy: ['A', 'T'],
    nllLoss: ['A', 'T'],
    binaryCrossEntropy: ['A', 'P'],
    binaryCrossEntropyWithLogits: ['A', 'P'],
    scaledDotProductAttention: ['X3', 'X3', 'X3'],
  },
  'torch.nn.init': {
    calculateGain: ['relu'],
  },
  'torch.nn.utils': {
    clipGradNorm_: (t, i) => {
      i.A.mul(i.B).sum().backward();
      t.nn.utils.clipGradNorm_([i.A], 1);
    },
    clipGradValue_: (t, i) => {
      i.A.mul(i.B).sum().backward();
      t.nn.utils.clipGradValue_([i.A], 0.1);
    },
    parametersToVector: [['A', 'B']],
    vectorToParameters: (t, i) => t.nn.utils.vectorToParameters(t.rand([18]), [i.A.detach(), i.B.detach()]),
  },
  'torch.autograd': {
    grad: (t, i) => {
      t.autograd.grad([i.A.mul(i.B).sum()], [i.A]);
    },
  },
  'torch.utils.data': {
    TensorDataset: (t, i) => new t.utils.data.TensorDataset(i.A, i.T).get(0),
    DataLoader: async (t, i) => {
      // Each batch is read inside the loop, as a training loop does (taking the next batch
      // is a loop boundary: see docs/memory.md).
      for (const [x, y] of new t.utils.data.DataLoader(new t.utils.data.TensorDataset(i.A, i.T), {
        batchSize: 2,
      })) {
        await x.data();
        await y.data();
      }
    },
  },
};

// Modules: constructor arguments, then forward arguments, tried in order.
const MODULE_CTOR = [[], [3], [3, 3], [3, 3, 1], [[3]], [1, 3], [5, 3], [3, 1], [{ dim: 1 }], [2], [1]];
const MODULE_FWD = [['A'], ['X4'], ['X3'], ['A', 'B'], ['A', 'T'], ['I'], ['X3', 'X3', 'X3'], ['V']];
// Each returns [module, ...forward arguments].
const MODULE_RECIPES = {
  MultiheadAttention: (t, i) => [new t.nn.MultiheadAttention(3, 1), i.X3, i.X3, i.X3],
  TransformerEncoderLayer: (t, i) => [
    new t.nn.TransformerEncoderLayer(4, 1, { dimFeedforward: 8, dropout: 0 }),
    i.X34,
  ],
  TransformerEncoder: (t, i) => [
    new t.nn.TransformerEncoder(new t.nn.TransformerEncoderLayer(4, 1, { dimFeedforward: 8, dropout: 0 }), 1),
    i.X34,
  ],
  Embedding: (t, i) => [new t.nn.Embedding(5, 3), i.I],
  Sequential: (t, i) => [new t.nn.Sequential(new t.nn.Linear(3, 3)), i.A],
  ModuleList: (t, i) => [new t.nn.ModuleList([new t.nn.Linear(3, 3)]).at(0), i.A],
  ModuleDict: (t, i) => [new t.nn.ModuleDict({ a: new t.nn.Linear(3, 3) }).get('a'), i.A],
  // Abstract bases, measured through a subclass.
  RNNBase: (t, i) => [new t.nn.RNN(3, 3), i.A],
  RNNCellBase: (t, i) => [new t.nn.RNNCell(3, 3), i.A],
  Module: (t, i) => {
    class M extends t.nn.Module {
      lin = new t.nn.Linear(3, 3);
      forward(x) {
        return this.lin.call(x);
      }
    }
    return [new M(), i.A];
  },
};
const PARAM_RECIPES = {
  ParameterList: (t, i) => new t.nn.ParameterList([i.V]).at(0).mul(i.A),
  Parameter: (t, i) => new t.nn.Parameter(i.V).mul(i.A),
};

const SCHED_OPTS = [
  {},
  { stepSize: 1 },
  { gamma: 0.9 },
  { T_max: 10 },
  { T_0: 10 },
  { milestones: [1] },
  { lrLambda: () => 0.9 },
  { baseLr: 0.001, maxLr: 0.1 },
  { maxLr: 0.1, totalSteps: 10 },
];

/**
 * Names whose float result carries no gradient in PyTorch either (detached or freshly made
 * values, random samples, loads): their backward column says "—" rather than "✗".
 */
const NO_GRADIENT_BY_DESIGN = new Set([
  'detach',
  'detach_',
  'zerosLike',
  'onesLike',
  'fullLike',
  'emptyLike',
  'randLike',
  'randnLike',
  'randintLike',
  'bernoulli',
  'multinomial',
  'load',
]);

// ---------------------------------------------------------------------------------------
// Running one call and checking its outputs and backward.

function tensorsIn(x, out = [], depth = 0) {
  if (depth > 3 || x == null) return out;
  if (x instanceof torch.Tensor) out.push(x);
  else if (Array.isArray(x)) for (const v of x) tensorsIn(v, out, depth + 1);
  else if (typeof x === 'object' && !ArrayBuffer.isView(x)) {
    for (const v of Object.values(x)) tensorsIn(v, out, depth + 1);
  }
  return out;
}

const isFloat = (t) => t.dtype === 'float32' || t.dtype === 'float64';

/** Tensors whose gradient also counts for "backward" (a module's parameters). */
let gradTargets = [];

/**
 * Runs `call` on the current backend: the outputs read back, then backward where it
 * applies. Only the inputs the call used count (it sees them through a Proxy).
 */
async function run(call) {
  const made = inputs();
  const used = new Set();
  const inp = new Proxy(made, {
    get(o, k) {
      if (typeof k === 'string' && Object.hasOwn(o, k)) used.add(o[k]);
      return o[k];
    },
  });
  gradTargets = [];
  let out = await call(inp);
  if (out && typeof out.then === 'function') out = await out;
  const outs = tensorsIn(out);
  for (const o of outs) if (!o.isDisposed) await o.data();
  const grads = [...used, ...gradTargets].filter((t) => isFloat(t) && t.requiresGrad);
  const diff = outs.find((o) => isFloat(o) && o.requiresGrad && !o.isDisposed);
  let backward = 'n/a';
  if (diff) {
    diff.sum().backward();
    backward = grads.some((t) => t.grad !== null) ? 'yes' : 'no';
  } else if (outs.some((o) => isFloat(o)) && grads.length > 0) {
    // A float result that does not require grad, from inputs that do: no backward.
    backward = 'no';
  }
  const tensorWork = outs.length > 0 || used.size > 0 || gradTargets.length > 0;
  return { backward, tensorWork };
}

function errorText(e) {
  return String(e?.message ?? e)
    .split('\n')[0]
    .slice(0, 140);
}

/** Finds a call that works on cpu-js, then runs it on every backend. */
async function probe(candidates) {
  torch.setBackend('cpu-js');
  let found = null;
  let firstError = '';
  for (const c of candidates) {
    try {
      const r = await run(c);
      found = { call: c, ...r };
      break;
    } catch (e) {
      firstError ||= errorText(e);
    }
  }
  if (!found) return { probed: false, error: firstError };
  const on = {};
  const errors = {};
  for (const b of backends) {
    if (b.name === 'cpu-js') {
      on[b.name] = true;
      continue;
    }
    torch.setBackend(b.name);
    try {
      await run(found.call);
      on[b.name] = true;
    } catch (e) {
      on[b.name] = false;
      errors[b.name] = errorText(e);
    }
  }
  torch.setBackend('cpu-js');
  const host = !found.tensorWork && Object.values(on).every(Boolean);
  return { probed: true, on, errors, backward: found.backward, host };
}

const asCalls = (fnOf, patterns) =>
  patterns.map((p) => (inp) => {
    const args = resolve(p, inp);
    return fnOf(args);
  });

function functionCandidates(ns, obj, name) {
  const r = RECIPES[ns]?.[name];
  if (typeof r === 'function') return [(inp) => r(torch, inp)];
  const pats = r ? [r] : GENERIC;
  return asCalls((args) => obj[name](...args), pats);
}

function methodCandidates(name) {
  const r = RECIPES.Tensor[name];
  if (typeof r === 'function') return [(inp) => r(torch, inp)];
  const pats = r ? [r] : GENERIC.filter((p) => typeof p[0] === 'string' && /^[A-Z]/.test(p[0]));
  const inPlace = name.endsWith('_') && !name.endsWith('__');
  return pats.map((p) => (inp) => {
    const [self, ...args] = resolve(p, inp);
    // An in-place op on a leaf that requires grad is PyTorch's error: use a non-leaf copy.
    const recv = inPlace && self.requiresGrad ? self.mul(1) : self;
    return recv[name](...args);
  });
}

function getterCandidates(name) {
  return ['A', 'S', 'V'].map((s) => (inp) => {
    const v = inp[s][name];
    if (v === undefined) throw new Error('undefined');
    return v;
  });
}

function moduleCandidates(name, C) {
  if (PARAM_RECIPES[name]) return [(inp) => PARAM_RECIPES[name](torch, inp)];
  const r = MODULE_RECIPES[name];
  if (r) {
    return [
      (inp) => {
        const [m, ...args] = r(torch, inp);
        gradTargets = [...m.parameters()];
        return m.call(...args);
      },
    ];
  }
  const out = [];
  for (const ctor of MODULE_CTOR) {
    for (const fwd of MODULE_FWD) {
      out.push((inp) => {
        const m = new C(...ctor);
        gradTargets = [...m.parameters()];
        return m.call(...resolve(fwd, inp));
      });
    }
  }
  return out;
}

function optimizerCandidates(name, C) {
  return [
    async () => {
      const p = torch.nn.Parameter ? new torch.nn.Parameter(torch.rand([3, 3])) : torch.rand([3, 3]);
      const opt = new C([p], name === 'Optimizer' ? {} : { lr: 0.01 });
      if (name === 'Optimizer') return p.detach();
      const closure = () => {
        opt.zeroGrad();
        const loss = p.square().sum();
        loss.backward();
        return loss;
      };
      closure();
      await opt.step(closure);
      return p.detach();
    },
  ];
}

function schedulerCandidates(name, C) {
  const mkOpt = () => new torch.optim.SGD([new torch.nn.Parameter(torch.rand([3]))], { lr: 0.1 });
  // optimizer.step() before scheduler.step(), as PyTorch asks.
  const stepBoth = (opt, s, ...args) => {
    opt.step();
    s.step(...args);
  };
  if (name === 'SequentialLR' || name === 'ChainedScheduler') {
    return [
      () => {
        const opt = mkOpt();
        const a = new torch.optim.lrScheduler.StepLR(opt, { stepSize: 1 });
        const b = new torch.optim.lrScheduler.ExponentialLR(opt, { gamma: 0.9 });
        const s =
          name === 'SequentialLR' ? new C(opt, { schedulers: [a, b], milestones: [1] }) : new C([a, b], opt);
        stepBoth(opt, s);
        return s.getLastLr();
      },
    ];
  }
  if (name === 'SWALR') {
    return [
      () => {
        const opt = mkOpt();
        const s = new C(opt, { swaLr: 0.05 });
        stepBoth(opt, s);
        return s.getLastLr();
      },
    ];
  }
  return SCHED_OPTS.map((o) => () => {
    const opt = mkOpt();
    const s = new C(opt, o);
    if (name === 'ReduceLROnPlateau') stepBoth(opt, s, 1);
    else stepBoth(opt, s);
    return 0;
  });
}

// ---------------------------------------------------------------------------------------
// The sections of the table.

const isClass = (v) => typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v));

const sections = [
  { title: 'torch', ns: 'torch', obj: torch, prefix: 'torch.', stepPrefix: 'torch.' },
  {
    title: 'Tensor',
    ns: 'Tensor',
    obj: torch.Tensor.prototype,
    prefix: 'Tensor.',
    stepPrefix: 't.',
    method: true,
  },
  {
    title: 'torch.nn (modules)',
    ns: 'torch.nn',
    obj: torch.nn,
    prefix: 'nn.',
    stepPrefix: 'nn.',
    module: true,
  },
  {
    title: 'torch.nn.functional',
    ns: 'torch.nn.functional',
    obj: torch.nn.functional,
    prefix: 'F.',
    stepPrefix: 'nn.functional.',
  },
  {
    title: 'torch.nn.init',
    ns: 'torch.nn.init',
    obj: torch.nn.init,
    prefix: 'nn.init.',
    stepPrefix: 'nn.init.',
  },
  {
    title: 'torch.nn.utils',
    ns: 'torch.nn.utils',
    obj: torch.nn.utils,
    prefix: 'nn.utils.',
    stepPrefix: 'nn.utils.',
  },
  { title: 'torch.linalg', ns: 'torch.linalg', obj: torch.linalg, prefix: 'linalg.', stepPrefix: 'linalg.' },
  {
    title: 'torch.autograd',
    ns: 'torch.autograd',
    obj: torch.autograd,
    prefix: 'autograd.',
    stepPrefix: 'autograd.',
  },
  {
    title: 'torch.utils.data',
    ns: 'torch.utils.data',
    obj: torch.utils.data,
    prefix: 'utils.data.',
    stepPrefix: 'utils.data.',
  },
  {
    title: 'torch.optim',
    ns: 'torch.optim',
    obj: torch.optim,
    prefix: 'optim.',
    stepPrefix: 'optim.',
    optim: true,
  },
  {
    title: 'torch.optim.lr_scheduler',
    ns: 'torch.optim.lr_scheduler',
    obj: torch.optim.lrScheduler,
    prefix: 'lr_scheduler.',
    stepPrefix: 'optim.lrScheduler.',
    sched: true,
  },
  {
    title: 'torch.optim.swa_utils',
    ns: 'torch.optim.swa_utils',
    obj: torch.optim.swaUtils,
    prefix: 'swa_utils.',
    stepPrefix: 'optim.swaUtils.',
    sched: true,
  },
];

function memberNames(sec) {
  if (!sec.method) return Object.keys(sec.obj);
  const names = new Set();
  for (let p = sec.obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) if (n !== 'constructor') names.add(n);
  }
  return [...names];
}

const rows = [];
const extras = [];
const t0 = Date.now();
// The probes' own warnings (PyTorch's, e.g. a loss's broadcasting warning) are not news.
const warn = console.warn;
console.warn = () => {};
for (const sec of sections) {
  const map = camelMap(sec.ns);
  for (const name of memberNames(sec).sort()) {
    const ptName = map.get(name);
    if (!ptName) {
      const isFn = sec.method || typeof sec.obj[name] === 'function';
      if (isFn && !name.startsWith('_')) extras.push(`${sec.stepPrefix}${name}`);
      continue;
    }
    let kind = 'function';
    let candidates;
    if (sec.method) {
      const desc = Object.getOwnPropertyDescriptor(torch.Tensor.prototype, name);
      let d = desc;
      for (let p = torch.Tensor.prototype; !d && p; p = Object.getPrototypeOf(p)) {
        d = Object.getOwnPropertyDescriptor(p, name);
      }
      if (d && (d.get || d.set)) {
        kind = 'property';
        candidates = getterCandidates(name);
      } else {
        kind = 'method';
        candidates = methodCandidates(name);
      }
    } else {
      const v = sec.obj[name];
      if (sec.optim && isClass(v)) {
        kind = 'class';
        candidates = optimizerCandidates(name, v);
      } else if (sec.sched && isClass(v)) {
        kind = 'class';
        if (name === 'AveragedModel') {
          candidates = [
            (inp) => {
              const lin = new torch.nn.Linear(3, 3);
              const avg = new v(lin);
              avg.updateParameters(lin);
              gradTargets = [...avg.module.parameters()];
              return avg.forward(inp.A);
            },
          ];
        } else candidates = schedulerCandidates(name, v);
      } else if (sec.module || (isClass(v) && sec.ns === 'torch.nn')) {
        kind = 'class';
        candidates = moduleCandidates(name, v);
      } else if (isClass(v)) {
        kind = 'class';
        const r = RECIPES[sec.ns]?.[name];
        candidates = r ? functionCandidates(sec.ns, sec.obj, name) : [() => 0];
      } else if (typeof v === 'function') {
        candidates = functionCandidates(sec.ns, sec.obj, name);
      } else {
        kind = 'namespace';
        candidates = [() => 0];
      }
    }
    const res = await probe(candidates);
    if (res.backward === 'no' && NO_GRADIENT_BY_DESIGN.has(name)) res.backward = 'n/a';
    if (!res.probed) console.error(`not measured: ${sec.prefix}${ptName}: ${res.error}`);
    rows.push({ section: sec, name, ptName, kind, ...res });
  }
}
console.warn = warn;
const seconds = ((Date.now() - t0) / 1000).toFixed(1);

// ---------------------------------------------------------------------------------------
// Common names not covered.

const covered = new Set(rows.map((r) => `${r.section.ns}.${r.ptName}`));
const commonLines = readFileSync(join(here, 'pytorch-common.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const missing = commonLines.filter((q) => !covered.has(q));

// ---------------------------------------------------------------------------------------
// Markdown.

const present = new Set(backends.map((b) => b.name));
function cell(r, b) {
  if (!r.probed) return '?';
  if (r.host) return 'host';
  if (!present.has(b)) return '·';
  return r.on[b] ? '✓' : '✗';
}
const bw = (r) => (!r.probed ? '?' : r.backward === 'yes' ? '✓' : r.backward === 'no' ? '✗' : '—');
const spell = (r) => {
  const s = r.section;
  if (r.kind === 'property') return `\`t.${r.name}\``;
  if (r.kind === 'method') return `\`t.${r.name}()\``;
  if (r.kind === 'class') {
    if (s.ns === 'torch') return r.name === 'Tensor' ? '`torch.Tensor`' : `\`new torch.${r.name}\``;
    return `\`new torch.${s.stepPrefix}${r.name}\``;
  }
  return `\`${s.stepPrefix === 't.' ? 't.' : `torch.${s.stepPrefix === 'torch.' ? '' : s.stepPrefix}`}${r.name}\``;
};

const lines = [];
const push = (s = '') => lines.push(s);
const nProbed = rows.filter((r) => r.probed).length;
const nBackward = rows.filter((r) => r.backward === 'yes').length;
const perBackend = BACKEND_NAMES.map(
  (b) => `${b} ${rows.filter((r) => r.probed && (r.host || r.on[b])).length}`,
).join(', ');

push('---');
push('title: Op coverage');
push('---');
push();
push('# Op coverage');
push();
push('<!-- Generated by tooling/coverage/generate.mjs from the built packages: do not edit by hand. -->');
push();
push(
  `Every PyTorch name stepwise implements — **${rows.length}** names (${rows.filter((r) => r.section.ns === 'torch').length} \`torch.*\` functions, ` +
    `${rows.filter((r) => r.section.ns === 'Tensor').length} Tensor methods and properties, ` +
    `${rows.filter((r) => r.section.ns === 'torch.nn').length} \`nn\` modules, ` +
    `${rows.filter((r) => r.section.ns === 'torch.nn.functional').length} \`nn.functional\` functions, ` +
    `${rows.filter((r) => r.section.ns.startsWith('torch.optim')).length} optimizers and schedulers, and the rest) — ` +
    `with its stepwise spelling, the backends where it runs and whether it has a backward. ` +
    `Of the ${commonLines.length} most common PyTorch names (\`tooling/coverage/pytorch-common.txt\`), ` +
    `**${commonLines.length - missing.length}** are covered; the ${missing.length} others are [listed below](#not-covered-yet).`,
);
push();
push('This page is generated from the code, not written by hand: `pnpm docs` runs');
push('`node tooling/coverage/generate.mjs`, which introspects the built packages, matches each');
push("stepwise name to PyTorch's (PyTorch's `snake_case` name in camelCase, see");
push('[PyTorch ↔ stepwise names](pytorch-names.md)), then **calls every name on tiny inputs on');
push('every backend** and reads the results back, and runs **backward** through it. CI checks that');
push('the committed page is current.');
push();
push('- **cpu-js / wasm-simd / webgpu**: ✓ the call ran and its outputs were read back on that');
push('  backend (on webgpu with `await t.data()`); ✗ it threw (the reason is in the notes below);');
push('  `host`: no tensor work (schedulers, seeds, settings), so it runs wherever core runs.');
push('- **backward**: ✓ the sum of the first float output was backpropagated and an input received');
push('  a gradient; ✗ a float output computed from inputs that require grad carries none; — no');
push('  gradient by design, as in PyTorch (integer or bool results, creation, `detach`, `*_like`,');
push('  random sampling, in-place initialisation, optimizers, settings).');
push('- `?`: no call in the generator fits this name yet (it exists, but is not measured).');
push(`- Measured: ${nProbed} of ${rows.length} names; ${nBackward} with a backward; runs on: ${perBackend}.`);
if (webgpuNote) push(`- ${webgpuNote}.`);
push();

const notes = [];
for (const sec of sections) {
  const rs = rows.filter((r) => r.section === sec);
  if (!rs.length) continue;
  push(`## ${sec.title}`);
  push();
  push('| PyTorch | stepwise | cpu-js | wasm-simd | webgpu | backward |');
  push('|---|---|:-:|:-:|:-:|:-:|');
  for (const r of rs) {
    const ptq = sec.ns === 'Tensor' ? `Tensor.${r.ptName}` : `${sec.prefix}${r.ptName}`;
    push(`| \`${ptq}\` | ${spell(r)} | ${BACKEND_NAMES.map((b) => cell(r, b)).join(' | ')} | ${bw(r)} |`);
    if (r.probed) {
      for (const [b, e] of Object.entries(r.errors ?? {}))
        notes.push(`- \`${ptq}\` on ${b}: ${e.replace(/\|/g, '\\|')}`);
    }
  }
  push();
}

push('## Notes: why a call failed on a backend');
push();
if (notes.length) for (const n of notes) push(n);
else push('None: every measured name runs on every backend.');
push();
push('## Not covered yet');
push();
push(
  `The most common PyTorch names (from \`tooling/coverage/pytorch-common.txt\`) that stepwise does not implement yet: ${missing.length} of ${commonLines.length}.`,
);
push();
for (const q of missing) push(`- \`${q}\``);
push();
push('## stepwise additions');
push();
push('Exported names with no PyTorch counterpart of the same spelling (JS-specific reads,');
push('memory control, backend selection, the fused-program API, option types):');
push();
push(
  extras
    .filter((e) => !/^[A-Z]/.test(e.split('.').pop()) || /^(nn|optim)\./.test(e))
    .map((e) => `\`${e}\``)
    .join(', '),
);
push();

const text = `${lines.join('\n')}\n`;
if (process.argv.includes('--check')) {
  const old = (() => {
    try {
      return readFileSync(outFile, 'utf8');
    } catch {
      return '';
    }
  })();
  if (old !== text) {
    writeFileSync(`${outFile}.new`, text);
    console.error(
      `docs/coverage.md is not current: run \`node tooling/coverage/generate.mjs\` (the new version is in docs/coverage.md.new).`,
    );
    process.exit(1);
  }
  console.log(`docs/coverage.md is current (${rows.length} names, measured in ${seconds} s).`);
} else {
  writeFileSync(outFile, text);
  console.log(
    `docs/coverage.md: ${rows.length} PyTorch names (${nProbed} measured, ${nBackward} with backward); ` +
      `${commonLines.length - missing.length}/${commonLines.length} common names covered; ${seconds} s.`,
  );
}
process.exit(0);
