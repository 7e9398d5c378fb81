/**
 * `layer_norm`, `group_norm` and `batch_norm`: one normalisation core with PyTorch's
 * single backward node each (`NativeLayerNormBackward0`, `NativeGroupNormBackward0`,
 * `NativeBatchNormBackward0`) covering input, weight and bias.
 */
import { recordOp } from '../../autograd/graph.js';
import { noGrad, tidy } from '../../engine.js';
import { DTypeError, ShapeError, shapeStr, ValueError } from '../../errors.js';
import { checkSameBackend, sameShape, sumToShape } from '../../ops/util.js';
import { Tensor } from '../../tensor.js';

/** How one normalisation sees its input. */
interface NormPlan {
  gradFn: string;
  /** The input viewed for the statistics (same numel as the input). */
  statsShape: readonly number[];
  /** Dims of `statsShape` reduced by the statistics (kept). */
  dims: readonly number[];
  /** Shape weight and bias take to broadcast against the input. */
  affineShape: readonly number[];
}

function checkFloatInput(what: string, input: unknown): asserts input is Tensor {
  if (!(input instanceof Tensor)) throw new TypeError(`${what}: input must be a Tensor, got ${typeof input}`);
  if (input.dtype !== 'float32' && input.dtype !== 'float64') {
    throw new DTypeError(`${what}: expected a floating point input, got dtype ${input.dtype}`);
  }
}

function checkParam(
  what: string,
  name: string,
  input: Tensor,
  t: Tensor | null | undefined,
  numel: number,
  shape?: readonly number[],
): void {
  if (t === null || t === undefined) return;
  if (!(t instanceof Tensor)) throw new TypeError(`${what}: ${name} must be a Tensor or null`);
  checkSameBackend(what, input, t);
  if (t.dtype !== input.dtype) {
    throw new DTypeError(
      `${what}: ${name} has dtype ${t.dtype} but input has dtype ${input.dtype}; they must match`,
    );
  }
  const ok = shape
    ? t.dim() === shape.length && t.shape.every((d, i) => d === shape[i])
    : t.numel() === numel;
  if (!ok) {
    throw new ShapeError(
      shape
        ? `${what}: Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${shapeStr(t.shape)} and normalized_shape = ${shapeStr(shape)}`
        : `${what}: ${name} should contain ${numel} elements not ${t.numel()} (shape ${shapeStr(t.shape)})`,
    );
  }
}

/**
 * y = (x − mean)·rstd·weight + bias. With `fixed` the statistics are given (batch norm in
 * eval mode: constants for autograd); otherwise they are the biased mean and variance of
 * `x` over the plan's dims, which `onStats` (batch norm's running update) sees before they
 * are released.
 */
function normalize(
  x: Tensor,
  plan: NormPlan,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  fixed: { mean: Tensor; var: Tensor } | null,
  onStats?: (mean: Tensor, variance: Tensor) => void,
): Tensor {
  const { statsShape, dims, affineShape } = plan;
  const { out, mean, variance, rstd } = noGrad(() =>
    tidy(() => {
      const xv = x.reshape(statsShape);
      let mean: Tensor;
      let variance: Tensor;
      if (fixed) {
        // Copies: the running buffers change in place, the backward must see these values.
        mean = fixed.mean.reshape(affineShape).clone();
        variance = fixed.var.reshape(affineShape).clone();
      } else {
        mean = xv.mean(dims, true);
        variance = xv.sub(mean).square().mean(dims, true);
      }
      const rstd = variance.add(eps).rsqrt();
      let y = xv.sub(mean).mul(rstd);
      if (!sameShape(statsShape, x.shape)) y = y.reshape(x.shape);
      if (weight) y = y.mul(weight.reshape(affineShape));
      if (bias) y = y.add(bias.reshape(affineShape));
      // A reshape is a view of a temporary: the output must own its storage.
      if (y._base !== null) y = y.clone();
      return { out: y, mean, variance, rstd };
    }),
  );
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  recordOp(
    out,
    plan.gradFn,
    inputs,
    (g, needs) => {
      const xv = x.reshape(statsShape);
      const xhat = xv.sub(mean).mul(rstd);
      const wv = weight ? weight.reshape(affineShape) : null;
      let gx: Tensor | null = null;
      if (needs[0]) {
        const dxhat = (wv ? g.mul(wv) : g).reshape(statsShape);
        if (fixed) {
          gx = dxhat.mul(rstd).reshape(x.shape);
        } else {
          const a = dxhat.mean(dims, true);
          const b = dxhat.mul(xhat).mean(dims, true);
          gx = dxhat.sub(a).sub(xhat.mul(b)).mul(rstd).reshape(x.shape);
        }
      }
      const res: (Tensor | null)[] = [gx];
      if (weight) {
        res.push(
          needs[res.length]
            ? sumToShape(g.mul(xhat.reshape(x.shape)), affineShape).reshape(weight.shape)
            : null,
        );
      }
      if (bias) res.push(needs[res.length] ? sumToShape(g, affineShape).reshape(bias.shape) : null);
      return res;
    },
    [x, ...(weight ? [weight] : []), mean, rstd],
  );
  if (onStats) noGrad(() => tidy(() => onStats(mean, variance)));
  variance.dispose();
  // Without a graph node nothing reads the statistics again.
  if (!out.requiresGrad) {
    mean.dispose();
    rstd.dispose();
  }
  return out;
}

