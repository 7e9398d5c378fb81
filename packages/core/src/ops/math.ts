/**
 * PyTorch's elementwise math (`torch.sin` … `torch.nan_to_num`, the activations of
 * `nn.functional`), each written once as its forward expression and its derivative in the
 * fused-program language; `mathOp.ts` runs them on every backend. Formulas follow PyTorch's
 * CPU kernels and `derivatives.yaml` (same operation order), so float64 agrees to rounding.
 */

import { needsGrad } from '../autograd/graph.js';
import { type DType, isFloat } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { defineFused, Ex } from '../fused/program.js';
import { runFused } from '../fused/run.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { toDType } from './convert.js';
import { clamp } from './elementwise.js';
import { type IntegerRule, K, type MathContext, type MathSpec, mathOp } from './mathOp.js';
import { clone } from './shape.js';
import { alloc, allocOut, sameShape } from './util.js';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const HALF_SQRT_PI = 0.5 * Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;

const rsqrt = (e: Ex) => K(1).div(e.sqrt());

/** A one-operand spec. */
function unary(
  name: string,
  gradFn: string,
  forward: (x: Ex, c: MathContext) => Ex,
  backward?: (g: Ex, x: Ex, out: Ex, c: MathContext) => Ex,
  opts: { ints?: IntegerRule; params?: readonly string[] } = {},
): MathSpec {
  return {
    name,
    gradFn,
    arity: 1,
    params: opts.params,
    ints: opts.ints ?? 'float',
    forward: ([x], c) => forward(x!, c),
    backward: backward && ((_i, g, [x], out, c) => backward(g, x!, out, c)),
  };
}

const zeroGrad = () => K(0);

/**
 * PyTorch's floor division of floats (`div_floor_floating`): through fmod, so that an
 * exact quotient stays exact, with the sign of a zero result kept.
 */
function floorDivide(a: Ex, b: Ex, c: MathContext): Ex {
  const mod = c.let(a.fmod(b));
  const div0 = c.let(a.sub(mod).div(b));
  const adjust = mod
    .eq(0)
    .eq(0)
    .mul(b.lt(0).eq(mod.lt(0)).eq(0));
  const div = c.let(Ex.select(adjust, div0.sub(1), div0));
  const fl = c.let(div.floor());
  const floordiv = Ex.select(div.sub(fl).gt(0.5), fl.add(1), fl);
  const q = c.let(a.div(b));
  // div == 0: copysign(0, a / b), and q is finite there, so q · 0 is that zero.
  return Ex.select(b.eq(0), q, Ex.select(div.eq(0), q.mul(0), floordiv));
}

/** Python's modulo (`torch.remainder`): fmod, moved into the divisor's sign. */
function remainderOf(a: Ex, b: Ex, c: MathContext): Ex {
  const mod = c.let(a.fmod(b));
  const adjust = mod
    .eq(0)
    .eq(0)
    .mul(b.lt(0).eq(mod.lt(0)).eq(0));
  return Ex.select(adjust, mod.add(b), mod);
}

