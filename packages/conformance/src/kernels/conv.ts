/**
 * conv2d (forward and both backward pieces) and max pooling (values, argmax, backward)
 * against the reference, over geometries with groups, strides, padding, dilation,
 * 1x1 and tall kernels; pooling over ties and a NaN.
 */

import type { Conv2dGeometry, Pool2dGeometry } from '@stepwise/core';
import { describe, it } from 'vitest';
import { SeededRng } from '../seeded.js';
import type { KernelHarness, KernelScope } from './harness.js';

const outSize = (n: number, k: number, stride: number, pad: number, dil: number) =>
  Math.floor((n + 2 * pad - dil * (k - 1) - 1) / stride) + 1;

/** [batch, inChannels, inH, inW, outChannels, kH, kW, stride, pad, dilation, groups] */
type ConvSpec = [number, number, number, number, number, number, number, number, number, number, number];

const CONVS: ConvSpec[] = [
  [2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1],
  [2, 3, 7, 6, 4, 3, 3, 1, 0, 1, 1],
  [1, 4, 9, 9, 6, 3, 2, 2, 0, 2, 2],
  [1, 4, 9, 9, 6, 3, 3, 2, 1, 1, 2],
  [3, 5, 4, 5, 7, 1, 1, 1, 0, 1, 1],
  [1, 1, 33, 1, 2, 5, 1, 3, 2, 1, 1],
  [2, 2, 10, 8, 2, 3, 3, 1, 2, 2, 1],
  [1, 1, 5, 5, 1, 5, 5, 3, 2, 1, 1],
];

function conv(spec: ConvSpec): Conv2dGeometry {
  const [batch, inChannels, inH, inW, outChannels, kH, kW, s, pad, d, groups] = spec;
  return {
    batch,
    inChannels,
    inH,
    inW,
    outChannels,
    outH: outSize(inH, kH, s, pad, d),
    outW: outSize(inW, kW, s, pad, d),
    kH,
    kW,
    strideH: s,
    strideW: s,
    padH: pad,
    padW: pad,
    dilationH: d,
    dilationW: d,
    groups,
  };
}

/** [channels, inH, inW, k, stride, pad, dilation] */
const POOLS: [number, number, number, number, number, number, number][] = [
  [6, 8, 7, 2, 2, 0, 1],
  [6, 8, 8, 2, 2, 0, 1],
  [2, 9, 9, 3, 2, 1, 1],
  [2, 7, 5, 3, 2, 1, 1],
  [3, 10, 6, 2, 1, 1, 2],
  [1, 9, 9, 2, 1, 1, 3],
];

function pool([channels, inH, inW, k, s, pad, d]: (typeof POOLS)[number]): Pool2dGeometry {
  return {
    channels,
    inH,
    inW,
    outH: outSize(inH, k, s, pad, d),
    outW: outSize(inW, k, s, pad, d),
    kH: k,
    kW: k,
    strideH: s,
    strideW: s,
    padH: pad,
    padW: pad,
    dilationH: d,
    dilationW: d,
  };
}

export function registerConvKernels(h: () => KernelHarness, dtypes: KernelScope): void {
  describe('conv2d', () => {
    for (const dtype of dtypes(['float32', 'float64'])) {
      it(`forward and both backward pieces, ${dtype}`, ({ skip }) => {
        if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
        const rng = new SeededRng(31 + dtype.length);
        for (const spec of CONVS) {
          const g = conv(spec);
          const xs = g.batch * g.inChannels * g.inH * g.inW;
          const ws = (g.outChannels * g.inChannels * g.kH * g.kW) / g.groups;
          const os = g.batch * g.outChannels * g.outH * g.outW;
          const x = h().input(dtype, rng.values(xs, -3, 3));
          const w = h().input(dtype, rng.values(ws, -3, 3));
          const gy = h().input(dtype, rng.values(os, -3, 3));
          const out = h().output(dtype, os);
          const gx = h().output(dtype, xs);
          const gw = h().output(dtype, ws);
          h().run((k, s) => {
            k.conv2d(s(x), s(w), s(out), g);
            k.conv2dBackwardInput(s(gy), s(w), s(gx), g);
            k.conv2dBackwardWeight(s(gy), s(x), s(gw), g);
          });
          // Each element sums products: held to the sums of their magnitudes.
          const r = h().reference;
          const [ax, aw, agy] = [h().absOf(x), h().absOf(w), h().absOf(gy)];
          const [mOut, mGx, mGw] = [h().referenceLike(out), h().referenceLike(gx), h().referenceLike(gw)];
          r.conv2d(ax, aw, mOut, g);
          r.conv2dBackwardInput(agy, aw, mGx, g);
          r.conv2dBackwardWeight(agy, ax, mGw, g);
          const what = `[${spec}]`;
          h().expect(out, 'accumulated', `conv2d ${dtype} ${what}`, mOut);
          h().expect(gx, 'accumulated', `conv2dBackwardInput ${dtype} ${what}`, mGx);
          h().expect(gw, 'accumulated', `conv2dBackwardWeight ${dtype} ${what}`, mGw);
        }
      });
    }
  });

  describe('maxPool2d', () => {
    for (const dtype of dtypes(['float32', 'float64'])) {
      it(`values, argmax and backward, ${dtype} (ties and a NaN)`, ({ skip }) => {
        if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
        const rng = new SeededRng(41 + dtype.length);
        for (const spec of POOLS) {
          const g = pool(spec);
          const n = g.channels * g.inH * g.inW;
          // Rounded values make ties (the first wins); a NaN checks propagation.
          const values = rng.values(n, -3, 3).map((v, i) => (i % 3 === 0 ? Math.round(v) : v));
          values[5] = Number.NaN;
          const x = h().input(dtype, values);
          const nOut = g.channels * g.outH * g.outW;
          const out = h().output(dtype, nOut);
          const am = h().output('int32', nOut);
          const gy = h().input(dtype, rng.values(nOut, -3, 3));
          const gx = h().output(dtype, n);
          h().run((k, s) => {
            k.maxPool2d(s(x), s(out), s(am), g);
            k.maxPool2dBackward(s(gy), s(am), s(gx), g);
          });
          h().expect(out, 'exact', `maxPool2d ${dtype} [${spec}]`);
          h().expect(am, 'exact', `maxPool2d argmax ${dtype} [${spec}]`);
          h().expect(gx, 'elementwise', `maxPool2dBackward ${dtype} [${spec}]`);
        }
      });
    }
  });
}
