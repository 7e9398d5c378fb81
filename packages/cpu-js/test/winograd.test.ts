/**
 * The Winograd convolutions (kernels/winograd.ts) against the direct im2col kernels: each
 * output within float32's rounding of the exact sum, held to the magnitude of its terms
 * (Σ|x·w|, the direct kernel run on absolute values), as the conformance suite holds an
 * accumulating kernel; and a non-finite input left to the direct path.
 */
import type { Conv2dGeometry } from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { CpuJsBackend } from '../src/index.js';
import {
  conv2dBackwardInputKernel,
  conv2dBackwardWeightKernel,
  conv2dKernel,
} from '../src/kernels/conv2d.js';
import {
  conv2dBackwardInputWinograd,
  conv2dBackwardWeightWinograd,
  conv2dWinograd,
  winogradFits,
} from '../src/kernels/winograd.js';
import { makeStorage, Rng, randomData, read } from './helpers.js';

function geometry(
  batch: number,
  cin: number,
  cout: number,
  h: number,
  w: number,
  pad: number,
  k: number,
): Conv2dGeometry {
  return {
    batch,
    inChannels: cin,
    inH: h,
    inW: w,
    outChannels: cout,
    outH: h + 2 * pad - k + 1,
    outW: w + 2 * pad - k + 1,
    kH: k,
    kW: k,
    strideH: 1,
    strideW: 1,
    padH: pad,
    padW: pad,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
  };
}

const abs = (a: Float32Array) => a.map(Math.abs);

/**
 * |got − want| ≤ 2⁻²³·Σ|terms| + 1e-12 of the largest Σ|terms|, element by element: a
 * tile's transforms mix its inputs, so an output whose own terms are all 0 (its window in
 * the padding) comes out within float64's error of the tile's other values, not exactly 0.
 */
function expectWithinRounding(got: Float32Array, want: Float32Array, magnitude: Float32Array, what: string) {
  expect(got.length).toBe(want.length);
  const scale = magnitude.reduce((m, v) => Math.max(m, v), 0);
  for (let i = 0; i < want.length; i++) {
    const bound = 2 ** -23 * magnitude[i]! + 1e-12 * scale;
    if (!(Math.abs(got[i]! - want[i]!) <= bound))
      expect.fail(`${what}[${i}]: got ${got[i]}, direct ${want[i]} (Σ|terms| ${magnitude[i]})`);
  }
}

describe('Winograd 3×3 and 5×5 convolutions agree with the direct kernels', () => {
  // [batch, in, out, h, w, pad, kernel]: one tile block and several (80 tiles: a partial
  // last block), ragged edges, no padding, padding past the kernel's reach.
  const cases: [number, number, number, number, number, number, number][] = [
    [2, 4, 4, 8, 8, 2, 5],
    [5, 4, 6, 16, 16, 2, 5],
    [3, 5, 7, 11, 9, 2, 5],
    [1, 8, 4, 7, 13, 0, 5],
    [2, 4, 5, 9, 9, 5, 5],
    [2, 4, 4, 8, 8, 1, 3],
    [5, 4, 6, 16, 16, 1, 3],
    [3, 5, 7, 11, 9, 1, 3],
    [1, 8, 4, 7, 13, 0, 3],
    [2, 4, 5, 9, 9, 3, 3],
  ];
  for (const [n, cin, cout, h, w, pad, k] of cases) {
    it(`[${n}, ${cin}, ${h}, ${w}] * [${cout}, ${cin}, ${k}, ${k}], padding ${pad}: forward, input and weight gradients`, () => {
      const g = geometry(n, cin, cout, h, w, pad, k);
      const rng = new Rng(n * 31 + cin + pad + k);
      const X = randomData(rng, 'float32', n * cin * h * w, { lo: -2, hi: 2 }) as Float32Array;
      const W = randomData(rng, 'float32', cout * cin * k * k, { lo: -2, hi: 2 }) as Float32Array;
      const GO = randomData(rng, 'float32', n * cout * g.outH * g.outW, { lo: -2, hi: 2 }) as Float32Array;
      expect(winogradFits(g, X, W)).toBe(true);
      const out = (size: number) => [new Float32Array(size), new Float32Array(size), new Float32Array(size)];

      const [y, yDirect, yMag] = out(n * cout * g.outH * g.outW);
      expect(conv2dWinograd(X, W, y!, g)).toBe(true);
      conv2dKernel(X, W, yDirect!, g);
      conv2dKernel(abs(X), abs(W), yMag!, g);
      expectWithinRounding(y!, yDirect!, yMag!, 'forward');

      const [gx, gxDirect, gxMag] = out(n * cin * h * w);
      expect(conv2dBackwardInputWinograd(GO, W, gx!, g)).toBe(true);
      conv2dBackwardInputKernel(GO, W, gxDirect!, g);
      conv2dBackwardInputKernel(abs(GO), abs(W), gxMag!, g);
      expectWithinRounding(gx!, gxDirect!, gxMag!, 'input gradient');

      const [gw, gwDirect, gwMag] = out(cout * cin * 25);
      expect(conv2dBackwardWeightWinograd(GO, X, gw!, g)).toBe(true);
      conv2dBackwardWeightKernel(GO, X, gwDirect!, g);
      conv2dBackwardWeightKernel(abs(GO), abs(X), gwMag!, g);
      expectWithinRounding(gw!, gwDirect!, gwMag!, 'weight gradient');
    });
  }

  it('leaves other geometries, float64 and non-finite inputs to the direct kernels', () => {
    const g = geometry(1, 4, 4, 8, 8, 2, 5);
    const x = new Float32Array(4 * 64).fill(1);
    const w = new Float32Array(4 * 4 * 25).fill(1);
    expect(winogradFits({ ...g, kH: 7, kW: 7 }, x, w)).toBe(false);
    expect(winogradFits({ ...g, kH: 3, kW: 5 }, x, w)).toBe(false);
    expect(winogradFits({ ...g, strideH: 2 }, x, w)).toBe(false);
    expect(winogradFits({ ...g, groups: 2 }, x, w)).toBe(false);
    expect(winogradFits({ ...g, inChannels: 1 }, x, w)).toBe(false);
    expect(winogradFits({ ...g, inChannels: 512, outChannels: 512 }, x, w)).toBe(false);
    expect(winogradFits(g, new Float64Array(4 * 64), w)).toBe(false);
    // An Inf reaches only the outputs that see it: through the backend, the direct kernel.
    x[0] = Number.POSITIVE_INFINITY;
    expect(conv2dWinograd(x, w, new Float32Array(4 * 64), g)).toBe(false);
    const b = new CpuJsBackend();
    const out = b.empty('float32', 4 * 64);
    b.conv2d(makeStorage(b, 'float32', x), makeStorage(b, 'float32', w), out, g);
    const want = new Float32Array(4 * 64);
    conv2dKernel(x, w, want, g);
    expect(Array.from(read(b, out))).toEqual(Array.from(want));
    expect(Number.isFinite(read(b, out)[4 * 8 + 4]!)).toBe(true);
  });
});