export const specs = {
  sin: unary(
    'sin',
    'SinBackward0',
    (x) => x.sin(),
    (g, x) => g.mul(x.cos()),
  ),
  cos: unary(
    'cos',
    'CosBackward0',
    (x) => x.cos(),
    (g, x) => g.mul(x.sin().neg()),
  ),
  tan: unary(
    'tan',
    'TanBackward0',
    (x) => x.tan(),
    (g, _x, out) => g.mul(out.mul(out).add(1)),
  ),
  asin: unary(
    'asin',
    'AsinBackward0',
    (x) => x.asin(),
    (g, x) => g.mul(rsqrt(x.neg().mul(x).add(1))),
  ),
  acos: unary(
    'acos',
    'AcosBackward0',
    (x) => x.acos(),
    (g, x) => g.mul(rsqrt(x.neg().mul(x).add(1)).neg()),
  ),
  atan: unary(
    'atan',
    'AtanBackward0',
    (x) => x.atan(),
    (g, x) => g.div(x.mul(x).add(1)),
  ),
  sinh: unary(
    'sinh',
    'SinhBackward0',
    (x) => x.sinh(),
    (g, x) => g.mul(x.cosh()),
  ),
  cosh: unary(
    'cosh',
    'CoshBackward0',
    (x) => x.cosh(),
    (g, x) => g.mul(x.sinh()),
  ),
  asinh: unary(
    'asinh',
    'AsinhBackward0',
    (x) => x.asinh(),
    (g, x) => g.mul(rsqrt(x.mul(x).add(1))),
  ),
  acosh: unary(
    'acosh',
    'AcoshBackward0',
    (x) => x.acosh(),
    (g, x) => g.mul(rsqrt(x.mul(x).sub(1))),
  ),
  atanh: unary(
    'atanh',
    'AtanhBackward0',
    (x) => x.atanh(),
    (g, x) => g.div(K(1).sub(x.mul(x))),
  ),
  exp2: unary(
    'exp2',
    'Exp2Backward0',
    (x) => x.mul(Math.LN2).exp(),
    (g, _x, out) => g.mul(out).mul(Math.LN2),
  ),
  expm1: unary(
    'expm1',
    'Expm1Backward0',
    (x) => x.expm1(),
    (g, _x, out) => g.mul(out.add(1)),
  ),
  log2: unary(
    'log2',
    'Log2Backward0',
    (x) => x.log().div(Math.LN2),
    (g, x) => g.div(x.mul(Math.LN2)),
  ),
  log10: unary(
    'log10',
    'Log10Backward0',
    (x) => x.log().div(Math.LN10),
    (g, x) => g.div(x.mul(Math.LN10)),
  ),
  log1p: unary(
    'log1p',
    'Log1PBackward0',
    (x) => x.log1p(),
    (g, x) => g.div(x.add(1)),
  ),
  erf: unary(
    'erf',
    'ErfBackward0',
    (x) => x.erf(),
    (g, x) => K(TWO_OVER_SQRT_PI).mul(x.mul(x).neg().exp()).mul(g),
  ),
  erfinv: unary(
    'erfinv',
    'ErfinvBackward0',
    (x) => x.erfinv(),
    (g, _x, out) => K(HALF_SQRT_PI).mul(out.mul(out).exp()).mul(g),
  ),
  floor: unary('floor', 'FloorBackward0', (x) => x.floor(), zeroGrad),
  ceil: unary('ceil', 'CeilBackward0', (x) => x.ceil(), zeroGrad),
  trunc: unary('trunc', 'TruncBackward0', (x) => x.trunc(), zeroGrad),
  round: unary('round', 'RoundBackward0', (x) => x.round(), zeroGrad),
  /** round(decimals >= 0): nearbyint(x · 10^d) / 10^d. */
  roundDecimals: unary(
    'round',
    'RoundBackward1',
    (x, c) => x.mul(c.p.scale!).round().div(c.p.scale!),
    zeroGrad,
    {
      params: ['scale'],
    },
  ),
  /** round(decimals < 0): nearbyint(x / 10^-d) · 10^-d. */
  roundDecimalsNeg: unary(
    'round',
    'RoundBackward1',
    (x, c) => x.div(c.p.scale!).round().mul(c.p.scale!),
    zeroGrad,
    {
      params: ['scale'],
    },
  ),
  frac: unary(
    'frac',
    'FracBackward0',
    (x) => x.sub(x.trunc()),
    (g) => g,
    { ints: 'error' },
  ),
  logit: unary(
    'logit',
    'LogitBackward0',
    (x) => x.div(K(1).sub(x)).log(),
    (g, x) => Ex.select(x.lt(0).max(x.gt(1)), Number.NaN, g.div(x.mul(K(1).sub(x)))),
  ),
  logitEps: unary(
    'logit',
    'LogitBackward0',
    (x, c) => {
      const lo = c.p.eps!;
      const hi = K(1).sub(lo);
      const z = c.let(Ex.select(x.lt(lo), lo, Ex.select(x.gt(hi), hi, x)));
      return z.div(K(1).sub(z)).log();
    },
    (g, x, _out, c) => {
      const lo = c.p.eps!;
      const hi = K(1).sub(lo);
      return Ex.select(x.lt(lo).max(x.gt(hi)), 0, g.div(x.mul(K(1).sub(x))));
    },
    { params: ['eps'] },
  ),
  nanToNum: unary(
    'nan_to_num',
    'NanToNumBackward0',
    (x, c) =>
      Ex.select(x.isnan(), c.p.nan!, Ex.select(x.isinf(), Ex.select(x.gt(0), c.p.posinf!, c.p.neginf!), x)),
    (g, x) => Ex.select(x.isnan().max(x.isinf()), 0, g),
    { params: ['nan', 'posinf', 'neginf'] },
  ),
  isnan: unary('isnan', '', (x) => x.isnan()),
  isinf: unary('isinf', '', (x) => x.isinf()),
  isfinite: unary('isfinite', '', (x) => Ex.select(x.isnan().max(x.isinf()), 0, 1)),

  gelu: unary(
    'gelu',
    'GeluBackward0',
    (x) => x.mul(0.5).mul(x.mul(SQRT1_2).erf().add(1)),
    (g, x, _out, c) => {
      const cdf = c.let(x.mul(SQRT1_2).erf().add(1).mul(0.5));
      const pdf = c.let(
        x
          .mul(x)
          .mul(-0.5)
          .exp()
          .mul(TWO_OVER_SQRT_PI * SQRT1_2 * 0.5),
      );
      return g.mul(cdf.add(x.mul(pdf)));
    },
    { ints: 'error' },
  ),
  geluTanh: unary(
    'gelu',
    'GeluBackward0',
    (x) => {
      const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.SQRT2 * TWO_OVER_SQRT_PI * 0.5);
      return x.mul(0.5).mul(inner.tanh().add(1));
    },
    (g, x, _out, c) => {
      const kBeta = Math.SQRT2 * TWO_OVER_SQRT_PI * 0.5;
      const kKappa = 0.044715;
      const xSq = c.let(x.mul(x));
      const xCube = xSq.mul(x);
      const t = c.let(x.add(xCube.mul(kKappa)).mul(kBeta).tanh());
      const left = x.mul(0.5);
      const right = t.add(1);
      const leftDerivative = right.mul(0.5);
      const tanhDerivative = K(1).sub(t.mul(t));
      const innerDerivative = xSq
        .mul(3 * kKappa)
        .add(1)
        .mul(kBeta);
      const rightDerivative = left.mul(tanhDerivative).mul(innerDerivative);
      return g.mul(leftDerivative.add(rightDerivative));
    },
    { ints: 'error' },
  ),
  silu: unary(
    'silu',
    'SiluBackward0',
    (x) => x.div(x.neg().exp().add(1)),
    (g, x, _out, c) => {
      const sig = c.let(K(1).div(x.neg().exp().add(1)));
      return g.mul(sig).mul(x.mul(K(1).sub(sig)).add(1));
    },
    { ints: 'error' },
  ),
  mish: unary(
    'mish',
    'MishBackward0',
    (x) => x.mul(x.exp().log1p().tanh()),
    (g, x, _out, c) => {
      const sig = K(1).div(x.neg().exp().add(1));
      const t = c.let(x.exp().log1p().tanh());
      return g.mul(t.add(x.mul(sig).mul(K(1).sub(t.mul(t)))));
    },
    { ints: 'error' },
  ),
  hardtanh: unary(
    'hardtanh',
    'HardtanhBackward0',
    (x, c) => x.max(c.p.min!).min(c.p.max!),
    (g, x, _out, c) => Ex.select(x.le(c.p.min!).max(x.ge(c.p.max!)), 0, g),
    { params: ['min', 'max'] },
  ),
  leakyRelu: unary(
    'leaky_relu',
    'LeakyReluBackward0',
    (x, c) => Ex.select(x.gt(0), x, x.mul(c.p.slope!)),
    (g, x, _out, c) => Ex.select(x.gt(0), g, g.mul(c.p.slope!)),
    { ints: 'error', params: ['slope'] },
  ),
  elu: unary(
    'elu',
    'EluBackward0',
    (x, c) => Ex.select(x.le(0), x.exp().sub(1).mul(c.p.alpha!), x),
    (g, x, _out, c) => Ex.select(x.le(0), g.mul(c.p.alpha!).mul(x.exp()), g),
    { ints: 'error', params: ['alpha'] },
  ),
  softplus: unary(
    'softplus',
    'SoftplusBackward0',
    (x, c) => {
      const xb = c.let(x.mul(c.p.beta!));
      return Ex.select(xb.gt(c.p.threshold!), x, xb.exp().log1p().div(c.p.beta!));
    },
    (g, x, _out, c) => {
      const xb = c.let(x.mul(c.p.beta!));
      const z = c.let(xb.exp());
      return Ex.select(xb.gt(c.p.threshold!), g, g.mul(z).div(z.add(1)));
    },
    { ints: 'error', params: ['beta', 'threshold'] },
  ),

  /**
   * ReLU's backward, PyTorch's `threshold_backward(grad, result, 0)`: the gradient where
   * the result is above 0, else 0 — one pass, where `where(out > 0, g, 0)` took a
   * comparison, a bool tensor and a select. A NaN result passes the gradient through
   * (`NaN <= 0` is false), as in PyTorch.
   */
  reluBackward: {
    name: 'threshold_backward',
    gradFn: 'ThresholdBackwardBackward0',
    arity: 2,
    ints: 'error',
    forward: ([g, out]) => Ex.select(out!.le(0), 0, g!),
    backward: (i, gg, [, out]) => (i === 0 ? Ex.select(out!.le(0), 0, gg) : K(0)),
  },
  atan2: {
    name: 'atan2',
    gradFn: 'Atan2Backward0',
    arity: 2,
    ints: 'float',
    forward: ([a, b]) => a!.atan2(b!),
    backward: (i, g, [a, b], _out, c) => {
      const recip = c.let(K(1).div(a!.mul(a!).add(b!.mul(b!))));
      return i === 0 ? g.mul(b!).mul(recip) : g.mul(a!.neg()).mul(recip);
    },
  },
  hypot: {
    name: 'hypot',
    gradFn: 'HypotBackward0',
    arity: 2,
    ints: 'error',
    forward: ([a, b]) => a!.hypot(b!),
    backward: (i, g, [a, b], out) => g.mul(i === 0 ? a! : b!).div(out),
  },
  fmod: {
    name: 'fmod',
    gradFn: (n) => (n[1] ? 'FmodBackward0' : 'FmodBackward1'),
    arity: 2,
    ints: 'exact',
    forward: ([a, b]) => a!.fmod(b!),
    backward: (i, g, [a, b]) => (i === 0 ? g : g.neg().mul(a!.div(b!).trunc())),
  },
  remainder: {
    name: 'remainder',
    gradFn: (n) => (n[1] ? 'RemainderBackward0' : 'RemainderBackward1'),
    arity: 2,
    ints: 'exact',
    forward: ([a, b], c) => remainderOf(a!, b!, c),
    backward: (i, g, [a, b], _out, c) => (i === 0 ? g : g.neg().mul(floorDivide(a!, b!, c))),
  },
  divTrunc: {
    name: 'div',
    gradFn: 'DivBackward2',
    arity: 2,
    ints: 'exact',
    exactNumbers: true,
    forward: ([a, b]) => a!.div(b!).trunc(),
    backward: zeroGrad,
  },
  divFloor: {
    name: 'div',
    gradFn: 'DivBackward2',
    arity: 2,
    ints: 'exact',
    exactNumbers: true,
    forward: ([a, b], c) => floorDivide(a!, b!, c),
    backward: zeroGrad,
  },

  lerp: {
    name: 'lerp',
    gradFn: (n) => (n[2] ? 'LerpBackward0' : 'LerpBackward1'),
    arity: 3,
    ints: 'error',
    forward: ([start, end, w]) => start!.lerp(end!, w!),
    backward: (i, g, [start, end, w]) =>
      i === 0 ? g.mul(K(1).sub(w!)) : i === 1 ? g.mul(w!) : g.mul(end!.sub(start!)),
  },
  addcmul: {
    name: 'addcmul',
    gradFn: 'AddcmulBackward0',
    arity: 3,
    params: ['value'],
    ints: 'exact',
    forward: ([x, t1, t2], c) => x!.add(c.p.value!.mul(t1!).mul(t2!)),
    backward: (i, g, [, t1, t2], _out, c) => (i === 0 ? g : g.mul(i === 1 ? t2! : t1!).mul(c.p.value!)),
  },
  addcdiv: {
    name: 'addcdiv',
    gradFn: 'AddcdivBackward0',
    arity: 3,
    params: ['value'],
    ints: 'error',
    forward: ([x, t1, t2], c) => x!.add(c.p.value!.mul(t1!).div(t2!)),
    backward: (i, g, [, t1, t2], _out, c) =>
      i === 0 ? g : i === 1 ? g.mul(c.p.value!.div(t2!)) : g.neg().mul(c.p.value!).mul(t1!).div(t2!.mul(t2!)),
  },
} satisfies Record<string, MathSpec>;

