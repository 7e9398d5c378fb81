/**
 * Helpers shared by the suite files: building tensors from fixture specs, reading values
 * asynchronously (every backend, webgpu included, supports `await t.data()`), and the
 * "this dtype is missing" and "this throws with that phrase" assertions.
 */

import type { DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { expect } from 'vitest';
import { expectClose, type FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { type Tolerance, type ToleranceKind, tolerance } from '../tolerance.js';

/** A tensor as the generators write it: flat row-major data plus shape and dtype. */
export interface TensorSpec {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: readonly (FixtureNumber | boolean)[];
}

/** Fixture values (numbers, 'nan'/'inf' strings, booleans) as FixtureNumbers. */
export function numbers(data: readonly (FixtureNumber | boolean)[]): FixtureNumber[] {
  return data.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
}

/** Nested arrays of `shape` from flat data (a number for shape []). */
export function nest(flat: readonly (number | boolean)[], shape: readonly number[]): any {
  if (shape.length === 0) return flat[0];
  let pos = 0;
  const build = (d: number): any[] => {
    const out = new Array(shape[d]);
    for (let i = 0; i < shape[d]!; i++) out[i] = d === shape.length - 1 ? flat[pos++] : build(d + 1);
    return out;
  };
  return build(0);
}

function plain(v: FixtureNumber | boolean): number | boolean {
  if (typeof v === 'boolean' || typeof v === 'number') return v;
  return v === 'nan' ? Number.NaN : v === 'inf' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** `torch.tensor` of a fixture spec, on the default backend. */
export function fromSpec(spec: TensorSpec, requiresGrad = false): Tensor {
  return torch.tensor(nest(spec.data.map(plain), spec.shape), { dtype: spec.dtype, requiresGrad });
}

/** `torch.tensor(flat data).reshape(shape)` made a leaf again, for data given without a spec. */
export function tensorOf(
  data: readonly (FixtureNumber | boolean)[],
  shape: readonly number[],
  dtype: DType,
  requiresGrad = false,
): Tensor {
  return fromSpec({ data, shape, dtype }, requiresGrad);
}

/** Every value of a tensor as plain numbers (bool as 0/1), read asynchronously. */
export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data(), Number);
}

/** Asserts shape, dtype and values of `t` against a spec. */
export async function expectTensor(
  t: Tensor,
  spec: TensorSpec,
  tol: Tolerance,
  what = 'value',
): Promise<void> {
  expect([...t.shape], `${what}: shape`).toEqual([...spec.shape]);
  expect(t.dtype, `${what}: dtype`).toBe(spec.dtype);
  expectClose(await values(t), numbers(spec.data), tol, what);
}

/** Asserts the values of `t` (any shape) against flat fixture data. */
export async function expectValues(
  t: Tensor,
  expected: readonly (FixtureNumber | boolean)[],
  tol: Tolerance,
  what = 'value',
): Promise<void> {
  expectClose(await values(t), numbers(expected), tol, what);
}

/** The error `fn` throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(e, 'a thrown value should be an Error').toBeInstanceOf(Error);
    return e as Error;
  }
  return expect.fail('expected an error to be thrown, but the call returned normally');
}

/** The error an async `fn` rejects with. */
export async function rejected(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    expect(e, 'a rejection value should be an Error').toBeInstanceOf(Error);
    return e as Error;
  }
  return expect.fail('expected a rejection, but the call resolved');
}

/**
 * A key phrase of a PyTorch message as a pattern: case-insensitive, and a space or an
 * underscore may also be absent, so 'weight_decay' matches our camelCase 'weightDecay' and
 * 'param group' matches 'param_group'.
 */
export function phrasePattern(phrase: string): RegExp {
  const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped.replace(/[ _]/g, '[ _]?'), 'i');
}

/** Asserts `fn` throws an Error whose message contains `phrase` (see `phrasePattern`). */
export function expectThrowsPhrase(fn: () => unknown, phrase: string | RegExp): Error {
  const e = thrown(fn);
  expect(e.message).toMatch(typeof phrase === 'string' ? phrasePattern(phrase) : phrase);
  return e;
}

/**
 * A backend without `dtype` must refuse to create such a tensor with a clear error naming
 * the dtype and the backend. Used in place of every case of that dtype, so nothing is
 * silently skipped.
 */
export function expectDTypeUnsupported(ctx: ConformanceContext, dtype: DType): void {
  const e = thrown(() => torch.tensor([1, 2, 3], { dtype }));
  expect(e.message).toContain(dtype);
  expect(e.message).toContain(ctx.name);
}

/** Shape formats our messages may use: `[2, 3]`, `[2,3]`, `(2, 3)`, `2x3`. */
export function shapePattern(shape: readonly number[]): RegExp {
  const j = (sep: string) => shape.join(sep);
  const alts = [`\\[${j(',\\s*')}\\]`, `\\(${j(',\\s*')},?\\)`, shape.length > 1 ? j('x') : `\\[${j('')}\\]`];
  return new RegExp(alts.join('|'));
}

export function tol(dtype: DType, kind: ToleranceKind = 'elementwise'): Tolerance {
  return tolerance(dtype, kind);
}

/**
 * After a backward from a fixture's cotangent: each input's `.grad` against PyTorch's
 * (`null` where PyTorch has no gradient), with its shape and dtype.
 */
export async function expectInputGrads(
  xs: readonly Tensor[],
  grads: readonly (readonly FixtureNumber[] | null | undefined)[],
  inputs: readonly { readonly shape: readonly number[]; readonly dtype: DType }[],
  tolerance: (dtype: DType) => Tolerance,
  op: string,
): Promise<void> {
  for (let i = 0; i < xs.length; i++) {
    const g = grads[i];
    if (g === null || g === undefined) {
      expect(xs[i]!.grad, `input ${i} needs no grad`).toBeNull();
      continue;
    }
    const grad = xs[i]!.grad;
    expect(grad, `input ${i} grad`).not.toBeNull();
    expect([...grad!.shape], `input ${i} grad shape`).toEqual([...inputs[i]!.shape]);
    expect(grad!.dtype, `input ${i} grad dtype`).toBe(inputs[i]!.dtype);
    await expectValues(grad!, g, tolerance(inputs[i]!.dtype), `${op} grad of input ${i}`);
  }
}
