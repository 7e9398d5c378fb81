import { keep, noGrad } from '../../engine.js';
import { Module } from '../../nn/module.js';
import { Parameter } from '../../nn/parameter.js';
import { Tensor } from '../../tensor.js';

/** `avg_fn(averaged, current, numAveraged)`: the new value of one averaged tensor. */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: number) => Tensor;
/** `multi_avg_fn(averagedList, currentList, numAveraged)`: updates the averaged tensors in place. */
export type MultiAvgFn = (averaged: Tensor[], current: Tensor[], numAveraged: number) => void;

/**
 * A deep copy of a module (PyTorch's `copy.deepcopy`): the same classes, every tensor
 * cloned (parameters stay `Parameter`s), shared objects stay shared.
 */
export function deepCopyModule<M extends Module>(model: M): M {
  const memo = new Map<unknown, unknown>();
  const copy = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (memo.has(v)) return memo.get(v);
    if (v instanceof Tensor) {
      const c = keep(v.detach().clone());
      const out = v instanceof Parameter ? new Parameter(c, v.requiresGrad) : c.requiresGrad_(v.requiresGrad);
      memo.set(v, out);
      return out;
    }
    if (v instanceof Map) {
      const m = new Map();
      memo.set(v, m);
      for (const [k, x] of v) m.set(k, copy(x));
      return m;
    }
    if (v instanceof Set) {
      const s = new Set();
      memo.set(v, s);
      for (const x of v) s.add(copy(x));
      return s;
    }
    if (Array.isArray(v)) {
      const a: unknown[] = [];
      memo.set(v, a);
      for (const x of v) a.push(copy(x));
      return a;
    }
    const proto = Object.getPrototypeOf(v);
    if (!(v instanceof Module) && proto !== Object.prototype && proto !== null) return v; // e.g. a Backend: shared
    const o = Object.create(proto);
    memo.set(v, o);
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key)!;
      if ('value' in d) d.value = copy(d.value);
      Object.defineProperty(o, key, d);
    }
    return o;
  };
  return copy(model) as M;
}

/**
 * `torch.optim.swa_utils.AveragedModel`: keeps a running average of a model's parameters
 * — an equal-weight SWA average by default, or an EMA with
 * `multiAvgFn: getEmaMultiAvgFn(decay)` / `avgFn: getEmaAvgFn(decay)`. With `useBuffers`,
 * buffers are averaged too; otherwise they keep the values copied at construction (PyTorch
 * recomputes BatchNorm statistics with `update_bn`; stepwise has no BatchNorm yet).
 */
export class AveragedModel<M extends Module = Module> {
  /** The averaged copy of the model. */
  readonly module: M;
  /** Number of models averaged so far (PyTorch's `n_averaged`). */
  nAveraged = 0;
  /** Averaging function per parameter, or `null` for the equal-weight average (PyTorch's `avg_fn`). */
  readonly avgFn: AvgFn | null;
  /** Averaging function over all parameters at once, or `null` (PyTorch's `multi_avg_fn`). */
  readonly multiAvgFn: MultiAvgFn | null;
  /** Average buffers too (PyTorch's `use_buffers`). */
  readonly useBuffers: boolean;

  constructor(
    model: M,
    opts: { avgFn?: AvgFn | null; multiAvgFn?: MultiAvgFn | null; useBuffers?: boolean } = {},
  ) {
    this.module = deepCopyModule(model);
    this.avgFn = opts.avgFn ?? null;
    this.multiAvgFn = opts.multiAvgFn ?? null;
    this.useBuffers = opts.useBuffers ?? false;
  }

  /** Runs the averaged model. */
  forward(...args: any[]): any {
    return this.module.forward(...args);
  }

  private tensorsOf(m: Module): Tensor[] {
    const ps: Tensor[] = [...m.parameters()];
    if (this.useBuffers) for (const [, b] of (m as any).namedBuffers?.() ?? []) ps.push(b);
    return ps;
  }

  /** `update_parameters(model)`: folds the model's current parameters into the average. */
  updateParameters(model: Module): void {
    const mine = this.tensorsOf(this.module);
    const theirs = this.tensorsOf(model);
    if (mine.length !== theirs.length) {
      throw new TypeError(
        `AveragedModel: the model has ${theirs.length} tensors to average, the average has ${mine.length}`,
      );
    }
    noGrad(() => {
      if (this.nAveraged === 0) {
        mine.forEach((a, i) => {
          a.copy_(theirs[i]!);
        });
      } else if (this.multiAvgFn) {
        this.multiAvgFn(mine, theirs, this.nAveraged);
      } else {
        mine.forEach((a, i) => {
          const cur = theirs[i]!;
          const next = this.avgFn
            ? this.avgFn(a, cur, this.nAveraged)
            : a.add(cur.sub(a).div(this.nAveraged + 1));
          a.copy_(next);
          next.dispose();
        });
      }
    });
    this.nAveraged++;
  }
}

/** `get_ema_avg_fn(decay)`: averaged ← decay·averaged + (1 − decay)·current. */
export function getEmaAvgFn(decay = 0.999): AvgFn {
  return (avg, cur) => avg.mul(decay).add(cur.mul(1 - decay));
}

/** `get_ema_multi_avg_fn(decay)`: the in-place EMA over all tensors. */
export function getEmaMultiAvgFn(decay = 0.999): MultiAvgFn {
  return (avgs, curs) => {
    avgs.forEach((a, i) => {
      const d = a.sub(curs[i]!).mul(decay).add(curs[i]!);
      a.copy_(d);
      d.dispose();
    });
  };
}