// ---- the ops ----

/**
 * Of an in-place op's other operands, the one that decides whether autograd records it
 * (the first that requires grad), for `inplace.apply`'s bookkeeping.
 */
export function gradOperand(...xs: TensorOrScalar[]): TensorOrScalar {
  return xs.find((x) => x instanceof Tensor && x.requiresGrad) ?? xs[0]!;
}

const u = (spec: MathSpec) => (x: Tensor) => mathOp(spec, [x]);

/** Integer inputs: rounding returns a copy, as PyTorch (no float conversion). */
const rounding = (spec: MathSpec) => (x: Tensor) => (isFloat(x.dtype) ? mathOp(spec, [x]) : clone(x));

/** Elementwise sine: PyTorch's `sin`. */
export const sin = u(specs.sin);
/** Elementwise cosine: PyTorch's `cos`. */
export const cos = u(specs.cos);
/** Elementwise tangent: PyTorch's `tan`. */
export const tan = u(specs.tan);
/** Elementwise arcsine: PyTorch's `asin`. */
export const asin = u(specs.asin);
/** Elementwise arccosine: PyTorch's `acos`. */
export const acos = u(specs.acos);
/** Elementwise arctangent: PyTorch's `atan`. */
export const atan = u(specs.atan);
/** Elementwise hyperbolic sine: PyTorch's `sinh`. */
export const sinh = u(specs.sinh);
/** Elementwise hyperbolic cosine: PyTorch's `cosh`. */
export const cosh = u(specs.cosh);
/** Elementwise inverse hyperbolic sine: PyTorch's `asinh`. */
export const asinh = u(specs.asinh);
/** Elementwise inverse hyperbolic cosine: PyTorch's `acosh`. */
export const acosh = u(specs.acosh);
/** Elementwise inverse hyperbolic tangent: PyTorch's `atanh`. */
export const atanh = u(specs.atanh);
/** Elementwise `2^x`: PyTorch's `exp2`. */
export const exp2 = u(specs.exp2);
/** Elementwise `e^x - 1`, accurate near 0: PyTorch's `expm1`. */
export const expm1 = u(specs.expm1);
/** Elementwise base-2 logarithm: PyTorch's `log2`. */
export const log2 = u(specs.log2);
/** Elementwise base-10 logarithm: PyTorch's `log10`. */
export const log10 = u(specs.log10);
/** Elementwise `log(1 + x)`, accurate near 0: PyTorch's `log1p`. */
export const log1p = u(specs.log1p);
/** Elementwise error function: PyTorch's `erf`. */
export const erf = u(specs.erf);
/** Elementwise inverse error function: PyTorch's `erfinv`. */
export const erfinv = u(specs.erfinv);
/** Elementwise fractional part, `x - trunc(x)`: PyTorch's `frac`. */
export const frac = u(specs.frac);
/** Elementwise floor: PyTorch's `floor`. */
export const floor = rounding(specs.floor);
/** Elementwise ceiling: PyTorch's `ceil`. */
export const ceil = rounding(specs.ceil);
/** Elementwise truncation toward zero: PyTorch's `trunc`. */
export const trunc = rounding(specs.trunc);

