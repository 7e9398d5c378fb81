import type { Conv2dGeometry, DType, Pool2dGeometry } from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { CpuJsBackend } from '../src/index.js';
import { asDType, expectAllClose, expectSameValues, makeStorage, Rng, randomData, read } from './helpers.js';

function outSize(inN: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((inN + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

function randomConv(rng: Rng): Conv2dGeometry {
  for (;;) {
    const groups = rng.pick([1, 1, 2, 3]);
    const inChannels = groups * rng.int(1, 3);
    const outChannels = groups * rng.int(1, 3);
    const kH = rng.int(1, 4);
    const kW = rng.int(1, 4);
    const strideH = rng.int(1, 3);
    const strideW = rng.int(1, 3);
    const padH = rng.int(0, 2);
    const padW = rng.int(0, 2);
    const dilationH = rng.int(1, 2);
    const dilationW = rng.int(1, 2);
    const inH = rng.pick([1, 5, 7, 9]);
    const inW = rng.pick([1, 4, 7, 11]);
    const outH = outSize(inH, kH, strideH, padH, dilationH);
    const outW = outSize(inW, kW, strideW, padW, dilationW);
    if (outH < 1 || outW < 1) continue;
    const batch = rng.int(1, 3);
    return {
      batch,
      inChannels,
      inH,
      inW,
      outChannels,
      outH,
      outW,
      kH,
      kW,
      strideH,
      strideW,
      padH,
      padW,
      dilationH,
      dilationW,
      groups,
    };
  }
}

/**
 * Naive conv2d by the definition, visiting every (output, tap) pair with explicit bounds
 * tests; the backward references are the same sum read the other two ways.
 */
function refConv(g: Conv2dGeometry, x: ArrayLike<number>, w: ArrayLike<number>, go: ArrayLike<number>) {
  const cinG = g.inChannels / g.groups;
  const coutG = g.outChannels / g.groups;
  const out = new Float64Array(g.batch * g.outChannels * g.outH * g.outW);
  const gx = new Float64Array(g.batch * g.inChannels * g.inH * g.inW);
  const gw = new Float64Array(g.outChannels * cinG * g.kH * g.kW);
  for (let n = 0; n < g.batch; n++)
    for (let oc = 0; oc < g.outChannels; oc++)
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++) {
          const o = ((n * g.outChannels + oc) * g.outH + oh) * g.outW + ow;
          for (let icg = 0; icg < cinG; icg++)
            for (let kh = 0; kh < g.kH; kh++)
              for (let kw = 0; kw < g.kW; kw++) {
                const ih = oh * g.strideH - g.padH + kh * g.dilationH;
                const iw = ow * g.strideW - g.padW + kw * g.dilationW;
                if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) continue;
                const ic = Math.floor(oc / coutG) * cinG + icg;
                const xi = ((n * g.inChannels + ic) * g.inH + ih) * g.inW + iw;
                const wi = ((oc * cinG + icg) * g.kH + kh) * g.kW + kw;
                out[o] += x[xi] * w[wi];
                gx[xi] += go[o] * w[wi];
                gw[wi] += go[o] * x[xi];
              }
        }
  return { out, gx, gw };
}

describe('conv2d', () => {
  const b = new CpuJsBackend();
  for (const dtype of ['float32', 'float64'] as DType[]) {
    it(`${dtype}: forward, input grad and weight grad with stride/padding/dilation/groups`, () => {
      const rng = new Rng(dtype.length * 17);
      const geoms = [
        {
          batch: 1,
          inChannels: 1,
          inH: 1,
          inW: 1,
          outChannels: 1,
          outH: 1,
          outW: 1,
          kH: 1,
          kW: 1,
          strideH: 1,
          strideW: 1,
          padH: 0,
          padW: 0,
          dilationH: 1,
          dilationW: 1,
          groups: 1,
        },
        {
          batch: 2,
          inChannels: 3,
          inH: 33,
          inW: 7,
          outChannels: 4,
          outH: 33,
          outW: 7,
          kH: 3,
          kW: 3,
          strideH: 1,
          strideW: 1,
          padH: 1,
          padW: 1,
          dilationH: 1,
          dilationW: 1,
          groups: 1,
        },
      ];
      // Pointwise (1×1, stride 1, no padding) skips the unfolding: cover it with groups.
      geoms.push({
        batch: 2,
        inChannels: 4,
        inH: 5,
        inW: 7,
        outChannels: 6,
        outH: 5,
        outW: 7,
        kH: 1,
        kW: 1,
        strideH: 1,
        strideW: 1,
        padH: 0,
        padW: 0,
        dilationH: 1,
        dilationW: 1,
        groups: 2,
      });
      for (let t = 0; t < 40; t++) geoms.push(randomConv(rng));
      for (const g of geoms) {
        const xd = randomData(rng, dtype, g.batch * g.inChannels * g.inH * g.inW);
        const wd = randomData(rng, dtype, g.outChannels * (g.inChannels / g.groups) * g.kH * g.kW);
        const god = randomData(rng, dtype, g.batch * g.outChannels * g.outH * g.outW);
        const x = makeStorage(b, dtype, xd);
        const w = makeStorage(b, dtype, wd);
        const go = makeStorage(b, dtype, god);
        const out = b.alloc(dtype, god.length);
        const gx = b.alloc(dtype, xd.length);
        const gw = b.alloc(dtype, wd.length);
        // Overwrite semantics: start from garbage.
        b.fill(gx, 7);
        b.fill(gw, 7);
        b.conv2d(x, w, out, g);
        b.conv2dBackwardInput(go, w, gx, g);
        b.conv2dBackwardWeight(go, x, gw, g);
        const ref = refConv(g, xd, wd, god);
        const rtol = dtype === 'float32' ? 2e-6 : 1e-12;
        // Sums of O(1) terms in another order: cancellation leaves absolute, not relative, error.
        const atol = dtype === 'float32' ? 1e-6 : 1e-12;
        const what = JSON.stringify(g);
        expectAllClose(read(b, out), asDType(dtype, ref.out), rtol, atol, `forward ${what}`);
        expectAllClose(read(b, gx), asDType(dtype, ref.gx), rtol, atol, `grad input ${what}`);
        expectAllClose(read(b, gw), asDType(dtype, ref.gw), rtol, atol, `grad weight ${what}`);
      }
    });
  }
});

function randomPool(rng: Rng): Pool2dGeometry {
  for (;;) {
    const kH = rng.int(1, 4);
    const kW = rng.int(1, 4);
    const dilationH = rng.int(1, 2);
    const dilationW = rng.int(1, 2);
    // PyTorch requires padding ≤ kernel / 2.
    const padH = rng.int(0, Math.floor(kH / 2));
    const padW = rng.int(0, Math.floor(kW / 2));
    const strideH = rng.int(1, 3);
    const strideW = rng.int(1, 3);
    const inH = rng.pick([1, 4, 7, 9]);
    const inW = rng.pick([1, 5, 7, 33]);
    const outH = outSize(inH, kH, strideH, padH, dilationH);
    const outW = outSize(inW, kW, strideW, padW, dilationW);
    if (outH < 1 || outW < 1) continue;
    return {
      channels: rng.int(1, 4),
      inH,
      inW,
      outH,
      outW,
      kH,
      kW,
      strideH,
      strideW,
      padH,
      padW,
      dilationH,
      dilationW,
    };
  }
}

/** Reference max pooling: gather the window's in-bounds taps, then pick (NaN wins, last NaN; else first max). */
function refPool(g: Pool2dGeometry, x: ArrayLike<number>) {
  const out: number[] = [];
  const arg: number[] = [];
  for (let c = 0; c < g.channels; c++)
    for (let oh = 0; oh < g.outH; oh++)
      for (let ow = 0; ow < g.outW; ow++) {
        const taps: number[] = [];
        for (let kh = 0; kh < g.kH; kh++)
          for (let kw = 0; kw < g.kW; kw++) {
            const h = oh * g.strideH - g.padH + kh * g.dilationH;
            const w = ow * g.strideW - g.padW + kw * g.dilationW;
            if (h >= 0 && h < g.inH && w >= 0 && w < g.inW) taps.push(h * g.inW + w);
          }
        const vals = taps.map((t) => x[c * g.inH * g.inW + t]);
        if (taps.length === 0) {
          out.push(Number.NEGATIVE_INFINITY);
          arg.push(-1);
          continue;
        }
        const lastNaN = vals.map((v) => Number.isNaN(v)).lastIndexOf(true);
        let pick = lastNaN;
        if (pick < 0) {
          const m = Math.max(...vals);
          pick = m === Number.NEGATIVE_INFINITY ? 0 : vals.indexOf(m);
        }
        out.push(vals[pick]);
        arg.push(taps[pick]);
      }
  return { out, arg };
}

describe('maxPool2d', () => {
  const b = new CpuJsBackend();
  for (const dtype of ['float32', 'float64'] as DType[]) {
    it(`${dtype}: values, flat-plane argmax and the backward scatter`, () => {
      const rng = new Rng(dtype.length * 23);
      for (let t = 0; t < 60; t++) {
        const g = randomPool(rng);
        const xd = randomData(rng, dtype, g.channels * g.inH * g.inW, { specials: true });
        // Ties, to check the first maximum wins.
        for (let i = 0; i < xd.length; i++) if (rng.next() < 0.3) xd[i] = Math.round(xd[i]);
        const x = makeStorage(b, dtype, xd);
        const nOut = g.channels * g.outH * g.outW;
        const out = b.alloc(dtype, nOut);
        const am = b.alloc('int32', nOut);
        b.maxPool2d(x, out, am, g);
        const ref = refPool(g, xd);
        const what = JSON.stringify(g);
        expectSameValues(read(b, out), asDType(dtype, ref.out), `values ${what}`);
        expectSameValues(read(b, am), Int32Array.from(ref.arg), `argmax ${what}`);

        const god = randomData(rng, dtype, nOut);
        const gx = b.alloc(dtype, xd.length);
        b.fill(gx, 3);
        b.maxPool2dBackward(makeStorage(b, dtype, god), am, gx, g);
        const want = new Float64Array(xd.length);
        for (let c = 0, p = 0; c < g.channels; c++)
          for (let i = 0; i < g.outH * g.outW; i++, p++)
            if (ref.arg[p] >= 0) want[c * g.inH * g.inW + ref.arg[p]] += god[p];
        expectAllClose(
          read(b, gx),
          asDType(dtype, want),
          dtype === 'float32' ? 1e-6 : 1e-15,
          1e-7,
          `backward ${what}`,
        );
      }
    });
  }

  it('pads with -Infinity: a window of -Infinity keeps its first in-bounds index', () => {
    const g: Pool2dGeometry = {
      channels: 1,
      inH: 2,
      inW: 2,
      outH: 2,
      outW: 2,
      kH: 2,
      kW: 2,
      strideH: 1,
      strideW: 1,
      padH: 1,
      padW: 1,
      dilationH: 1,
      dilationW: 1,
    };
    const x = makeStorage(b, 'float32', new Float32Array(4).fill(Number.NEGATIVE_INFINITY));
    const out = b.alloc('float32', 4);
    const am = b.alloc('int32', 4);
    b.maxPool2d(x, out, am, g);
    expect(Array.from(read(b, out))).toEqual(new Array(4).fill(Number.NEGATIVE_INFINITY));
    expect(Array.from(read(b, am))).toEqual([0, 0, 0, 0]);
  });
});
