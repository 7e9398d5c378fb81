import type { Conv2dGeometry, Pool2dGeometry } from '@stepwise/core';
import { describe, it } from 'vitest';
import { cpu, expectSame, gpu, gpuVariant, pair, pairAlloc, randomValues, rng } from './helpers.js';

describe('matmul', () => {
  const cases = [
    { batch: 1, m: 1, k: 1, n: 1 },
    { batch: 1, m: 17, k: 33, n: 9 },
    { batch: 3, m: 5, k: 40, n: 18 },
    { batch: 2, m: 4, k: 0, n: 3 },
    { batch: 2, m: 70, k: 37, n: 130 },
    { batch: 1, m: 64, k: 16, n: 64 },
  ];
  for (const dims of cases) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const bcast of [false, true]) {
          it(`${JSON.stringify(dims)} transA=${transA} transB=${transB} ${bcast ? 'b broadcast' : ''}`, async () => {
            const { batch, m, k, n } = dims;
            const r = rng(m * 100 + k + n);
            const a = await pair('float32', randomValues(batch * m * k, r));
            const b = await pair('float32', randomValues((bcast ? 1 : batch) * k * n, r));
            const out = await pairAlloc('float32', batch * m * n);
            const opts = { transA, transB, aBatchStride: m * k, bBatchStride: bcast ? 0 : k * n };
            cpu.matmul(a.c, b.c, out.c, dims, opts);
            // Both kernel families: this adapter's own and the tiled ones for real GPUs.
            for (const be of [await gpu(), await gpuVariant()]) {
              be.fill(out.g, Number.NaN);
              be.matmul(a.g, b.g, out.g, dims, opts);
              await expectSame(out, 'matmul', 1e-5, 1e-5);
            }
          });
        }
      }
    }
  }
  it('int32 matmul is exact', async () => {
    const a = await pair('int32', [1, 2, 3, 4, 5, 6]);
    const b = await pair('int32', [7, 8, 9, 10, 11, 12]);
    const out = await pairAlloc('int32', 4);
    const opts = { transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    (await gpu()).matmul(a.g, b.g, out.g, { batch: 1, m: 2, k: 3, n: 2 }, opts);
    cpu.matmul(a.c, b.c, out.c, { batch: 1, m: 2, k: 3, n: 2 }, opts);
    await expectSame(out, 'matmul int32');
  });
});