/** Options of `nn.functional.layerNorm` (PyTorch's `weight`, `bias`, `eps`). */
export interface LayerNormOptions {
  /** The weight tensor, or `null` for none (PyTorch's `weight`). */
  weight?: Tensor | null;
  /** The bias tensor, or `null` for none (PyTorch's `bias`). */
  bias?: Tensor | null;
  /** Added to the variance. Default 1e-5. */
  eps?: number;
}

/** A normalized shape argument (`int` or a list of them) as an array. */
export function normalizedShapeOf(what: string, s: number | readonly number[]): number[] {
  const arr = typeof s === 'number' ? [s] : Array.isArray(s) ? [...s] : null;
  if (!arr || arr.length === 0 || !arr.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ValueError(
      `${what}: normalized_shape must be a non-negative integer or a non-empty list of them, got ${JSON.stringify(s)}`,
    );
  }
  return arr;
}

function checkEps(what: string, eps: number): void {
  if (typeof eps !== 'number' || !(eps >= 0))
    throw new ValueError(`${what}: eps must be a non-negative number, got ${eps}`);
}

/**
 * `torch.nn.functional.layer_norm(input, normalized_shape, weight, bias, eps)`: normalises
 * over the last `normalizedShape.length` dims (biased variance), then `weight` and `bias`
 * (each of `normalizedShape`) if given. Gradient node `NativeLayerNormBackward0`.
 */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  opts: LayerNormOptions = {},
): Tensor {
  checkFloatInput('layer_norm', input);
  const ns = normalizedShapeOf('layer_norm', normalizedShape);
  const eps = opts.eps ?? 1e-5;
  checkEps('layer_norm', eps);
  const k = ns.length;
  const tail = input.shape.slice(input.dim() - k);
  if (input.dim() < k || !tail.every((d, i) => d === ns[i])) {
    throw new ShapeError(
      `layer_norm: Given normalized_shape=${shapeStr(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size${shapeStr(input.shape)}`,
    );
  }
  const weight = opts.weight ?? null;
  const bias = opts.bias ?? null;
  checkParam('layer_norm', 'weight', input, weight, 0, ns);
  checkParam('layer_norm', 'bias', input, bias, 0, ns);
  const n = input.dim();
  const dims = Array.from({ length: k }, (_, i) => n - k + i);
  return normalize(
    input,
    { gradFn: 'NativeLayerNormBackward0', statsShape: input.shape, dims, affineShape: ns },
    weight,
    bias,
    eps,
    null,
  );
}

/** Options of `nn.functional.groupNorm`. */
export interface GroupNormOptions {
  /** The weight tensor, or `null` for none (PyTorch's `weight`). */
  weight?: Tensor | null;
  /** The bias tensor, or `null` for none (PyTorch's `bias`). */
  bias?: Tensor | null;
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
}

/**
 * `torch.nn.functional.group_norm(input, num_groups, weight, bias, eps)`: input [N, C, *]
 * split into `numGroups` groups of C/numGroups channels, each normalised over its channels
 * and positions; then per-channel `weight` and `bias` [C]. Gradient node
 * `NativeGroupNormBackward0`.
 */
export function groupNorm(input: Tensor, numGroups: number, opts: GroupNormOptions = {}): Tensor {
  checkFloatInput('group_norm', input);
  if (input.dim() < 2) {
    throw new ShapeError(
      `group_norm: Expected at least 2 dimensions for input tensor [N, C, *] but received ${input.dim()} (shape ${shapeStr(input.shape)})`,
    );
  }
  const c = input.shape[1]!;
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new ShapeError(
      `group_norm: Expected number of channels in input to be divisible by num_groups, but got input of shape ${shapeStr(input.shape)} and num_groups=${numGroups}`,
    );
  }
  const eps = opts.eps ?? 1e-5;
  checkEps('group_norm', eps);
  const weight = opts.weight ?? null;
  const bias = opts.bias ?? null;
  checkParam('group_norm', 'weight', input, weight, c);
  checkParam('group_norm', 'bias', input, bias, c);
  const n = input.shape[0]!;
  const rest = input.numel() / Math.max(1, n * numGroups);
  return normalize(
    input,
    {
      gradFn: 'NativeGroupNormBackward0',
      statsShape: [n, numGroups, n * numGroups === 0 ? 0 : rest],
      dims: [2],
      affineShape: [1, c, ...input.shape.slice(2).map(() => 1)],
    },
    weight,
    bias,
    eps,
    null,
  );
}

