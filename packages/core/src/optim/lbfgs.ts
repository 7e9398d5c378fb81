import { enableGrad, keep, noGrad, tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import { zeros } from '../ops/creation.js';
import { cat } from '../ops/shape.js';
import { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';
import { type ParamGroupInput, type Params, scalarValue } from './paramGroups.js';
import { type OptimizerSpec, resolveOptions } from './spec.js';
import { count, initState, type OptimizerState, type StateSpec } from './state.js';
import { checkLr } from './validate.js';

/** Options of `LBFGS` (PyTorch's keyword arguments, camelCase). */
export interface LBFGSOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number;
  /** Maximum iterations per `step` (PyTorch's `max_iter`). */
  maxIter?: number;
  /** Default: maxIter · 5/4, rounded down. */
  maxEval?: number | null;
  /** Stop when the gradient's largest magnitude is below this (PyTorch's `tolerance_grad`). */
  toleranceGrad?: number;
  /** Stop when the change of loss or parameters is below this (PyTorch's `tolerance_change`). */
  toleranceChange?: number;
  /** Number of past updates kept (PyTorch's `history_size`). */
  historySize?: number;
  /** `'strong_wolfe'` or `null` for a fixed step (PyTorch's `line_search_fn`). */
  lineSearchFn?: 'strong_wolfe' | null;
}

/** A closure re-evaluating the model: zero the grads, compute the loss, `backward()`, return it. */
export type LBFGSClosure = () => Tensor | number | Promise<Tensor | number>;

async function lossValue(v: Tensor | number): Promise<number> {
  if (typeof v === 'number') return v;
  if (!(v instanceof Tensor))
    throw new TypeError(`the LBFGS closure must return a Tensor or a number, got ${typeof v}`);
  return (await v.data())[0]!;
}

/** The value of a 0-dim tensor (read back), disposing it. */
async function take(t: Tensor): Promise<number> {
  const v = (await t.data())[0]!;
  t.dispose();
  return v;
}

/** Runs `fn` without grad recording, disposing every intermediate it does not return. */
function tk<T>(fn: () => T): T {
  return noGrad(() => tidy(fn));
}

/** max |t| as a number. */
const maxAbs = (t: Tensor) => take(tk(() => t.abs().max() as Tensor));

/** Cubic interpolation of the minimum between two points (PyTorch's `_cubic_interpolate`). */
function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: [number, number],
): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/**
 * `torch.optim.LBFGS`: limited-memory BFGS over all parameters as one flat vector, with
 * an optional strong-Wolfe line search (cubic interpolation, c1 = 1e-4, c2 = 0.9, 25
 * evaluations at most).
 *
 *   first iteration: d = −g, H = 1;  later: y = g − g_prev, s = t·d; if y·s > 1e-10 keep
 *   (y, s, 1/(y·s)) (at most historySize) and H = y·s/(y·y); d = −(two-loop recursion)(g)
 *   t = min(1, 1/‖g‖₁)·lr on the very first iteration, else lr (or the line search's t)
 *   stop on maxIter, maxEval evaluations, max|g| ≤ toleranceGrad, max|t·d| ≤ toleranceChange
 *   or |Δloss| < toleranceChange.
 *
 * `step(closure)` is async (it must read the loss and the gradient to decide) and resolves
 * to the closure's first value. It works on every backend: vectors stay tensors on the
 * backend, only scalars (dot products, the loss) are read back. One param group only, as
 * PyTorch. State lives on the first parameter: `funcEvals`, `nIter`, `d`, `t`, `oldDirs`,
 * `oldStps`, `ro`, `HDiag`, `prevFlatGrad`, `prevLoss`, `al` (scalars as numbers).
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  constructor(params: Params, options: LBFGSOptions = {}) {
    const d = resolveOptions('LBFGS', options, lbfgs);
    if (d.maxEval === null) d.maxEval = Math.floor((d.maxIter * 5) / 4);
    // maxEval's null is an option only (maxIter·5/4): a group always holds a number.
    super(params, d, { ...lbfgs.defaults, maxEval: d.maxEval }, lbfgs);
    if (this.paramGroups.length !== 1) {
      throw new ValueError("LBFGS doesn't support per-parameter options (parameter groups)");
    }
  }

  override addParamGroup(group: ParamGroupInput): void {
    if (this.paramGroups.length >= 1) {
      throw new ValueError("LBFGS doesn't support per-parameter options (parameter groups)");
    }
    super.addParamGroup(group);
  }

  /** LBFGS needs a closure; use `await lbfgs.step(closure)`. */
  protected _update(): void {
    throw new ValueError('LBFGS.step needs a closure that re-evaluates the model and returns the loss');
  }

  private get _params(): Tensor[] {
    return this.paramGroups[0]!.params;
  }

  private _flatGrad(): Tensor {
    return noGrad(() => {
      const views = this._params.map((p) =>
        p.grad ? p.grad.reshape([-1]) : zeros([p.numel()], { dtype: p.dtype, backend: p.backend }),
      );
      const flat = cat(views, 0);
      for (let i = 0; i < views.length; i++) if (!this._params[i]!.grad) views[i]!.dispose();
      return keep(flat);
    });
  }

  private _addGrad(step: number, update: Tensor): void {
    noGrad(() => {
      let offset = 0;
      for (const p of this._params) {
        const n = p.numel();
        const part = update.narrow(0, offset, n);
        const scaled = part.mul(step);
        const shaped = scaled.reshape(p.shape);
        p.add_(shaped);
        shaped.dispose();
        scaled.dispose();
        part.dispose();
        offset += n;
      }
    });
  }

  private _cloneParams(): Tensor[] {
    return noGrad(() => this._params.map((p) => keep(p.detach().clone())));
  }

  private _setParams(x: Tensor[]): void {
    noGrad(() => {
      this._params.forEach((p, i) => {
        p.copy_(x[i]!);
      });
    });
  }

  private async _evaluate(
    closure: LBFGSClosure,
    x: Tensor[],
    t: number,
    d: Tensor,
  ): Promise<[number, Tensor]> {
    this._addGrad(t, d);
    const loss = await lossValue(await enableGrad(closure));
    const g = this._flatGrad();
    this._setParams(x);
    return [loss, g];
  }

  /**
   * One optimization run of up to `maxIter` iterations. Resolves to the closure's first
   * return value (the loss before the step), as PyTorch.
   */
  override step<T = unknown>(closure?: () => T): T {
    if (typeof closure !== 'function') {
      throw new ValueError('LBFGS.step needs a closure that re-evaluates the model and returns the loss');
    }
    return this._loopStep(() => {
      this._optCalled = true;
      const args = this._runPreHooks([closure]);
      return this._run(args[0] as LBFGSClosure).then((r) => {
        this._runPostHooks(args);
        return r;
      });
    }) as T;
  }

  private async _run(closure: LBFGSClosure): Promise<Tensor | number> {
    const group = this.paramGroups[0]!;
    const lr = scalarValue(group.lr);
    const { maxIter, toleranceGrad, toleranceChange, historySize, lineSearchFn } = group;
    const maxEval = group.maxEval ?? Math.floor((maxIter * 5) / 4);
    const p0 = this._params[0]!;
    const r32 = p0.dtype === 'float32' ? Math.fround : (x: number) => x;
    let state = this.state.get(p0);
    if (!state) this.state.set(p0, (state = {}));
    initState(state, lbfgs.state(group, p0), p0, group);

    const origLoss = await enableGrad(closure);
    let loss = await lossValue(origLoss);
    let currentEvals = 1;
    state.funcEvals += 1;
    let flatGrad = this._flatGrad();
    let optCond = (await maxAbs(flatGrad)) <= toleranceGrad;
    if (optCond) {
      flatGrad.dispose();
      return origLoss;
    }

    let d: Tensor | undefined = state.d;
    let t: number = state.t;
    let oldDirs: Tensor[] = state.oldDirs ?? [];
    let oldStps: Tensor[] = state.oldStps ?? [];
    let ro: number[] = state.ro ?? [];
    let hDiag: number = state.HDiag ?? 1;
    let prevFlatGrad: Tensor | undefined = state.prevFlatGrad;
    let prevLoss: number | undefined = state.prevLoss;

    let nIter = 0;
    while (nIter < maxIter) {
      nIter++;
      state.nIter++;
      if (state.nIter === 1) {
        d?.dispose();
        d = keep(noGrad(() => flatGrad.neg()));
        for (const x of [...oldDirs, ...oldStps]) x.dispose();
        oldDirs = [];
        oldStps = [];
        ro = [];
        hDiag = 1;
      } else {
        const [y, s] = noGrad(() => [keep(flatGrad.sub(prevFlatGrad!)), keep(d!.mul(t))]);
        const ys = await take(y.dot(s));
        if (ys > 1e-10) {
          if (oldDirs.length === historySize) {
            oldDirs.shift()!.dispose();
            oldStps.shift()!.dispose();
            ro.shift();
          }
          oldDirs.push(y);
          oldStps.push(s);
          ro.push(r32(1 / ys));
          hDiag = r32(ys / (await take(y.dot(y))));
        } else {
          y.dispose();
          s.dispose();
        }
        const numOld = oldDirs.length;
        if (!state.al) state.al = new Array(historySize).fill(null);
        const al: (number | null)[] = state.al;
        let q = noGrad(() => flatGrad.neg());
        for (let i = numOld - 1; i >= 0; i--) {
          al[i] = r32((await take(oldStps[i]!.dot(q))) * ro[i]!);
          const next = tk(() => q.sub(oldDirs[i]!.mul(al[i]!)));
          q.dispose();
          q = next;
        }
        let r = noGrad(() => q.mul(hDiag));
        q.dispose();
        for (let i = 0; i < numOld; i++) {
          const be = r32((await take(oldDirs[i]!.dot(r))) * ro[i]!);
          const next = tk(() => r.add(oldStps[i]!.mul(r32(al[i]! - be))));
          r.dispose();
          r = next;
        }
        d?.dispose();
        d = keep(r);
      }
      if (prevFlatGrad === undefined) prevFlatGrad = keep(noGrad(() => flatGrad.clone()));
      else noGrad(() => prevFlatGrad!.copy_(flatGrad));
      prevLoss = loss;

      if (state.nIter === 1) {
        const l1 = await take(tk(() => flatGrad.abs().sum()));
        t = r32(Math.min(1, r32(1 / l1)) * lr);
      } else {
        t = lr;
      }
      const gtd = await take(flatGrad.dot(d!));
      if (gtd > -toleranceChange) break;

      let lsFuncEvals = 0;
      if (lineSearchFn === 'strong_wolfe') {
        const xInit = this._cloneParams();
        const res = await this._strongWolfe(closure, xInit, t, d!, loss, flatGrad, gtd);
        for (const x of xInit) x.dispose();
        loss = res.f;
        flatGrad.dispose();
        flatGrad = res.g;
        t = res.t;
        lsFuncEvals = res.evals;
        this._addGrad(t, d!);
        optCond = (await maxAbs(flatGrad)) <= toleranceGrad;
      } else {
        this._addGrad(t, d!);
        if (nIter !== maxIter) {
          loss = await lossValue(await enableGrad(closure));
          flatGrad.dispose();
          flatGrad = this._flatGrad();
          optCond = (await maxAbs(flatGrad)) <= toleranceGrad;
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      state.funcEvals += lsFuncEvals;

      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      if ((await take(tk(() => d!.mul(t).abs().max() as Tensor))) <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }
    flatGrad.dispose();
    Object.assign(state, { d, t, oldDirs, oldStps, ro, HDiag: hDiag, prevFlatGrad, prevLoss });
    return origLoss as Tensor | number;
  }

  /** PyTorch's `_strong_wolfe` line search along `d` from `xInit`. */
  private async _strongWolfe(
    closure: LBFGSClosure,
    x: Tensor[],
    t: number,
    d: Tensor,
    f: number,
    g: Tensor,
    gtd: number,
    c1 = 1e-4,
    c2 = 0.9,
    toleranceChange = 1e-9,
    maxLs = 25,
  ): Promise<{ f: number; g: Tensor; t: number; evals: number }> {
    const owned = new Set<Tensor>();
    const own = (tt: Tensor) => {
      owned.add(tt);
      return tt;
    };
    const dNorm = await maxAbs(d);
    g = own(keep(noGrad(() => g.clone())));
    let [fNew, gNew] = await this._evaluate(closure, x, t, d);
    own(gNew);
    let evals = 1;
    let gtdNew = await take(gNew.dot(d));
    let tPrev = 0;
    let fPrev = f;
    let gPrev = g;
    let gtdPrev = gtd;
    let done = false;
    let lsIter = 0;
    let bracket: number[] = [];
    let bracketF: number[] = [];
    let bracketG: Tensor[] = [];
    let bracketGtd: number[] = [];
    while (lsIter < maxLs) {
      if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
        bracket = [tPrev, t];
        bracketF = [fPrev, fNew];
        bracketG = [gPrev, gNew];
        bracketGtd = [gtdPrev, gtdNew];
        break;
      }
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        bracket = [t];
        bracketF = [fNew];
        bracketG = [gNew];
        done = true;
        break;
      }
      if (gtdNew >= 0) {
        bracket = [tPrev, t];
        bracketF = [fPrev, fNew];
        bracketG = [gPrev, gNew];
        bracketGtd = [gtdPrev, gtdNew];
        break;
      }
      const minStep = t + 0.01 * (t - tPrev);
      const maxStep = t * 10;
      const tmp = t;
      t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
      tPrev = tmp;
      fPrev = fNew;
      gPrev = gNew;
      gtdPrev = gtdNew;
      [fNew, gNew] = await this._evaluate(closure, x, t, d);
      own(gNew);
      evals++;
      gtdNew = await take(gNew.dot(d));
      lsIter++;
    }
    if (lsIter === maxLs) {
      bracket = [0, t];
      bracketF = [f, fNew];
      bracketG = [g, gNew];
      bracketGtd = [gtd, gtdNew];
    }
    let insufProgress = false;
    let [lowPos, highPos] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
    while (!done && lsIter < maxLs) {
      if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < toleranceChange) break;
      t = cubicInterpolate(
        bracket[0]!,
        bracketF[0]!,
        bracketGtd[0]!,
        bracket[1]!,
        bracketF[1]!,
        bracketGtd[1]!,
      );
      const bMax = Math.max(...bracket);
      const bMin = Math.min(...bracket);
      const eps = 0.1 * (bMax - bMin);
      if (Math.min(bMax - t, t - bMin) < eps) {
        if (insufProgress || t >= bMax || t <= bMin) {
          t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
          insufProgress = false;
        } else {
          insufProgress = true;
        }
      } else {
        insufProgress = false;
      }
      [fNew, gNew] = await this._evaluate(closure, x, t, d);
      own(gNew);
      evals++;
      gtdNew = await take(gNew.dot(d));
      lsIter++;
      if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]!) {
        bracket[highPos] = t;
        bracketF[highPos] = fNew;
        bracketG[highPos] = gNew;
        bracketGtd[highPos] = gtdNew;
        [lowPos, highPos] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
      } else {
        if (Math.abs(gtdNew) <= -c2 * gtd) {
          done = true;
        } else if (gtdNew * (bracket[highPos]! - bracket[lowPos]!) >= 0) {
          bracket[highPos] = bracket[lowPos]!;
          bracketF[highPos] = bracketF[lowPos]!;
          bracketG[highPos] = bracketG[lowPos]!;
          bracketGtd[highPos] = bracketGtd[lowPos]!;
        }
        bracket[lowPos] = t;
        bracketF[lowPos] = fNew;
        bracketG[lowPos] = gNew;
        bracketGtd[lowPos] = gtdNew;
      }
    }
    const best = bracketG[lowPos]!;
    for (const tt of owned) if (tt !== best) tt.dispose();
    return { f: bracketF[lowPos]!, g: best, t: bracket[lowPos]!, evals };
  }
}