/** `torch.round(x, decimals=0)`: half to even, at `decimals` decimal places. */
export function round(x: Tensor, opts: { decimals?: number } = {}): Tensor {
  const decimals = opts.decimals ?? 0;
  if (!Number.isInteger(decimals))
    throw new TypeError(`round(): 'decimals' must be an integer, got ${decimals}`);
  if (!isFloat(x.dtype)) return clone(x);
  if (decimals === 0) return mathOp(specs.round, [x]);
  const scale = 10 ** Math.abs(decimals);
  return mathOp(decimals > 0 ? specs.roundDecimals : specs.roundDecimalsNeg, [x], { scale });
}

/** `torch.logit(x, eps=None)`: log(z / (1 − z)), z = x clamped to [eps, 1 − eps] when eps is given. */
export function logit(x: Tensor, eps?: number | null): Tensor {
  if (eps === undefined || eps === null) return mathOp(specs.logit, [x]);
  if (typeof eps !== 'number')
    throw new TypeError(`logit(): 'eps' must be a number or null, got ${typeof eps}`);
  return mathOp(specs.logitEps, [x], { eps });
}

function finiteMax(d: DType): number {
  return d === 'float32' ? 3.4028234663852886e38 : Number.MAX_VALUE;
}

/** Options of `nanToNum`: the replacements (PyTorch's `nan`, `posinf`, `neginf`). */
export interface NanToNumOptions {
  /** Replacement for NaN (default 0). */
  readonly nan?: number;
  /** Replacement for +inf (default: the dtype's largest finite value). */
  readonly posinf?: number | null;
  /** Replacement for -inf (default: the dtype's lowest finite value). */
  readonly neginf?: number | null;
}

