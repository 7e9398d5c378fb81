// Compares two builds of wasm-simd bit for bit on the conv, pool and fused kernels (not a
// test): `node scripts/bitExact.mjs <old dist/index.js> [<new dist/index.js>]`. Random
// geometries (strides, padding, dilation, groups, odd sizes), float32 and float64, with
// and without a worker pool.
import * as torch from '@stepwise/core';

const [oldPath, newPath = new URL('../dist/index.js', import.meta.url).href] = process.argv.slice(2);
const OLD = await import(oldPath);
const NEW = await import(newPath);
// Two builds of cpu-js (BACKEND=cpu-js: paths to their dist/index.js) compare the same way.
const cpu = process.env.BACKEND === 'cpu-js';
const THREADS = Number(process.env.THREADS ?? 1);
const CASES = Number(process.env.CASES ?? 300);

let seed = Number(process.env.SEED ?? 1);
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const ri = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));

const backends = async (threads) =>
  cpu
    ? [OLD.cpuJs(), NEW.cpuJs()]
    : [
        await OLD.wasmSimd({ initialMemoryMB: 256, threads }),
        await NEW.wasmSimd({ initialMemoryMB: 256, threads }),
      ];

function data(dtype, n, special) {
  const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (rnd() - 0.5) * 4;
  if (special && n > 4) {
    a[ri(0, n - 1)] = Number.NaN;
    a[ri(0, n - 1)] = -0;
    a[ri(0, n - 1)] = Number.POSITIVE_INFINITY;
  }
  return a;
}

function same(x, y, what) {
  const bx = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const by = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
  if (bx.length !== by.length) throw new Error(`${what}: lengths ${bx.length} vs ${by.length}`);
  for (let i = 0; i < bx.length; i++) {
    if (bx[i] !== by[i]) {
      const e = x.BYTES_PER_ELEMENT;
      const j = Math.floor(i / e);
      // NaN payloads may legitimately differ; anything else is a difference.
      if (Number.isNaN(x[j]) && Number.isNaN(y[j])) {
        i = (j + 1) * e - 1;
        continue;
      }
      throw new Error(`${what}: element ${j}: old ${x[j]}, new ${y[j]}`);
    }
  }
}

function run(b, fn) {
  return fn(b);
}

