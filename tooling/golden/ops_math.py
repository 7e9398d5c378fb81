"""Golden fixtures for stepwise's elementwise math (issue 13): trigonometric, hyperbolic,
exponential and logarithmic functions, rounding, fmod/remainder, erf/erfinv, logit, the
activations of nn.functional and their modules, lerp/addcmul/addcdiv/hypot/atan2, the
predicates, nan_to_num, div with a rounding mode, softplus's beta/threshold and
torch.max/min with a second tensor.

Run by hand:  /usr/bin/python3 tooling/golden/ops_math.py
Writes packages/conformance/fixtures/ops_math.json.

One case per (op, dtype, shapes): inputs, `args` (as the TypeScript call takes them), the
output, `grad_fn.name()` and, for differentiable ops, a fixed random cotangent `cot` and the
gradients of sum(out * cot). Sizes 1, 7, 33 and 1000 (float32), broadcasting for the
multi-input ops, special values (NaN, ±inf, ±0) where PyTorch defines them, int32 inputs
(PyTorch's promotion, or its error), float32 and float64. The `op` keys are shared with
packages/conformance/src/suites/opsMath.ts, which maps them to the stepwise call.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import TORCH_DTYPES, flat, meta, tens, write, error_message

G = torch.Generator().manual_seed(20261126)
NAN, INF = float('nan'), float('inf')


def randn(shape, dtype, scale=1.0):
    return (torch.randn(shape, generator=G, dtype=torch.float64) * scale).to(dtype)


def uniform(shape, dtype, lo, hi):
    return (torch.rand(shape, generator=G, dtype=torch.float64) * (hi - lo) + lo).to(dtype)


def away(shape, dtype, lo=0.5, hi=3.0):
    """Values of either sign with magnitude in [lo, hi] (divisors)."""
    sign = torch.where(torch.rand(shape, generator=G) < 0.5, -1.0, 1.0).to(torch.float64)
    return (sign * (torch.rand(shape, generator=G, dtype=torch.float64) * (hi - lo) + lo)).to(dtype)


def halves(shape, dtype, n=6):
    """Multiples of 0.5 in [-n, n] (rounding ties, exact quotients)."""
    return (torch.randint(-2 * n, 2 * n + 1, shape, generator=G).to(torch.float64) / 2).to(dtype)


# op key -> (PyTorch call on (inputs, args))
OPS = {
    'sin': lambda x, a: x[0].sin(),
    'cos': lambda x, a: x[0].cos(),
    'tan': lambda x, a: x[0].tan(),
    'asin': lambda x, a: x[0].asin(),
    'acos': lambda x, a: x[0].acos(),
    'atan': lambda x, a: x[0].atan(),
    'sinh': lambda x, a: x[0].sinh(),
    'cosh': lambda x, a: x[0].cosh(),
    'asinh': lambda x, a: x[0].asinh(),
    'acosh': lambda x, a: x[0].acosh(),
    'atanh': lambda x, a: x[0].atanh(),
    'exp2': lambda x, a: x[0].exp2(),
    'expm1': lambda x, a: x[0].expm1(),
    'log2': lambda x, a: x[0].log2(),
    'log10': lambda x, a: x[0].log10(),
    'log1p': lambda x, a: x[0].log1p(),
    'floor': lambda x, a: x[0].floor(),
    'ceil': lambda x, a: x[0].ceil(),
    'round': lambda x, a: x[0].round(),
    'roundDecimals': lambda x, a: x[0].round(decimals=a[0]),
    'trunc': lambda x, a: x[0].trunc(),
    'frac': lambda x, a: x[0].frac(),
    'erf': lambda x, a: x[0].erf(),
    'erfinv': lambda x, a: x[0].erfinv(),
    'logit': lambda x, a: x[0].logit(a[0]) if a else x[0].logit(),
    'nanToNum': lambda x, a: x[0].nan_to_num(**a[0]),
    'isnan': lambda x, a: x[0].isnan(),
    'isinf': lambda x, a: x[0].isinf(),
    'isfinite': lambda x, a: x[0].isfinite(),
    'clip': lambda x, a: x[0].clip(a[0], a[1]),
    # torch.* function forms
    'fn.sin': lambda x, a: torch.sin(x[0]),
    'fn.atan2': lambda x, a: torch.atan2(x[0], x[1]),
    'fn.erf': lambda x, a: torch.erf(x[0]),
    'fn.clip': lambda x, a: torch.clip(x[0], a[0], a[1]),
    'fn.lerp': lambda x, a: torch.lerp(x[0], x[1], x[2]),
    'fn.round': lambda x, a: torch.round(x[0]),
    # binary and ternary
    'atan2': lambda x, a: x[0].atan2(x[1]),
    'hypot': lambda x, a: x[0].hypot(x[1]),
    'fmod': lambda x, a: x[0].fmod(x[1]),
    'remainder': lambda x, a: x[0].remainder(x[1]),
    'fmodScalar': lambda x, a: x[0].fmod(a[0]),
    'remainderScalar': lambda x, a: x[0].remainder(a[0]),
    'divTrunc': lambda x, a: torch.div(x[0], x[1], rounding_mode='trunc'),
    'divFloor': lambda x, a: torch.div(x[0], x[1], rounding_mode='floor'),
    'divTruncScalar': lambda x, a: x[0].div(a[0], rounding_mode='trunc'),
    'divFloorScalar': lambda x, a: x[0].div(a[0], rounding_mode='floor'),
    'lerp': lambda x, a: x[0].lerp(x[1], x[2]),
    'lerpScalar': lambda x, a: x[0].lerp(x[1], a[0]),
    'addcmul': lambda x, a: x[0].addcmul(x[1], x[2], value=a[0]) if a else x[0].addcmul(x[1], x[2]),
    'addcdiv': lambda x, a: x[0].addcdiv(x[1], x[2], value=a[0]) if a else x[0].addcdiv(x[1], x[2]),
    'max2': lambda x, a: torch.max(x[0], x[1]),
    'min2': lambda x, a: torch.min(x[0], x[1]),
    'maxMethod2': lambda x, a: x[0].max(x[1]),
    # activations: nn.functional and the modules
    'gelu': lambda x, a: F.gelu(x[0], approximate=a[0]) if a else F.gelu(x[0]),
    'powScalar': lambda x, a: x[0].pow(a[0]),
    'silu': lambda x, a: F.silu(x[0]),
    'mish': lambda x, a: F.mish(x[0]),
    'hardtanh': lambda x, a: F.hardtanh(x[0], *a),
    'leakyRelu': lambda x, a: F.leaky_relu(x[0], *a),
    'elu': lambda x, a: F.elu(x[0], *a),
    'softplus': lambda x, a: F.softplus(x[0], *a),
    'nn.GELU': lambda x, a: nn.GELU(approximate=a[0])(x[0]),
    'nn.SiLU': lambda x, a: nn.SiLU()(x[0]),
    'nn.Mish': lambda x, a: nn.Mish()(x[0]),
    'nn.Hardtanh': lambda x, a: nn.Hardtanh(*a)(x[0]),
    'nn.LeakyReLU': lambda x, a: nn.LeakyReLU(*a)(x[0]),
    'nn.ELU': lambda x, a: nn.ELU(*a)(x[0]),
    'nn.Softplus': lambda x, a: nn.Softplus(*a)(x[0]),
    'nn.Tanh': lambda x, a: nn.Tanh()(x[0]),
    'nn.Sigmoid': lambda x, a: nn.Sigmoid()(x[0]),
    # in place, on a clone of input 0 (a non-leaf, so autograd records the in-place op)
    'sin_': lambda x, a: x[0].clone().sin_(),
    'cos_': lambda x, a: x[0].clone().cos_(),
    'exp2_': lambda x, a: x[0].clone().exp2_(),
    'log1p_': lambda x, a: x[0].clone().log1p_(),
    'floor_': lambda x, a: x[0].clone().floor_(),
    'round_': lambda x, a: x[0].clone().round_(),
    'trunc_': lambda x, a: x[0].clone().trunc_(),
    'erf_': lambda x, a: x[0].clone().erf_(),
    'clip_': lambda x, a: x[0].clone().clip_(a[0], a[1]),
    'fmod_': lambda x, a: x[0].clone().fmod_(x[1]),
    'lerp_': lambda x, a: x[0].clone().lerp_(x[1], a[0]),
    'lerpT_': lambda x, a: x[0].clone().lerp_(x[1], x[2]),
    'addcmul_': lambda x, a: x[0].clone().addcmul_(x[1], x[2]),
    'addcdiv_': lambda x, a: x[0].clone().addcdiv_(x[1], x[2], value=a[0]),
    'nanToNum_': lambda x, a: x[0].clone().nan_to_num_(),
    'silu_': lambda x, a: F.silu(x[0].clone(), inplace=True),
    'leakyRelu_': lambda x, a: F.leaky_relu(x[0].clone(), a[0], inplace=True),
}

cases = []
errors = []


def case(op, dn, inputs, args=(), grad=True, tag='', requires=None):
    """inputs: tensors already in their dtype; float ones get requires_grad when grad (and
    `requires[i]`, where given)."""
    xs = []
    for i, t in enumerate(inputs):
        t = t.detach().clone()
        if grad and t.dtype in (torch.float32, torch.float64) and (requires is None or requires[i]):
            t.requires_grad_(True)
        xs.append(t)
    out = OPS[op](xs, list(args))
    c = {
        'id': f'{op}/{dn}/' + ' '.join(str(list(t.shape)) for t in inputs) + (f' {list(args)}' if args else '')
              + (f' {tag}' if tag else ''),
        'op': op,
        'dtype': dn,
        'args': list(args),
        'inputs': [tens(t) for t in xs],
        'requiresGrad': [bool(t.requires_grad) for t in xs],
        'out': tens(out),
        'gradFn': out.grad_fn.name() if out.grad_fn is not None else None,
    }
    if out.requires_grad:
        cot = randn(tuple(out.shape), out.dtype)
        (out * cot).sum().backward()
        c['cot'] = flat(cot)
        c['grads'] = [flat(t.grad) if t.requires_grad else None for t in xs]
    cases.append(c)


def error(op, inputs, args=(), phrase=None):
    """An op PyTorch refuses (integer inputs to float-only kernels): its message and our phrase."""
    kind, message = error_message(lambda: OPS[op]([t.clone() for t in inputs], list(args)))
    errors.append({
        'id': f'{op}/' + ' '.join(f'{t.dtype}{list(t.shape)}' for t in inputs),
        'op': op,
        'args': list(args),
        'inputs': [tens(t) for t in inputs],
        'pytorch': {'type': kind, 'message': message},
        'phrase': phrase,
    })


# Domains where each unary op is finite (and away from where float32 is ill-conditioned).
DOMAIN = {
    'sin': lambda s, dt: randn(s, dt, 3.0),
    'cos': lambda s, dt: randn(s, dt, 3.0),
    'tan': lambda s, dt: uniform(s, dt, -1.4, 1.4),
    'asin': lambda s, dt: uniform(s, dt, -0.95, 0.95),
    'acos': lambda s, dt: uniform(s, dt, -0.95, 0.95),
    'atan': lambda s, dt: randn(s, dt, 4.0),
    'sinh': lambda s, dt: randn(s, dt, 3.0),
    'cosh': lambda s, dt: randn(s, dt, 3.0),
    'asinh': lambda s, dt: randn(s, dt, 5.0),
    'acosh': lambda s, dt: uniform(s, dt, 1.05, 20.0),
    'atanh': lambda s, dt: uniform(s, dt, -0.95, 0.95),
    'exp2': lambda s, dt: randn(s, dt, 4.0),
    'expm1': lambda s, dt: randn(s, dt, 2.0),
    'log2': lambda s, dt: uniform(s, dt, 0.05, 50.0),
    'log10': lambda s, dt: uniform(s, dt, 0.05, 50.0),
    'log1p': lambda s, dt: uniform(s, dt, -0.9, 5.0),
    'floor': lambda s, dt: randn(s, dt, 5.0),
    'ceil': lambda s, dt: randn(s, dt, 5.0),
    'round': lambda s, dt: halves(s, dt) + randn(s, dt, 0.01) * (torch.rand(s, generator=G) < 0.5).to(dt),
    'trunc': lambda s, dt: randn(s, dt, 5.0),
    'frac': lambda s, dt: randn(s, dt, 5.0),
    'erf': lambda s, dt: randn(s, dt, 1.5),
    'erfinv': lambda s, dt: uniform(s, dt, -0.98, 0.98),
    'gelu': lambda s, dt: randn(s, dt, 3.0),
    'silu': lambda s, dt: randn(s, dt, 3.0),
    'mish': lambda s, dt: randn(s, dt, 3.0),
}

# PyTorch's float results at special values (forward; gradients where they are defined).
SPECIAL = {
    'sin': [0.0, -0.0, INF, -INF, NAN, 100.0, -1000.0],
    'cos': [0.0, -0.0, INF, -INF, NAN, 100.0, -1000.0],
    'tan': [0.0, -0.0, INF, NAN, 1.5, -1.55],
    'asin': [0.0, -0.0, 1.0, -1.0, 1.5, NAN],
    'acos': [0.0, -0.0, 1.0, -1.0, -1.5, NAN],
    'atan': [0.0, -0.0, INF, -INF, NAN, 1e10],
    'sinh': [0.0, -0.0, INF, -INF, NAN, 30.0, -30.0],
    'cosh': [0.0, -0.0, INF, -INF, NAN, 30.0, -30.0],
    'asinh': [0.0, -0.0, INF, -INF, NAN, 1e10, -1e-10],
    'acosh': [1.0, 0.5, INF, NAN, 1e10],
    'atanh': [0.0, -0.0, 1.0, -1.0, 1.5, NAN],
    'exp2': [0.0, -0.0, INF, -INF, NAN, 10.0, -10.0, 0.5],
    'expm1': [0.0, -0.0, INF, -INF, NAN, 1e-10, -30.0],
    'log2': [0.0, -0.0, -1.0, INF, NAN, 1.0, 8.0, 0.125],
    'log10': [0.0, -0.0, -1.0, INF, NAN, 1.0, 1000.0],
    'log1p': [0.0, -0.0, -1.0, -2.0, INF, NAN, 1e-10],
    'floor': [0.0, -0.0, INF, -INF, NAN, -0.5, 0.5, -2.5],
    'ceil': [0.0, -0.0, INF, -INF, NAN, -0.5, 0.5, 2.5],
    'round': [0.0, -0.0, INF, -INF, NAN, -0.5, 0.5, 1.5, 2.5, -2.5, 3.5],
    'trunc': [0.0, -0.0, INF, -INF, NAN, -0.5, 0.5, -2.5],
    'frac': [0.0, -0.0, NAN, -0.5, 2.25, -3.75],
    'erf': [0.0, -0.0, INF, -INF, NAN, 5.0, -7.0],
    'erfinv': [0.0, -0.0, 1.0, -1.0, 1.5, NAN],
    'gelu': [0.0, -0.0, INF, -INF, NAN, 10.0, -10.0],
    'silu': [0.0, -0.0, INF, NAN, 10.0, -10.0],
    'mish': [0.0, -0.0, INF, NAN, 10.0, -10.0],
}

# Unary ops whose gradient at the special values is left out: PyTorch's formula there is
# an implementation detail (0 · inf in a product, the order of a NaN-producing expression).
SPECIAL_NO_GRAD = {'tan', 'sinh', 'cosh', 'exp2', 'expm1', 'gelu', 'silu', 'mish', 'erfinv', 'asin', 'acos',
                   'atanh', 'acosh', 'log1p', 'log2', 'log10', 'atan', 'asinh', 'erf', 'sin', 'cos'}

# The unary ops that also get a 1000-element float32 case (the fixture stays small).
LARGE = {'sin', 'atan', 'exp2', 'log1p', 'round', 'erf', 'erfinv', 'gelu', 'silu', 'acosh'}

for dn, dt in TORCH_DTYPES.items():
    sizes = [(1,), (7,), (33,), (3, 5)]
    for op, make in DOMAIN.items():
        for s in sizes + ([(1000,)] if dn == 'float32' and op in LARGE else []):
            case(op, dn, [make(s, dt)])
        sp = torch.tensor(SPECIAL[op], dtype=dt)
        case(op, dn, [sp], grad=op not in SPECIAL_NO_GRAD, tag='special')

    case('roundDecimals', dn, [randn((33,), dt, 50.0)], [2])
    case('roundDecimals', dn, [randn((7,), dt, 5000.0)], [-2])
    case('logit', dn, [uniform((33,), dt, 0.02, 0.98)])
    case('logit', dn, [torch.tensor([-0.5, 0.0, 0.05, 0.5, 0.95, 1.0, 1.5], dtype=dt)], [0.1], tag='eps')
    case('logit', dn, [torch.tensor([-0.5, 0.25, 0.5, 1.5, NAN], dtype=dt)], grad=False, tag='special')
    nn_in = torch.tensor([NAN, INF, -INF, 0.0, -2.5, 1e30], dtype=dt)
    case('nanToNum', dn, [nn_in], [{}])
    case('nanToNum', dn, [nn_in], [{'nan': 1.5, 'posinf': 100.0, 'neginf': -100.0}])
    case('nanToNum', dn, [randn((33,), dt)], [{}])
    for op in ['isnan', 'isinf', 'isfinite']:
        case(op, dn, [torch.tensor([NAN, INF, -INF, 0.0, -0.0, 1.5, -1e30], dtype=dt)], grad=False)
    case('clip', dn, [randn((33,), dt)], [-0.5, 0.75])
    case('clip', dn, [randn((7,), dt)], [None, 0.25])
    case('fn.clip', dn, [randn((7,), dt)], [-0.25, None])
    case('fn.sin', dn, [randn((7,), dt)])
    case('fn.erf', dn, [randn((7,), dt)])
    case('fn.round', dn, [halves((7,), dt)])

    BIN_SHAPES = [
        ((1,), (1,)),
        ((7,), (7,)),
        ((33,), (1,)),
        ((7, 1), (1, 5)),
        ((2, 3, 4), (4,)),
        ((), (3, 2)),
    ] + ([((1000,), (1000,))] if dn == 'float32' else [])
    for sa, sb in BIN_SHAPES:
        case('atan2', dn, [randn(sa, dt), randn(sb, dt)])
        case('hypot', dn, [randn(sa, dt, 2.0), randn(sb, dt, 2.0)])
        case('fmod', dn, [randn(sa, dt, 5.0), away(sb, dt)])
        case('remainder', dn, [randn(sa, dt, 5.0), away(sb, dt)])
        case('divTrunc', dn, [randn(sa, dt, 5.0), away(sb, dt)])
        case('divFloor', dn, [randn(sa, dt, 5.0), away(sb, dt)])
        case('max2', dn, [randn(sa, dt), randn(sb, dt)])
        case('min2', dn, [randn(sa, dt), randn(sb, dt)])
    case('fn.atan2', dn, [randn((7,), dt), randn((7,), dt)])
    case('maxMethod2', dn, [randn((7, 1), dt), randn((3,), dt)])
    case('max2', dn, [halves((33,), dt, 2), halves((33,), dt, 2)], tag='ties')
    # exact quotients and signs: 49 / 49 is 1 (not 0.999…), -0 results, zero divisors
    ea = torch.tensor([49.0, -49.0, 6.0, -6.0, 7.5, -7.5, 0.0, -0.0, 1.0, -1.0, 5.0], dtype=dt)
    eb = torch.tensor([49.0, 49.0, 3.0, 3.0, -2.5, 2.5, 3.0, -3.0, INF, INF, -INF], dtype=dt)
    for op in ['divTrunc', 'divFloor', 'fmod', 'remainder']:
        case(op, dn, [ea, eb], tag='exact')
    z = torch.tensor([1.0, -1.0, 0.0, NAN, INF], dtype=dt)
    zb = torch.tensor([0.0, 0.0, 0.0, 2.0, 3.0], dtype=dt)
    for op in ['divTrunc', 'divFloor', 'fmod', 'remainder']:
        case(op, dn, [z, zb], grad=False, tag='special')
    for op, v in [('fmodScalar', 1.5), ('remainderScalar', -1.5), ('divTruncScalar', 49.0), ('divFloorScalar', -0.7)]:
        case(op, dn, [randn((33,), dt, 5.0)], [v])
    case('divTruncScalar', dn, [torch.tensor([49.0, -49.0, 98.0, 0.0, 48.9], dtype=dt)], [49.0], tag='exact')
    case('atan2', dn, [torch.tensor([0.0, -0.0, 0.0, -0.0, 1.0, -1.0, INF, INF, -INF, NAN, 1.0], dtype=dt),
                       torch.tensor([0.0, 0.0, -0.0, -0.0, -0.0, 0.0, INF, -INF, 2.0, 1.0, -INF], dtype=dt)],
         grad=False, tag='special')
    case('hypot', dn, [torch.tensor([INF, NAN, -INF, 3.0, 0.0, 1e30], dtype=dt),
                       torch.tensor([NAN, INF, 1.0, -4.0, -0.0, 1e30], dtype=dt)], grad=False, tag='special')

    TER_SHAPES = [((7,), (7,), (7,)), ((33,), (1,), (33,)), ((3, 1), (1, 4), (4,)), ((1,), (1,), (1,))] + (
        [((1000,), (1000,), (1000,))] if dn == 'float32' else [])
    for sa, sb, sc in TER_SHAPES:
        case('lerp', dn, [randn(sa, dt), randn(sb, dt), uniform(sc, dt, -0.5, 1.5)])
        case('addcmul', dn, [randn(sa, dt), randn(sb, dt), randn(sc, dt)])
        case('addcdiv', dn, [randn(sa, dt), randn(sb, dt), away(sc, dt)], [0.5])
    case('addcmul', dn, [randn((7,), dt), randn((7,), dt), randn((7,), dt)], [-2.5])
    case('addcdiv', dn, [randn((7,), dt), randn((7,), dt), away((7,), dt)])
    for w in [0.3, 0.7, 1.0]:
        case('lerpScalar', dn, [randn((33,), dt), randn((33,), dt)], [w])
    case('fn.lerp', dn, [randn((7,), dt), randn((7,), dt), uniform((7,), dt, 0.0, 1.0)])

    ACT = [(7,), (33,)] + ([(1000,)] if dn == 'float32' else [])
    for s in ACT:
        # Below x ≈ -4.5 PyTorch's float32 gradient of the tanh approximation is exactly 0
        # (tanh of the inner term rounds to -1), while the exact one is ~1e-6, beyond the
        # float32 tolerance's absolute part: the tanh cases stay inside [-4.5, 4.5].
        case('gelu', dn, [randn(s, dt, 2.0).clamp(-4.5, 4.5)], ['tanh'])
        case('hardtanh', dn, [randn(s, dt, 2.0)])
        case('leakyRelu', dn, [randn(s, dt, 2.0)])
        case('elu', dn, [randn(s, dt, 2.0)])
        case('softplus', dn, [randn(s, dt, 5.0)], [2.0, 5.0])
    case('gelu', dn, [randn((7,), dt, 3.0)], ['none'])
    case('hardtanh', dn, [torch.tensor([-3.0, -2.0, -1.0, 0.5, 2.0, 3.0, NAN], dtype=dt)], [-2.0, 2.0], tag='edges')
    case('leakyRelu', dn, [randn((7,), dt, 2.0)], [0.2])
    case('leakyRelu', dn, [torch.tensor([-INF, INF, NAN, -0.0, 0.0], dtype=dt)], grad=False, tag='special')
    case('elu', dn, [randn((7,), dt, 2.0)], [0.5])
    case('elu', dn, [torch.tensor([-INF, INF, NAN, -0.0, 0.0, -50.0], dtype=dt)], grad=False, tag='special')
    case('hardtanh', dn, [torch.tensor([-INF, INF, NAN], dtype=dt)], grad=False, tag='special')
    case('softplus', dn, [torch.tensor([-30.0, -5.0, 0.0, 2.4, 2.6, 10.0, 40.0], dtype=dt)], [2.0, 5.0], tag='threshold')
    case('softplus', dn, [torch.tensor([-3.0, -0.5, 0.0, 1.0, 4.0], dtype=dt)], [0.5, 1.0], tag='threshold')
    case('softplus', dn, [torch.tensor([-INF, INF, NAN], dtype=dt)], [3.0, 10.0], grad=False, tag='special')
    case('nn.GELU', dn, [randn((7,), dt, 2.0)], ['tanh'])
    case('nn.GELU', dn, [randn((7,), dt, 2.0)], ['none'])
    case('nn.SiLU', dn, [randn((7,), dt, 2.0)])
    case('nn.Mish', dn, [randn((7,), dt, 2.0)])
    case('nn.Hardtanh', dn, [randn((7,), dt, 2.0)], [-0.5, 1.5])
    case('nn.LeakyReLU', dn, [randn((7,), dt, 2.0)], [0.1])
    case('nn.ELU', dn, [randn((7,), dt, 2.0)], [2.0])
    case('nn.Softplus', dn, [randn((7,), dt, 4.0)], [3.0, 6.0])
    case('nn.Tanh', dn, [randn((7,), dt, 2.0)])
    case('nn.Sigmoid', dn, [randn((7,), dt, 2.0)])

    for op in ['sin_', 'cos_', 'exp2_', 'erf_', 'floor_', 'round_', 'trunc_']:
        case(op, dn, [randn((7,), dt)])
    case('log1p_', dn, [uniform((7,), dt, 0.0, 3.0)])
    case('clip_', dn, [randn((7,), dt)], [-0.5, 0.5])
    case('fmod_', dn, [randn((3, 4), dt, 4.0), away((4,), dt)])
    case('lerp_', dn, [randn((7,), dt), randn((7,), dt)], [0.25])
    case('addcmul_', dn, [randn((7,), dt), randn((7,), dt), randn((7,), dt)])
    case('addcdiv_', dn, [randn((7,), dt), randn((7,), dt), away((7,), dt)], [2.0])
    case('nanToNum_', dn, [torch.tensor([NAN, INF, -INF, 1.5], dtype=dt)])
    # in place where only another operand requires grad: its gradient reads the old self
    case('lerpT_', dn, [randn((7,), dt), randn((7,), dt), uniform((7,), dt, 0.0, 1.0)], requires=[False, False, True],
         tag='weight only')
    case('addcdiv_', dn, [randn((7,), dt), randn((7,), dt), away((7,), dt)], [1.5], requires=[False, False, True],
         tag='tensor2 only')
    case('silu_', dn, [randn((7,), dt, 2.0)])
    case('leakyRelu_', dn, [randn((7,), dt, 2.0)], [0.3])

# int32 inputs: PyTorch's promotion (transcendental → float32, rounding/predicates keep or
# answer for integers, fmod/remainder/div stay integer) ...
i32 = lambda v: torch.tensor(v, dtype=torch.int32)
ia = i32([7, -7, 9, -9, 0, 5, -1, 100])
ib = i32([2, 2, -4, -4, 3, -5, 3, 7])
for op in ['sin', 'exp2', 'expm1', 'log2', 'erf', 'atan', 'logit', 'sinh']:
    case(op, 'int32', [ia])
for op in ['floor', 'ceil', 'round', 'trunc', 'isnan', 'isinf', 'isfinite']:
    case(op, 'int32', [ia])
case('nanToNum', 'int32', [ia], [{}])
case('clip', 'int32', [ia], [-3, 4])
case('hardtanh', 'int32', [ia])
for op in ['fmod', 'remainder', 'divTrunc', 'divFloor', 'atan2', 'max2', 'min2']:
    case(op, 'int32', [ia, ib])
case('addcmul', 'int32', [ia, ib, ia])
case('fmodScalar', 'int32', [ia], [3])
case('remainderScalar', 'int32', [ia], [-3])
case('divFloorScalar', 'int32', [ia], [-4])
case('fmodScalar', 'int32', [ia], [2.5], tag='float number')
# mixed: int32 with float32, float32 with float64
case('atan2', 'float32', [ia, randn((8,), torch.float32)], tag='int32 float32')
case('fmod', 'float64', [randn((8,), torch.float32, 5.0), away((8,), torch.float64)], tag='float32 float64')
case('hypot', 'float64', [randn((3,), torch.float64), torch.tensor(0.25, dtype=torch.float32)], tag='0-dim float32')

# ... or its refusal
for op, args in [('gelu', []), ('silu', []), ('mish', []), ('leakyRelu', []), ('elu', []), ('frac', []),
                 ('softplus', [2.0, 5.0])]:
    error(op, [ia], args, phrase='not implemented')
error('hypot', [ia, ib], phrase='not implemented')
error('addcdiv', [randn((8,), torch.float32), ia, ib], phrase='Integer division with addcdiv')
error('powScalar', [ia], [-1], phrase='Integers to negative integer powers are not allowed')

write('ops_math', {
    'meta': meta('ops_math.py', 'elementwise math (issue 13): values, gradients of sum(out * cot) and grad_fn names; '
                 'int32 promotion and refusals', notes=[
        'inputs marked requiresGrad are leaves; grads are null for inputs that do not require grad.',
        "cases tagged 'special' hold NaN/inf/±0 inputs; some leave out gradients where PyTorch's is an implementation detail.",
        'errors: ops PyTorch refuses, with its message; `phrase` is what stepwise\'s message must contain.',
    ]),
    'cases': cases,
    'errors': errors,
})
print(len(cases), 'cases,', len(errors), 'error cases')