/** `torch.nan_to_num(x, nan=0, posinf=None, neginf=None)`: None is the dtype's largest/smallest finite value. */
export function nanToNum(x: Tensor, opts: NanToNumOptions = {}): Tensor {
  if (!isFloat(x.dtype)) return clone(x);
  const big = finiteMax(x.dtype);
  return mathOp(specs.nanToNum, [x], {
    nan: opts.nan ?? 0,
    posinf: opts.posinf ?? big,
    neginf: opts.neginf ?? -big,
  });
}

/** A bool result from a 0/1 float program; integers are never NaN nor infinite. */
function predicate(spec: MathSpec, x: Tensor, intValue: boolean): Tensor {
  if (!isFloat(x.dtype)) {
    const out = alloc(x.shape, 'bool', x.backend);
    if (intValue) x.backend.fill(out.storage, 1);
    return out;
  }
  const f = mathOp(spec, [x]);
  const out = toDType(f, 'bool');
  f.dispose();
  return out;
}

/** Elementwise test for NaN, a bool tensor: PyTorch's `isnan`. */
export const isnan = (x: Tensor) => predicate(specs.isnan, x, false);
/** Elementwise test for ±infinity, a bool tensor: PyTorch's `isinf`. */
export const isinf = (x: Tensor) => predicate(specs.isinf, x, false);
/** Elementwise test for a finite value, a bool tensor: PyTorch's `isfinite`. */
export const isfinite = (x: Tensor) => predicate(specs.isfinite, x, true);

