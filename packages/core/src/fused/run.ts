/**
 * Runs a fused program on tensors: the one door from optimizers to `Backend.fused` (or, on
 * a backend without it, to the composed fallback).
 */
import type { FusedTensorArgs } from '../backend.js';
import { isFloat } from '../dtype.js';
import { DTypeError, shapeStr, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { runFusedComposed } from './composed.js';
import { lowerFused } from './lower.js';
import type { FusedProgram } from './program.js';

/**
 * One tensor's part of a fused call, by name: `buffers` (param, grad and state tensors)
 * and `scalars` (numbers computed on the host this step). Names the program does not
 * declare are ignored, so one record can serve every configuration of an optimizer.
 */
export interface FusedEntry<B extends string = string, S extends string = string> {
  /** The tensors bound to the program's buffers, by name. */
  readonly buffers: { readonly [K in B]: Tensor };
  /** The numbers bound to the program's scalars, by name. */
  readonly scalars: { readonly [K in S]: number };
}

/** The entry type of a program: `FusedEntryOf<typeof program>`. */
export type FusedEntryOf<P> = P extends FusedProgram<infer B, infer S> ? FusedEntry<B, S> : never;

/** Options of `runFused`. */
export interface RunFusedOptions {
  /** Run the composed Tensor-op path even where the backend has `fused` (checks, `withComposedUpdates`). */
  readonly composed?: boolean;
}

/**
 * Runs `program` over every entry in one backend call: validates names, sizes, dtypes and
 * backends, and bumps the version counter of every buffer the program stores to (in-place
 * writes). A backend without `fused` runs the composed fallback (`composed.ts`).
 */
export function runFused<B extends string, S extends string>(
  program: FusedProgram<B, S>,
  entries: readonly FusedEntry<NoInfer<B>, NoInfer<S>>[],
  options: RunFusedOptions = {},
): void {
  if (entries.length === 0) return;
  const what = `fused program '${program.name}'`;
  const tensors = entries.map((entry, k) => {
    const buffers = program.buffers.map((name) => {
      const t = (entry.buffers as Record<string, unknown>)[name];
      if (!(t instanceof Tensor)) {
        throw new ValueError(`${what}: entry ${k} has no tensor for buffer '${name}' (got ${typeOf(t)})`);
      }
      return t;
    });
    const scalars = program.scalars.map((name) => {
      const v = (entry.scalars as Record<string, unknown>)[name];
      if (typeof v !== 'number') {
        throw new ValueError(`${what}: entry ${k} has no number for scalar '${name}' (got ${typeOf(v)})`);
      }
      return v;
    });
    return { buffers, scalars };
  });
  const first = tensors[0]!.buffers[0];
  if (first === undefined) return;
  const backend = first.backend;
  for (const { buffers } of tensors) {
    const lead = buffers[0]!;
    if (!isFloat(lead.dtype)) throw new DTypeError(`${what} needs floating point buffers, got ${lead.dtype}`);
    buffers.forEach((b, i) => {
      if (b.numel() !== lead.numel() || b.dtype !== lead.dtype || b.backend !== backend) {
        throw new ValueError(
          `${what}: buffer '${program.buffers[i]}' is ${b.dtype} ${shapeStr(b.shape)} on '${b.backend.name}', expected ${lead.dtype} ${shapeStr(lead.shape)} on '${backend.name}'`,
        );
      }
    });
  }
  if (options.composed || backend.fused === undefined) {
    runFusedComposed(program, tensors);
    return;
  }
  const args: FusedTensorArgs[] = tensors.map(({ buffers, scalars }) => ({
    buffers: buffers.map((b) => b.storage),
    scalars,
  }));
  backend.fused(program, args);
  const stores = lowerFused(program).stores;
  for (const { buffers } of tensors) {
    for (const i of stores) {
      const b = buffers[i]!;
      // A view's kernel ran on its contiguous copy (`Tensor.storage`): write it through.
      if (!b._whole) backend.copyToView(b.storage, b._strided());
      b._bumpVersion();
    }
  }
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : v instanceof Tensor ? 'a tensor' : typeof v;
}
