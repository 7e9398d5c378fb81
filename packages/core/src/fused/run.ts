/**
 * Runs a fused program on tensors: the one door from optimizers to `Backend.fused` (or, on
 * a backend without it, to the composed fallback).
 */
import type { FusedTensorArgs, Storage } from '../backend.js';
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
  // Plain loops, the message built only on a throw: this runs for every optimizer step,
  // ReLU backward and loss of a training step, and small models pay for its overhead.
  const names = program.buffers;
  const scalarNames = program.scalars;
  const tensors: { buffers: Tensor[]; scalars: number[] }[] = new Array(entries.length);
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k]!;
    const byName = entry.buffers as Record<string, unknown>;
    const buffers: Tensor[] = new Array(names.length);
    for (let i = 0; i < names.length; i++) {
      const t = byName[names[i]!];
      if (!(t instanceof Tensor)) {
        throw new ValueError(
          `fused program '${program.name}': entry ${k} has no tensor for buffer '${names[i]}' (got ${typeOf(t)})`,
        );
      }
      buffers[i] = t;
    }
    const numbers = entry.scalars as Record<string, unknown>;
    const scalars: number[] = new Array(scalarNames.length);
    for (let i = 0; i < scalarNames.length; i++) {
      const v = numbers[scalarNames[i]!];
      if (typeof v !== 'number') {
        throw new ValueError(
          `fused program '${program.name}': entry ${k} has no number for scalar '${scalarNames[i]}' (got ${typeOf(v)})`,
        );
      }
      scalars[i] = v;
    }
    tensors[k] = { buffers, scalars };
  }
  const first = tensors[0]!.buffers[0];
  if (first === undefined) return;
  const backend = first.backend;
  for (const { buffers } of tensors) {
    const lead = buffers[0]!;
    if (!isFloat(lead.dtype))
      throw new DTypeError(`fused program '${program.name}' needs floating point buffers, got ${lead.dtype}`);
    const n = lead.numel();
    for (let i = 1; i < buffers.length; i++) {
      const b = buffers[i]!;
      if (b.dtype !== lead.dtype || b.backend !== backend || b.numel() !== n) {
        throw new ValueError(
          `fused program '${program.name}': buffer '${names[i]}' is ${b.dtype} ${shapeStr(b.shape)} on '${b.backend.name}', expected ${lead.dtype} ${shapeStr(lead.shape)} on '${backend.name}'`,
        );
      }
    }
  }
  if (options.composed || backend.fused === undefined) {
    runFusedComposed(program, tensors);
    return;
  }
  const args: FusedTensorArgs[] = new Array(tensors.length);
  for (let k = 0; k < tensors.length; k++) {
    const { buffers, scalars } = tensors[k]!;
    const storages: Storage[] = new Array(buffers.length);
    for (let i = 0; i < buffers.length; i++) storages[i] = buffers[i]!.storage;
    args[k] = { buffers: storages, scalars };
  }
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