/** `torch.atan2(input, other)`. */
export const atan2 = (a: Tensor, b: TensorOrScalar) => mathOp(specs.atan2, [a, b]);
/** `torch.hypot(input, other)`. */
export const hypot = (a: Tensor, b: TensorOrScalar) => mathOp(specs.hypot, [a, b]);
/** `torch.fmod(input, other)`: C's fmod, the sign of the dividend. */
export const fmod = (a: Tensor, b: TensorOrScalar) => mathOp(specs.fmod, [a, b]);
/** `torch.remainder(input, other)`: Python's %, the sign of the divisor. */
export const remainder = (a: Tensor, b: TensorOrScalar) => mathOp(specs.remainder, [a, b]);

/** Rounding of `div`: `'trunc'` toward zero, `'floor'` down. */
export type RoundingMode = 'trunc' | 'floor';

/** `torch.div(a, b, rounding_mode=...)` with a mode: the quotient rounded toward zero or down. */
export function divRounded(a: Tensor, b: TensorOrScalar, mode: RoundingMode): Tensor {
  if (mode === 'trunc') return mathOp(specs.divTrunc, [a, b]);
  if (mode === 'floor') return mathOp(specs.divFloor, [a, b]);
  throw new TypeError(
    `div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '${String(mode)}'`,
  );
}

/** `torch.lerp(start, end, weight)`: start + weight · (end − start), PyTorch's two formulas. */
export const lerp = (start: Tensor, end: Tensor, weight: TensorOrScalar) =>
  mathOp(specs.lerp, [start, end, weight]);

/** `torch.addcmul(input, tensor1, tensor2, value=1)`. */
export const addcmul = (x: Tensor, t1: Tensor, t2: Tensor, opts: { value?: number } = {}) =>
  mathOp(specs.addcmul, [x, t1, t2], { value: opts.value ?? 1 });