function geometry(
  batch: number,
  inChannels: number,
  inH: number,
  inW: number,
  outChannels: number,
  k: number,
  stride: number,
  pad: number,
  dil: number,
  groups: number,
): Conv2dGeometry {
  const outH = Math.floor((inH + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
  const outW = Math.floor((inW + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
  return {
    batch,
    inChannels,
    inH,
    inW,
    outChannels,
    outH,
    outW,
    kH: k,
    kW: k,
    strideH: stride,
    strideW: stride,
    padH: pad,
    padW: pad,
    dilationH: dil,
    dilationW: dil,
    groups,
  };
}

describe('conv2d', () => {
  const geoms = [
    geometry(2, 3, 7, 6, 4, 3, 1, 0, 1, 1),
    geometry(1, 4, 9, 9, 6, 3, 2, 1, 1, 2),
    geometry(2, 2, 10, 8, 2, 3, 1, 2, 2, 1),
    geometry(1, 1, 5, 5, 1, 5, 3, 2, 1, 1),
  ];
  for (const g of geoms) {
    it(`forward and both backward pieces: ${JSON.stringify(g)}`, async () => {
      const r = rng(g.inH * 10 + g.groups);
      const x = await pair('float32', randomValues(g.batch * g.inChannels * g.inH * g.inW, r));
      const wSize = g.outChannels * (g.inChannels / g.groups) * g.kH * g.kW;
      const w = await pair('float32', randomValues(wSize, r));
      const outSize = g.batch * g.outChannels * g.outH * g.outW;
      const out = await pairAlloc('float32', outSize);
      (await gpu()).conv2d(x.g, w.g, out.g, g);
      cpu.conv2d(x.c, w.c, out.c, g);
      await expectSame(out, 'conv2d', 1e-5, 1e-5);
      const gy = await pair('float32', randomValues(outSize, r));
      const gx = await pairAlloc('float32', x.c.size);
      (await gpu()).conv2dBackwardInput(gy.g, w.g, gx.g, g);
      cpu.conv2dBackwardInput(gy.c, w.c, gx.c, g);
      await expectSame(gx, 'conv2dBackwardInput', 1e-5, 1e-5);
      const gw = await pairAlloc('float32', wSize);
      cpu.conv2dBackwardWeight(gy.c, x.c, gw.c, g);
      // Both variants: this adapter's and the workgroup-tree one for real GPUs.
      for (const be of [await gpu(), await gpuVariant()]) {
        be.fill(gw.g, Number.NaN);
        be.conv2dBackwardWeight(gy.g, x.g, gw.g, g);
        await expectSame(gw, 'conv2dBackwardWeight', 1e-4, 1e-5);
      }
    });
  }
});

describe('maxPool2d', () => {
  const pools: Pool2dGeometry[] = [
    {
      channels: 6,
      inH: 8,
      inW: 8,
      outH: 4,
      outW: 4,
      kH: 2,
      kW: 2,
      strideH: 2,
      strideW: 2,
      padH: 0,
      padW: 0,
      dilationH: 1,
      dilationW: 1,
    },
    {
      channels: 2,
      inH: 7,
      inW: 5,
      outH: 4,
      outW: 3,
      kH: 3,
      kW: 3,
      strideH: 2,
      strideW: 2,
      padH: 1,
      padW: 1,
      dilationH: 1,
      dilationW: 1,
    },
    {
      channels: 1,
      inH: 9,
      inW: 9,
      outH: 7,
      outW: 7,
      kH: 2,
      kW: 2,
      strideH: 1,
      strideW: 1,
      padH: 1,
      padW: 1,
      dilationH: 3,
      dilationW: 3,
    },
  ];
  for (const g of pools) {
    it(`forward, argmax and backward: ${JSON.stringify(g)}`, async () => {
      const n = g.channels * g.inH * g.inW;
      // Rounded values make ties; a NaN checks propagation.
      const vals = randomValues(n, rng(n), -3, 3).map((v) => Math.round(v));
      vals[5] = Number.NaN;
      const x = await pair('float32', vals);
      const nOut = g.channels * g.outH * g.outW;
      const out = await pairAlloc('float32', nOut);
      const am = await pairAlloc('int32', nOut);
      (await gpu()).maxPool2d(x.g, out.g, am.g, g);
      cpu.maxPool2d(x.c, out.c, am.c, g);
      await expectSame(out, 'maxPool2d');
      await expectSame(am, 'maxPool2d argmax');
      const gy = await pair('float32', randomValues(nOut, rng(2)));
      const gx = await pairAlloc('float32', n);
      (await gpu()).maxPool2dBackward(gy.g, am.g, gx.g, g);
      cpu.maxPool2dBackward(gy.c, am.c, gx.c, g);
      await expectSame(gx, 'maxPool2dBackward');
    });
  }
});

describe('indexing', () => {
  it('indexSelect and indexAdd with repeated indices', async () => {
    const outer = 3;
    const len = 5;
    const inner = 4;
    const x = await pair('float32', randomValues(outer * len * inner, rng(1)));
    const idx = await pair('int32', [4, 0, 4, 2, 4, 1]);
    const out = await pairAlloc('float32', outer * 6 * inner);
    (await gpu()).indexSelect(x.g, idx.g, out.g, outer, len, inner);
    cpu.indexSelect(x.c, idx.c, out.c, outer, len, inner);
    await expectSame(out, 'indexSelect');
    const src = await pair('float32', randomValues(outer * 6 * inner, rng(2)));
    (await gpu()).indexAdd(x.g, idx.g, src.g, outer, len, inner);
    cpu.indexAdd(x.c, idx.c, src.c, outer, len, inner);
    await expectSame(x, 'indexAdd');
  });
  it('gather and scatterAdd with repeated indices', async () => {
    const outer = 2;
    const lenX = 4;
    const lenIdx = 6;
    const inner = 3;
    const x = await pair('float32', randomValues(outer * lenX * inner, rng(3)));
    const r = rng(4);
    const idx = await pair(
      'int32',
      Array.from({ length: outer * lenIdx * inner }, () => Math.floor(r() * lenX)),
    );
    const out = await pairAlloc('float32', outer * lenIdx * inner);
    (await gpu()).gather(x.g, idx.g, out.g, outer, lenX, inner);
    cpu.gather(x.c, idx.c, out.c, outer, lenX, inner);
    await expectSame(out, 'gather');
    const src = await pair('float32', randomValues(outer * lenIdx * inner, rng(5)));
    (await gpu()).scatterAdd(x.g, idx.g, src.g, outer, lenX, inner);
    cpu.scatterAdd(x.c, idx.c, src.c, outer, lenX, inner);
    await expectSame(x, 'scatterAdd');
  });
  it('int32 gather', async () => {
    const x = await pair('int32', [10, 20, 30, 40]);
    const idx = await pair('int32', [3, 0, 0, 2]);
    const out = await pairAlloc('int32', 4);
    (await gpu()).gather(x.g, idx.g, out.g, 1, 4, 1);
    cpu.gather(x.c, idx.c, out.c, 1, 4, 1);
    await expectSame(out, 'gather int32');
  });
});
