/**
 * Autograd behaviours against PyTorch (fixtures/autograd.json): accumulation over two
 * backward calls, retainGraph, noGrad/enableGrad, non-leaf `.grad`, `autograd.grad`,
 * detach, in-place errors (leaf, version counter), assignable `.grad`.
 * Runs in float64 (the fixture's dtype); a backend without float64 runs the same programs
 * in float32 with the float32 tolerance, and the float64 error is checked once.
 */

import type { DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { expect, it } from 'vitest';
import type { FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, expectThrowsPhrase, expectValues, tol } from './util.js';

interface Err {
  readonly type: string;
  readonly message: string;
  readonly keyPhrase: string;
}
type N = FixtureNumber[];

interface AutogradFixture {
  accumulate: { x: number[]; afterFirst: N; afterSecond: N };
  retainGraph: { x: number[]; afterFirst: N; afterSecond: N; error: Err };
  noGrad: {
    x: number[];
    y: N;
    yRequiresGrad: boolean;
    yGradFn: string | null;
    yIsLeaf: boolean;
    zRequiresGrad: boolean;
    zGradFn: string;
  };
  nonLeaf: {
    x: number[];
    c: number[];
    xGrad: N;
    yGradIsNone: boolean;
    yIsLeaf: boolean;
    xIsLeaf: boolean;
    cIsLeaf: boolean;
    cRequiresGrad: boolean;
    yRequiresGrad: boolean;
    cGradIsNone: boolean;
  };
  autogradGrad: { x: number[]; w: number[]; gx: N; gw: N; xGradIsNone: boolean; wGradIsNone: boolean };
  detach: { x: number[]; y: N; requiresGrad: boolean; isLeaf: boolean; gradFnIsNone: boolean };
  leafInPlace: { error: Err };
  leafInPlaceNoGrad: { x: number[]; after: N; requiresGrad: boolean; isLeaf: boolean };
  versionCounter: { error: Err };
  versionCounterOutput: { error: Err };
  nonLeafInPlace: { x: number[]; a: N; xGrad: N; gradFn: string };
  usedTwice: { x: number[]; xGrad: N };
  nonScalar: { error: Err };
  explicitGradient: { x: number[]; gradient: number[]; xGrad: N };
  assignGrad: { x: number[]; xGrad: N };
  propagation: { mixedRequiresGrad: boolean; mixedGradFn: string; plainRequiresGrad: boolean };
  noGradBackward: { error: Err };
  intRequiresGrad: { error: Err };
  detachInPlace: { y: N; requiresGrad: boolean; isLeaf: boolean };
  seedGradient: { loss: number; wGrad: N; bGrad: N; lossGradFn: string; zGradFn: string };
}

export function registerAutogradTests(ctx: ConformanceContext): void {
  const fx = loadFixture<AutogradFixture>('autograd');
  // The behaviours do not depend on the dtype; the fixture is float64.
  const dt = (): DType => (ctx.supports('float64') ? 'float64' : 'float32');
  const T = (v: number[], requiresGrad = false): Tensor => torch.tensor(v, { dtype: dt(), requiresGrad });
  const close = (t: Tensor | null, e: N, what: string) => {
    expect(t, what).not.toBeNull();
    return expectValues(t!, e, tol(dt()), what);
  };

  it('float64 is available, or refused clearly', () => {
    if (!ctx.supports('float64')) return expectDTypeUnsupported(ctx, 'float64');
    expect(T([1]).dtype).toBe('float64');
  });

  it('gradients accumulate over two backward calls', async () => {
    const c = fx.accumulate;
    const x = T(c.x, true);
    x.mul(x).sum().backward();
    await close(x.grad, c.afterFirst, 'after first backward');
    x.mul(x).sum().backward();
    await close(x.grad, c.afterSecond, 'after second backward');
  });

  it('retainGraph: a second backward accumulates; without it, a clear error', async () => {
    const c = fx.retainGraph;
    let x = T(c.x, true);
    let y = x.exp().mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    await close(x.grad, c.afterFirst, 'after first backward');
    y.backward();
    await close(x.grad, c.afterSecond, 'after second backward');
    x = T(c.x, true);
    y = x.exp().mul(x).sum();
    y.backward();
    const yy = y;
    expectThrowsPhrase(() => yy.backward(), c.error.keyPhrase);
  });

  it('noGrad records nothing; enableGrad inside it records again', async () => {
    const c = fx.noGrad;
    const x = T(c.x, true);
    let z: Tensor | undefined;
    const y = torch.noGrad(() => {
      const r = x.mul(2);
      z = torch.enableGrad(() => x.mul(3));
      return r;
    });
    expect(y.requiresGrad).toBe(c.yRequiresGrad);
    expect(y.gradFn).toBeNull();
    expect(y.isLeaf).toBe(c.yIsLeaf);
    await close(y, c.y, 'y');
    expect(z!.requiresGrad).toBe(c.zRequiresGrad);
    expect(z!.gradFn?.name).toBe(c.zGradFn);
    // Grad mode is restored after noGrad returns.
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it('noGrad restores grad mode when fn throws', () => {
    const x = T([1], true);
    expect(() =>
      torch.noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it('a non-leaf .grad stays null; leaf flags', async () => {
    const c = fx.nonLeaf;
    const x = T(c.x, true);
    const k = T(c.c);
    const y = x.mul(k);
    y.sum().backward();
    await close(x.grad, c.xGrad, 'x.grad');
    expect(y.grad === null).toBe(c.yGradIsNone);
    expect(y.isLeaf).toBe(c.yIsLeaf);
    expect(x.isLeaf).toBe(c.xIsLeaf);
    expect(k.isLeaf).toBe(c.cIsLeaf);
    expect(k.requiresGrad).toBe(c.cRequiresGrad);
    expect(y.requiresGrad).toBe(c.yRequiresGrad);
    expect(k.grad === null).toBe(c.cGradIsNone);
  });

  it('autograd.grad returns gradients and leaves .grad untouched', async () => {
    const c = fx.autogradGrad;
    const x = T(c.x, true);
    const w = T(c.w, true);
    const L = x.pow(3).mul(w).sum();
    const [gx, gw] = torch.autograd.grad(L, [x, w]);
    await close(gx!, c.gx, 'dL/dx');
    await close(gw!, c.gw, 'dL/dw');
    expect(x.grad === null).toBe(c.xGradIsNone);
    expect(w.grad === null).toBe(c.wGradIsNone);
  });

  it('detach() cuts the graph and shares values', async () => {
    const c = fx.detach;
    const x = T(c.x, true);
    const y = x.mul(2).detach();
    expect(y.requiresGrad).toBe(c.requiresGrad);
    expect(y.isLeaf).toBe(c.isLeaf);
    expect(y.gradFn === null).toBe(c.gradFnIsNone);
    await close(y, c.y, 'detached values');
  });

  it('detach_() makes a non-leaf a leaf in place', async () => {
    const c = fx.detachInPlace;
    const x = T(fx.detach.x, true);
    const y = x.mul(2);
    y.detach_();
    expect(y.requiresGrad).toBe(c.requiresGrad);
    expect(y.isLeaf).toBe(c.isLeaf);
    await close(y, c.y, 'values');
  });

  it('in-place op on a leaf that requires grad is an error', async () => {
    const x = T(fx.accumulate.x, true);
    const before = Array.from(await x.data());
    expectThrowsPhrase(() => x.add_(1), fx.leafInPlace.error.keyPhrase);
    // State untouched after a failed call.
    expect(Array.from(await x.data())).toEqual(before);
  });

  it('in-place op on a leaf inside noGrad is allowed', async () => {
    const c = fx.leafInPlaceNoGrad;
    const x = T(c.x, true);
    torch.noGrad(() => x.mul_(2));
    await close(x, c.after, 'x after mul_');
    expect(x.requiresGrad).toBe(c.requiresGrad);
    expect(x.isLeaf).toBe(c.isLeaf);
  });

  it('backward through a saved tensor modified in place is an error (version counter)', () => {
    const x = T(fx.accumulate.x, true);
    const a = x.mul(2);
    const b = a.mul(a);
    a.add_(1);
    expectThrowsPhrase(() => b.sum().backward(), fx.versionCounter.error.keyPhrase);
  });

  it('modifying an output that its own backward needs is an error (exp saves its result)', () => {
    const x = T(fx.accumulate.x, true);
    const e = x.exp();
    e.mul_(2);
    expectThrowsPhrase(() => e.sum().backward(), fx.versionCounterOutput.error.keyPhrase);
  });

  it('in-place ops on a non-leaf nothing saved: gradient flows through', async () => {
    const c = fx.nonLeafInPlace;
    const x = T(c.x, true);
    const a = x.mul(2);
    a.mul_(3);
    a.add_(1);
    expect(a.gradFn?.name).toBe(c.gradFn);
    await close(a, c.a, 'a');
    a.sum().backward();
    await close(x.grad, c.xGrad, 'x.grad');
  });

  it('a leaf used twice in one graph gets both contributions', async () => {
    const c = fx.usedTwice;
    const x = T(c.x, true);
    x.mul(x).add(x).sum().backward();
    await close(x.grad, c.xGrad, 'x.grad');
  });

  it('backward of a non-scalar needs a gradient; with one it works', async () => {
    const x = T(fx.explicitGradient.x, true);
    const y = x.mul(x);
    expectThrowsPhrase(() => y.backward(), fx.nonScalar.error.keyPhrase);
    y.backward(T(fx.explicitGradient.gradient));
    await close(x.grad, fx.explicitGradient.xGrad, 'x.grad');
  });

  it('.grad is assignable and backward accumulates into it', async () => {
    const c = fx.assignGrad;
    const x = T(c.x, true);
    x.grad = torch.onesLike(x);
    x.mul(3).sum().backward();
    await close(x.grad, c.xGrad, 'x.grad');
  });

  it('requiresGrad propagates through mixed inputs', () => {
    const c = fx.propagation;
    const x = T(fx.accumulate.x);
    const w = T([1, 1, 1], true);
    const y = x.add(w);
    expect(y.requiresGrad).toBe(c.mixedRequiresGrad);
    expect(y.gradFn?.name).toBe(c.mixedGradFn);
    expect(x.add(x).requiresGrad).toBe(c.plainRequiresGrad);
  });

  it('backward of a tensor that does not require grad is an error', () => {
    const x = T(fx.accumulate.x);
    expectThrowsPhrase(() => x.sum().backward(), fx.noGradBackward.error.keyPhrase);
  });

  it('only floating point tensors can require grad', () => {
    expectThrowsPhrase(
      () => torch.tensor([1, 2], { dtype: 'int32' }).requiresGrad_(),
      fx.intRequiresGrad.error.keyPhrase,
    );
  });

  it("the seed program's gradient (matmul, add, exp, log, sub, mul with int32 labels, sum)", async () => {
    const c = fx.seedGradient;
    const d = dt();
    const x = torch.tensor(
      [
        [2.5, 1.3, 6.2, 1.3, 5.4, 6, 4.3, 8.2],
        [-1.2, 2.5, 3.6, 4, 3.4, 2.3, 7.2, 3.9],
      ],
      { dtype: d },
    ).T;
    const y = torch.tensor([0, 0, 1, 0, 1, 1, 1, 1], { dtype: 'int32' });
    const w = torch.tensor([2, 2], { dtype: d, requiresGrad: true });
    const b = torch.tensor([1], { dtype: d, requiresGrad: true });
    const z = x.matmul(w).add(b);
    const L = torch.log(torch.exp(z).add(1)).sub(y.mul(z)).sum();
    expect(L.gradFn?.name).toBe(c.lossGradFn);
    expect(z.gradFn?.name).toBe(c.zGradFn);
    L.backward();
    await expectValues(L, [c.loss], tol(d, 'loose'), 'loss');
    await expectValues(w.grad!, c.wGrad, tol(d, 'loose'), 'w.grad');
    await expectValues(b.grad!, c.bGrad, tol(d, 'loose'), 'b.grad');
  });
}