/**
 * LBFGS's spec. The state lives on the group's first parameter: the counters always, and
 * once it has iterated (`nIter > 0`) the direction, step, history and previous gradient,
 * as flat vectors over all parameters. Other parameters keep no state.
 */
export const lbfgs: OptimizerSpec<LBFGSOptions> = {
  name: 'LBFGS',
  pytorch: {
    since: '1.13',
    groupKeys: [
      'lr',
      'max_iter',
      'max_eval',
      'tolerance_grad',
      'tolerance_change',
      'history_size',
      'line_search_fn',
    ],
    tensorState: { HDiag: 'param', ro: 'param', al: 'param' },
  },
  defaults: {
    lr: 1,
    maxIter: 20,
    maxEval: null,
    toleranceGrad: 1e-7,
    toleranceChange: 1e-9,
    historySize: 100,
    lineSearchFn: null,
  },
  check(h) {
    checkLr(h.lr);
    if (h.lineSearchFn !== null && h.lineSearchFn !== 'strong_wolfe')
      throw new ValueError("only 'strong_wolfe' is supported");
  },
  state(g, p): StateSpec {
    if (p !== g.params[0]) return {};
    const n = g.params.reduce((a: number, q: Tensor) => a + q.numel(), 0);
    const iterated = (st: OptimizerState) => st.nIter > 0;
    return {
      funcEvals: count,
      nIter: count,
      d: { kind: 'tensor', shape: [n], required: iterated },
      t: { kind: 'number', required: iterated },
      oldDirs: { kind: 'tensors', shape: [n], required: iterated },
      oldStps: { kind: 'tensors', shape: [n], required: iterated },
      ro: { kind: 'numbers', required: iterated },
      HDiag: { kind: 'number', required: iterated },
      prevFlatGrad: { kind: 'tensor', shape: [n], required: iterated },
      // Only recorded: every iteration sets it before reading it.
      prevLoss: { kind: 'anyNumber', required: iterated },
      al: { kind: 'numbers', nullItems: true },
    };
  },
  /** The history lists have one length, at most `historySize`; `al` holds `historySize` entries. */
  checkLoadedState(st, where, g) {
    const lists = ['oldDirs', 'oldStps', 'ro'].filter((k) => st[k] !== undefined);
    const lengths = lists.map((k) => st[k].length as number);
    const history = g.historySize;
    if (lengths.some((l) => l !== lengths[0])) {
      throw new ValueError(
        `loaded state dict: ${where}.${lists.join(', ')} must have one length, got ${lengths.join(', ')}`,
      );
    }
    if (lengths.length && lengths[0]! > history) {
      throw new ValueError(
        `loaded state dict: ${where}.oldDirs holds ${lengths[0]} entries, more than historySize (${history})`,
      );
    }
    if (st.al !== undefined && st.al.length !== history) {
      throw new ValueError(`loaded state dict: ${where}.al must hold historySize (${history}) entries`);
    }
  },
};