/** `torch.addcdiv(input, tensor1, tensor2, value=1)`. */
export function addcdiv(x: Tensor, t1: Tensor, t2: Tensor, opts: { value?: number } = {}): Tensor {
  for (const t of [t1, t2]) {
    if (t instanceof Tensor && !isFloat(t.dtype)) {
      throw new DTypeError(
        `Integer division with addcdiv is not supported: tensor1 and tensor2 must be floating point (got ${t.dtype}); use addcmul with a float reciprocal instead`,
      );
    }
  }
  return mathOp(specs.addcdiv, [x, t1, t2], { value: opts.value ?? 1 });
}

// ---- activations (nn.functional) ----

/** `F.gelu(x, approximate='none' | 'tanh')`. */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  const a = opts.approximate ?? 'none';
  if (a !== 'none' && a !== 'tanh') {
    throw new TypeError(`gelu(): 'approximate' must be 'none' or 'tanh', got '${String(a)}'`);
  }
  return mathOp(a === 'none' ? specs.gelu : specs.geluTanh, [x]);
}
export const silu = u(specs.silu);
export const mish = u(specs.mish);

/** `F.hardtanh(x, min_val=-1, max_val=1)`; integers clamp, as PyTorch. */
export function hardtanh(x: Tensor, opts: { minVal?: number; maxVal?: number } = {}): Tensor {
  const min = opts.minVal ?? -1;
  const max = opts.maxVal ?? 1;
  if (!(min <= max))
    throw new RangeError(`hardtanh(): 'minVal' (${min}) must not be greater than 'maxVal' (${max})`);
  if (!isFloat(x.dtype)) return clamp(x, min, max);
  return mathOp(specs.hardtanh, [x], { min, max });
}

// In place, PyTorch names these two nodes ...Backward1 (they save the result instead).
const inplaceName = (inplace: boolean | undefined, name: string) => (inplace ? { gradFn: name } : {});

/**
 * `specs.reluBackward` as one program over same-shaped `g` and `out`, for the first-order
 * case; exported for backends that apply `MatmulOptions.reluBackwardOf` as a pass of their
 * own (buffers `g`, `out`, `gradInput`; `g` may be `gradInput`, read before it is written).
 */
export const reluBackwardProgram = defineFused('threshold_backward', ['g', 'out', 'gradInput'], [], (b) => {
  b.store('gradInput', (specs.reluBackward as MathSpec).forward([b.buf.g, b.buf.out], { p: {}, let: b.let }));
});

/**
 * ReLU's gradient from the incoming gradient `g` and ReLU's result `out` (see
 * `specs.reluBackward`). A `g` that is itself differentiable (double backward) goes through
 * `mathOp`, which records the node; otherwise the program runs directly: this is every
 * ReLU's backward, and mathOp's promotion and broadcasting cost more than the kernel on a
 * small layer.
 */
export function reluBackward(g: Tensor, out: Tensor): Tensor {
  if (needsGrad(g) || g.dtype !== out.dtype || !sameShape(g.shape, out.shape))
    return mathOp(specs.reluBackward, [g, out]);
  const gradInput = allocOut(out.shape, out.dtype, out.backend);
  runFused(reluBackwardProgram, [{ buffers: { g, out, gradInput }, scalars: {} }]);
  return gradInput;
}

/** `F.leaky_relu(x, negative_slope=0.01)`. */
export const leakyRelu = (x: Tensor, opts: { negativeSlope?: number; inplace?: boolean } = {}) =>
  mathOp(
    specs.leakyRelu,
    [x],
    { slope: opts.negativeSlope ?? 0.01 },
    inplaceName(opts.inplace, 'LeakyReluBackward1'),
  );

/** `F.elu(x, alpha=1)`. */
export const elu = (x: Tensor, opts: { alpha?: number; inplace?: boolean } = {}) =>
  mathOp(specs.elu, [x], { alpha: opts.alpha ?? 1 }, inplaceName(opts.inplace, 'EluBackward1'));

/** `F.softplus(x, beta, threshold)` with other than the default beta = 1, threshold = 20. */
export const softplusWith = (x: Tensor, beta: number, threshold: number) =>
  mathOp(specs.softplus, [x], { beta, threshold });