/** Options of `nn.functional.batchNorm` (PyTorch's arguments after the running statistics). */
export interface BatchNormOptions {
  /** The weight tensor, or `null` for none (PyTorch's `weight`). */
  weight?: Tensor | null;
  /** The bias tensor, or `null` for none (PyTorch's `bias`). */
  bias?: Tensor | null;
  /** Batch statistics (true) or the running ones (false). Default false, as PyTorch. */
  training?: boolean;
  /** Weight of the new batch in the running statistics. Default 0.1. */
  momentum?: number;
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
}

/**
 * @internal `batch_norm` with the running-average factor given as a number or a 0-dim
 * tensor (BatchNorm's cumulative average, `1 / numBatchesTracked`, is read from a buffer,
 * never back to the host).
 */
export function batchNormImpl(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  factor: number | Tensor,
  eps: number,
): Tensor {
  checkFloatInput('batch_norm', input);
  if (input.dim() < 2) {
    throw new ShapeError(
      `batch_norm: expected an input of at least 2 dimensions [N, C, *], got shape ${shapeStr(input.shape)}`,
    );
  }
  checkEps('batch_norm', eps);
  const c = input.shape[1]!;
  checkParam('batch_norm', 'running_mean', input, runningMean, c);
  checkParam('batch_norm', 'running_var', input, runningVar, c);
  checkParam('batch_norm', 'weight', input, weight, c);
  checkParam('batch_norm', 'bias', input, bias, c);
  if (!training && (!runningMean || !runningVar)) {
    throw new ValueError(
      'batch_norm: running_mean and running_var must be defined in evaluation mode (training: false)',
    );
  }
  const perChannel = input.numel() / Math.max(1, c);
  if (training && perChannel === 1) {
    throw new ValueError(
      `Expected more than 1 value per channel when training, got input size ${shapeStr(input.shape)}`,
    );
  }
  const n = input.dim();
  const affineShape = [1, c, ...input.shape.slice(2).map(() => 1)];
  const plan: NormPlan = {
    gradFn: 'NativeBatchNormBackward0',
    statsShape: input.shape,
    dims: [0, ...Array.from({ length: n - 2 }, (_, i) => i + 2)],
    affineShape,
  };
  if (!training) {
    return normalize(input, plan, weight, bias, eps, { mean: runningMean!, var: runningVar! });
  }
  const runningUpdate =
    runningMean || runningVar
      ? (mean: Tensor, variance: Tensor) => {
          const f = factor;
          const keepOld = typeof f === 'number' ? 1 - f : f.neg().add(1);
          if (runningMean) runningMean.mul_(keepOld).add_(mean.reshape([c]).mul(f));
          if (runningVar) {
            // The running variance is unbiased (n / (n - 1)), the normalisation's is not.
            const unbiased = variance.reshape([c]).mul(perChannel / (perChannel - 1));
            runningVar.mul_(keepOld).add_(unbiased.mul(f));
          }
        }
      : undefined;
  return normalize(input, plan, weight, bias, eps, null, runningUpdate);
}

/**
 * `torch.nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training,
 * momentum, eps)`: input [N, C, *] normalised per channel. Training uses the batch's
 * statistics (biased variance) and, when running statistics are given, updates them in
 * place: `running = (1 − momentum)·running + momentum·batch`, with the unbiased batch
 * variance. Not training uses the running statistics. Gradient node
 * `NativeBatchNormBackward0`.
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: BatchNormOptions = {},
): Tensor {
  const momentum = opts.momentum ?? 0.1;
  if (typeof momentum !== 'number' || Number.isNaN(momentum)) {
    throw new ValueError(`batch_norm: momentum must be a number, got ${String(momentum)}`);
  }
  return batchNormImpl(
    input,
    runningMean ?? null,
    runningVar ?? null,
    opts.weight ?? null,
    opts.bias ?? null,
    opts.training ?? false,
    momentum,
    opts.eps ?? 1e-5,
  );
}