const [bo, bn] = await backends(THREADS);
let checked = 0;
for (let t = 0; t < CASES; t++) {
  const dtype = rnd() < 0.75 ? 'float32' : 'float64';
  const groups = rnd() < 0.8 ? 1 : ri(2, 3);
  const cg = ri(1, 6);
  const og = rnd() < 0.1 ? ri(1, 300) : ri(1, 12);
  const kH = ri(1, 5);
  const kW = ri(1, 5);
  const sH = rnd() < 0.7 ? 1 : ri(2, 3);
  const sW = rnd() < 0.7 ? 1 : ri(2, 3);
  const dH = rnd() < 0.85 ? 1 : 2;
  const dW = rnd() < 0.85 ? 1 : 2;
  const pH = ri(0, 3);
  const pW = ri(0, 3);
  const inH = ri(1, 20);
  const inW = ri(1, 36);
  const batch = ri(1, 5);
  const outH = Math.floor((inH + 2 * pH - dH * (kH - 1) - 1) / sH) + 1;
  const outW = Math.floor((inW + 2 * pW - dW * (kW - 1) - 1) / sW) + 1;
  if (outH < 1 || outW < 1) continue;
  const g = {
    batch,
    inChannels: cg * groups,
    inH,
    inW,
    outChannels: og * groups,
    outH,
    outW,
    kH,
    kW,
    strideH: sH,
    strideW: sW,
    padH: pH,
    padW: pW,
    dilationH: dH,
    dilationW: dW,
    groups,
  };
  const xN = batch * cg * groups * inH * inW;
  const wN = og * groups * cg * kH * kW;
  const oN = batch * og * groups * outH * outW;
  const special = rnd() < 0.2;
  const X = data(dtype, xN, special);
  const W = data(dtype, wN, special);
  const GO = data(dtype, oN, special);
  const pieces = [
    ['conv2d', X, W, oN],
    ['conv2dBackwardInput', GO, W, xN],
    ['conv2dBackwardWeight', GO, X, wN],
  ];
  for (const [name, A, B, n] of pieces) {
    const outs = [bo, bn].map((b) =>
      run(b, (be) => {
        const sa = be.alloc(dtype, A.length);
        be.write(sa, A);
        const sb = be.alloc(dtype, B.length);
        be.write(sb, B);
        const so = be.alloc(dtype, n);
        be[name](sa, sb, so, g);
        const r = be.readSync(so);
        be.free(sa);
        be.free(sb);
        be.free(so);
        return r;
      }),
    );
    same(outs[0], outs[1], `${name} ${dtype} ${JSON.stringify(g)}`);
    checked++;
  }
  // Max pooling of the input (any window that fits; half of them the common 2 x 2 / 2).
  const common = rnd() < 0.5;
  const pk = common ? [2, 2] : [ri(1, 3), ri(1, 3)];
  const ps = common ? [2, 2] : [ri(1, 3), ri(1, 3)];
  const pp = common ? [0, 0] : [ri(0, Math.floor(pk[0] / 2)), ri(0, Math.floor(pk[1] / 2))];
  const pd = common ? [1, 1] : [rnd() < 0.8 ? 1 : 2, rnd() < 0.8 ? 1 : 2];
  const pOutH = Math.floor((inH + 2 * pp[0] - pd[0] * (pk[0] - 1) - 1) / ps[0]) + 1;
  const pOutW = Math.floor((inW + 2 * pp[1] - pd[1] * (pk[1] - 1) - 1) / ps[1]) + 1;
  if (pOutH >= 1 && pOutW >= 1) {
    const pg = {
      channels: batch * cg * groups,
      inH,
      inW,
      outH: pOutH,
      outW: pOutW,
      kH: pk[0],
      kW: pk[1],
      strideH: ps[0],
      strideW: ps[1],
      padH: pp[0],
      padW: pp[1],
      dilationH: pd[0],
      dilationW: pd[1],
    };
    const pN = pg.channels * pOutH * pOutW;
    const GP = data(dtype, pN, special);
    const res = [bo, bn].map((be) => {
      const sx = be.alloc(dtype, xN);
      be.write(sx, X);
      const so = be.alloc(dtype, pN);
      const am = be.alloc('int32', pN);
      be.maxPool2d(sx, so, am, pg);
      const o = be.readSync(so);
      const a = be.readSync(am);
      const sg = be.alloc(dtype, pN);
      be.write(sg, GP);
      const gx = be.alloc(dtype, xN);
      be.maxPool2dBackward(sg, am, gx, pg);
      const r = [o, a, be.readSync(gx)];
      for (const s of [sx, so, am, sg, gx]) be.free(s);
      return r;
    });
    same(res[0][0], res[1][0], `maxPool2d ${dtype} ${JSON.stringify(pg)}`);
    same(res[0][1], res[1][1], `maxPool2d argmax ${JSON.stringify(pg)}`);
    same(res[0][2], res[1][2], `maxPool2dBackward ${dtype} ${JSON.stringify(pg)}`);
    checked += 3;
  }
}
// Matmul (the GEMM the conv drivers share): transposes, batches, sizes past KC and MC.
for (let t = 0; t < Math.ceil(CASES / 3); t++) {
  const dtype = rnd() < 0.7 ? 'float32' : 'float64';
  const big = rnd() < 0.3;
  const m = ri(1, big ? 300 : 40);
  const k = ri(1, big ? 600 : 40);
  const n = ri(1, big ? 300 : 40);
  const batch = ri(1, 3);
  const transA = rnd() < 0.5;
  const transB = rnd() < 0.5;
  const A = data(dtype, batch * m * k, rnd() < 0.1);
  const B = data(dtype, batch * k * n, false);
  const opts = { transA, transB, aBatchStride: m * k, bBatchStride: rnd() < 0.3 ? 0 : k * n };
  const outs = [bo, bn].map((be) => {
    const sa = be.alloc(dtype, A.length);
    be.write(sa, A);
    const sb = be.alloc(dtype, B.length);
    be.write(sb, B);
    const so = be.alloc(dtype, batch * m * n);
    be.matmul(sa, sb, so, { batch, m, k, n }, opts);
    const r = be.readSync(so);
    for (const x of [sa, sb, so]) be.free(x);
    return r;
  });
  same(outs[0], outs[1], `matmul ${dtype} ${JSON.stringify({ batch, m, k, n, ...opts })}`);
  checked++;
}
// The CNN's own shapes at batch 64 (the big ones), float32.
for (const [inC, outC, hw] of [
  [1, 32, 32],
  [32, 32, 16],
  [32, 64, 8],
]) {
  const g = {
    batch: 64,
    inChannels: inC,
    inH: hw,
    inW: hw,
    outChannels: outC,
    outH: hw,
    outW: hw,
    kH: 5,
    kW: 5,
    strideH: 1,
    strideW: 1,
    padH: 2,
    padW: 2,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
  };
  const X = data('float32', 64 * inC * hw * hw);
  const W = data('float32', outC * inC * 25);
  const GO = data('float32', 64 * outC * hw * hw);
  for (const [name, A, B, n] of [
    ['conv2d', X, W, GO.length],
    ['conv2dBackwardInput', GO, W, X.length],
    ['conv2dBackwardWeight', GO, X, W.length],
  ]) {
    const outs = [bo, bn].map((be) => {
      const sa = be.alloc('float32', A.length);
      be.write(sa, A);
      const sb = be.alloc('float32', B.length);
      be.write(sb, B);
      const so = be.alloc('float32', n);
      be[name](sa, sb, so, g);
      const r = be.readSync(so);
      for (const s of [sa, sb, so]) be.free(s);
      return r;
    });
    same(outs[0], outs[1], `${name} CNN ${inC}->${outC} ${hw}x${hw}`);
    checked++;
  }
}
// The CNN step end to end (seed 004's network, batch 64, SGD with momentum; then Adam):
// parameters after three steps, byte for byte.
for (const optName of ['SGD', 'Adam']) {
  const params = [bo, bn].map((be) => {
    torch.setBackend(be);
    torch.manualSeed(4);
    const { nn } = torch;
    const model = new nn.Sequential(
      new nn.Conv2d(1, 32, 5, { padding: 2 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(32, 32, 5, { padding: 2 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(32, 64, 5, { padding: 2 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(1024, 64),
      new nn.ReLU(),
      new nn.Linear(64, 10),
    );
    const opt =
      optName === 'SGD'
        ? new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 })
        : new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
    const lossFn = new nn.CrossEntropyLoss();
    const x = torch.randn([64, 1, 32, 32]);
    const y = torch.randint(0, 10, [64]);
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      lossFn.forward(model.forward(x), y).backward();
      opt.step();
    }
    return [...model.parameters()].map((p) => p.dataSync().slice());
  });
  for (let i = 0; i < params[0].length; i++)
    same(params[0][i], params[1][i], `CNN ${optName} parameter ${i}`);
  checked += params[0].length;
}
console.log(`bit-exact: ${checked} results identical (threads ${THREADS}, ${CASES} random cases)`);
bo.destroy?.();
bn.destroy?.();
process.exit(0);
