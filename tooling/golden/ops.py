"""Golden fixtures for stepwise's Tensor ops: values, gradients and gradFn names.

Run by hand:  /usr/bin/python3 tooling/golden/ops.py
Writes packages/conformance/fixtures/ops.json and fixtures/promotion.json.

ops.json: one case per (op, dtype, shape). A case holds its tensor inputs, the op's extra
arguments (`args`, as the TypeScript call takes them), the output, the output's
`grad_fn.name()` and, for differentiable ops, a fixed random cotangent `cot` and the
gradients of sum(out * cot) with respect to every input that requires grad. The `op` key is
shared with packages/conformance/src/suites/opTable.ts, which maps it to the stepwise call.
"""
import torch
import torch.nn.functional as F

from common import TORCH_DTYPES, flat, meta, tens, write

G = torch.Generator().manual_seed(20240611)


def randn(shape, dtype, scale=1.0):
    return torch.randn(shape, generator=G, dtype=torch.float64).to(dtype) * scale


def positive(shape, dtype):
    return (torch.rand(shape, generator=G, dtype=torch.float64) * 2.9 + 0.1).to(dtype)


def halfints(shape, dtype):
    # Values on a half-integer grid so comparisons meet ties.
    return (torch.randint(-4, 5, shape, generator=G).to(torch.float64) / 2).to(dtype)


def no_ties(shape, dtype):
    # Distinct values (so max/min/argmax and their gradients are unambiguous).
    n = 1
    for s in shape:
        n *= s
    perm = torch.randperm(n, generator=G).to(torch.float64)
    return ((perm - n / 2) / 3 + randn((n,), torch.float64, 0.01)).reshape(shape).to(dtype)


# op key -> (python implementation taking (inputs, args))
OPS = {
    # unary, method form
    'neg': lambda x, a: x[0].neg(),
    'exp': lambda x, a: x[0].exp(),
    'log': lambda x, a: x[0].log(),
    'sqrt': lambda x, a: x[0].sqrt(),
    'rsqrt': lambda x, a: x[0].rsqrt(),
    'abs': lambda x, a: x[0].abs(),
    'sign': lambda x, a: x[0].sign(),
    'square': lambda x, a: x[0].square(),
    'relu': lambda x, a: x[0].relu(),
    'sigmoid': lambda x, a: x[0].sigmoid(),
    'tanh': lambda x, a: x[0].tanh(),
    'softplus': lambda x, a: F.softplus(x[0]),
    # binary tensor-tensor
    'add': lambda x, a: x[0].add(x[1]),
    'sub': lambda x, a: x[0].sub(x[1]),
    'mul': lambda x, a: x[0].mul(x[1]),
    'div': lambda x, a: x[0].div(x[1]),
    'pow': lambda x, a: x[0].pow(x[1]),
    'maximum': lambda x, a: torch.maximum(x[0], x[1]),
    'minimum': lambda x, a: torch.minimum(x[0], x[1]),
    # binary with a JS number
    'addScalar': lambda x, a: x[0].add(a[0]),
    'subScalar': lambda x, a: x[0].sub(a[0]),
    'mulScalar': lambda x, a: x[0].mul(a[0]),
    'divScalar': lambda x, a: x[0].div(a[0]),
    'powScalar': lambda x, a: x[0].pow(a[0]),
    'powScalarBase': lambda x, a: torch.pow(a[0], x[0]),
    # torch.* function forms
    'fn.add': lambda x, a: torch.add(x[0], x[1]),
    'fn.mul': lambda x, a: torch.mul(x[0], x[1]),
    'fn.exp': lambda x, a: torch.exp(x[0]),
    'fn.log': lambda x, a: torch.log(x[0]),
    'fn.sigmoid': lambda x, a: torch.sigmoid(x[0]),
    'fn.matmul': lambda x, a: torch.matmul(x[0], x[1]),
    # clamp(min?, max?) with null for an absent bound
    'clamp': lambda x, a: x[0].clamp(a[0], a[1]),
    'where': lambda x, a: torch.where(x[0], x[1], x[2]),
    'eq': lambda x, a: x[0].eq(x[1]),
    'ne': lambda x, a: x[0].ne(x[1]),
    'lt': lambda x, a: x[0].lt(x[1]),
    'le': lambda x, a: x[0].le(x[1]),
    'gt': lambda x, a: x[0].gt(x[1]),
    'ge': lambda x, a: x[0].ge(x[1]),
    'eqScalar': lambda x, a: x[0].eq(a[0]),
    'ltScalar': lambda x, a: x[0].lt(a[0]),
    'geScalar': lambda x, a: x[0].ge(a[0]),
    # reductions: args = [] or [dim, keepdim]
    'sum': lambda x, a: x[0].sum(*a) if a else x[0].sum(),
    'mean': lambda x, a: x[0].mean(*a) if a else x[0].mean(),
    'max': lambda x, a: x[0].max(*a).values if a else x[0].max(),
    'min': lambda x, a: x[0].min(*a).values if a else x[0].min(),
    'argmax': lambda x, a: x[0].argmax(*a) if a else x[0].argmax(),
    'logsumexp': lambda x, a: x[0].logsumexp(*a),
    'softmax': lambda x, a: x[0].softmax(a[0]),
    'logSoftmax': lambda x, a: x[0].log_softmax(a[0]),
    'matmul': lambda x, a: x[0].matmul(x[1]),
    # shape ops; args as the TypeScript call takes them
    'reshape': lambda x, a: x[0].reshape(a[0]),
    'view': lambda x, a: x[0].view(a[0]),
    'flatten': lambda x, a: x[0].flatten(*a),
    'squeeze': lambda x, a: x[0].squeeze(*a),
    'unsqueeze': lambda x, a: x[0].unsqueeze(a[0]),
    'permute': lambda x, a: x[0].permute(a[0]),
    'transpose': lambda x, a: x[0].transpose(a[0], a[1]),
    'T': lambda x, a: x[0].T,
    'expand': lambda x, a: x[0].expand(a[0]),
    'cat': lambda x, a: torch.cat(x, a[0]),
    'stack': lambda x, a: torch.stack(x, a[0]),
    'narrow': lambda x, a: x[0].narrow(a[0], a[1], a[2]),
    'indexSelect': lambda x, a: x[0].index_select(a[0], x[1]),
    'gather': lambda x, a: x[0].gather(a[0], x[1]),
    'clone': lambda x, a: x[0].clone(),
    'contiguous': lambda x, a: x[0].contiguous(),
    'transposeContiguous': lambda x, a: x[0].transpose(0, 1).contiguous(),
    # in place, on a clone of input 0 (a non-leaf, so autograd records the in-place op)
    'add_': lambda x, a: x[0].clone().add_(x[1]),
    'sub_': lambda x, a: x[0].clone().sub_(x[1]),
    'mul_': lambda x, a: x[0].clone().mul_(x[1]),
    'div_': lambda x, a: x[0].clone().div_(x[1]),
    'addScalar_': lambda x, a: x[0].clone().add_(a[0]),
    'mulScalar_': lambda x, a: x[0].clone().mul_(a[0]),
    'clamp_': lambda x, a: x[0].clone().clamp_(a[0], a[1]),
    'zero_': lambda x, a: x[0].clone().zero_(),
    'fill_': lambda x, a: x[0].clone().fill_(a[0]),
    'copy_': lambda x, a: x[0].clone().copy_(x[1]),
}

cases = []

# PyTorch composes a few ops from others, and the node it reports is the last primitive's,
# which changed between versions (1.13 reshape -> ReshapeAliasBackward0, 2.x -> ViewBackward0)
# or depends on internal folding (batched matmul -> UnsafeViewBackward0, CloneBackward0, ...).
# For those the suite accepts any listed name; everywhere else the name must match exactly.
COMPOSITE_MATMUL = ['BmmBackward0', 'UnsafeViewBackward0', 'ViewBackward0', 'ExpandBackward0',
                    'CloneBackward0', 'SqueezeBackward0', 'SqueezeBackward1', 'SqueezeBackward3',
                    'MmBackward0', 'MvBackward0']


def grad_fn_accept(op, name, xs):
    if op in ('reshape', 'flatten'):
        return sorted({name, 'ReshapeAliasBackward0', 'ViewBackward0'})
    if op == 'contiguous':
        # PyTorch returns the input itself when it is already contiguous; a fresh copy is
        # an aliasing detail, not a semantic difference.
        return [None, 'CloneBackward0']
    if op in ('matmul', 'fn.matmul') and (xs[0].dim(), xs[1].dim()) not in ((1, 1), (2, 1), (2, 2)):
        # Only dot (1-D @ 1-D), mv (2-D @ 1-D) and mm (2-D @ 2-D) are single nodes in PyTorch.
        return sorted(set([name] + COMPOSITE_MATMUL))
    if op == 'copy_':
        # PyTorch reports its C++ node name here, namespace included.
        return sorted({name, 'CopyBackwards'})
    if op == 'fill_':
        # fill_ has several overloads, numbered differently across versions.
        return sorted({name, 'FillBackward0', 'FillBackward1', 'FillBackward2'})
    if op == 'transposeContiguous':
        # PyTorch's transpose is a strided view, so contiguous() copies (CloneBackward0); a
        # library whose transpose already returns a contiguous tensor returns it from
        # contiguous() unchanged (TransposeBackward0). Same values and gradients.
        return [name, 'TransposeBackward0']
    return None



def case(op, dtype_name, inputs, args=(), grad=True, tag=''):
    """inputs: tensors already in their dtype; float ones get requires_grad when grad."""
    xs = []
    for t in inputs:
        t = t.detach().clone()
        if grad and t.dtype in (torch.float32, torch.float64):
            t.requires_grad_(True)
        xs.append(t)
    out = OPS[op](xs, list(args))
    c = {
        'id': f'{op}/{dtype_name}/' + ' '.join(str(list(t.shape)) for t in inputs) + (f' {tag}' if tag else ''),
        'op': op,
        'dtype': dtype_name,
        'args': list(args),
        'inputs': [tens(t) for t in xs],
        'requiresGrad': [bool(t.requires_grad) for t in xs],
        'out': tens(out),
        'gradFn': out.grad_fn.name() if out.grad_fn is not None else None,
    }
    accept = grad_fn_accept(op, c['gradFn'], xs)
    if accept is not None:
        c['gradFnAccept'] = accept
    if out.requires_grad:
        cot = randn(tuple(out.shape), out.dtype)
        (out * cot).sum().backward()
        c['cot'] = flat(cot)
        c['grads'] = [flat(t.grad) if t.requires_grad else None for t in xs]
    cases.append(c)


UNARY = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'abs', 'sign', 'square', 'relu', 'sigmoid', 'tanh', 'softplus']
POSITIVE_ONLY = {'log', 'sqrt', 'rsqrt', 'fn.log'}

for dn, dt in TORCH_DTYPES.items():
    shapes = [(1,), (7,), (33,), (3, 5)] + ([(1000,)] if dn == 'float32' else [])
    for op in UNARY:
        for s in shapes:
            x = positive(s, dt) if op in POSITIVE_ONLY else randn(s, dt, 2.0)
            case(op, dn, [x])
    # softplus beyond its threshold (x > 20 returns x) and far negative
    case('softplus', dn, [torch.tensor([-30.0, -5.0, 0.0, 5.0, 19.5, 20.5, 40.0], dtype=dt)], tag='threshold')
    for op in ['fn.exp', 'fn.log', 'fn.sigmoid']:
        case(op, dn, [positive((7,), dt)])

    BIN_SHAPES = [
        ((1,), (1,)),
        ((7,), (7,)),
        ((33,), (1,)),
        ((7, 1), (1, 33)),
        ((2, 3, 4), (4,)),
        ((3, 1, 5), (2, 1)),
        ((), (3, 2)),
    ] + ([((1000,), (1000,))] if dn == 'float32' else [])
    for op in ['add', 'sub', 'mul', 'div', 'maximum', 'minimum']:
        for sa, sb in BIN_SHAPES:
            b = positive(sb, dt) if op == 'div' else randn(sb, dt)
            case(op, dn, [randn(sa, dt), b])
    for sa, sb in BIN_SHAPES[:5]:
        case('pow', dn, [positive(sa, dt), randn(sb, dt)])
    # maximum/minimum ties: PyTorch splits the gradient evenly between equal inputs
    for op in ['maximum', 'minimum']:
        case(op, dn, [halfints((33,), dt), halfints((33,), dt)], tag='ties')
    for op in ['fn.add', 'fn.mul']:
        case(op, dn, [randn((7, 1), dt), randn((5,), dt)])

    for op, v in [('addScalar', 2.5), ('subScalar', -1.25), ('mulScalar', 3.0), ('divScalar', 0.3)]:
        for s in [(7,), (3, 5)]:
            case(op, dn, [randn(s, dt)], [v])
    case('powScalar', dn, [randn((33,), dt)], [2])
    case('powScalar', dn, [randn((33,), dt)], [3])
    case('powScalar', dn, [positive((33,), dt)], [0.5])
    case('powScalar', dn, [positive((33,), dt)], [-1.5])

    for lo, hi in [(-0.5, 0.5), (-0.5, None), (None, 0.5)]:
        case('clamp', dn, [randn((33,), dt)], [lo, hi])
    case('clamp', dn, [randn((3, 5), dt)], [-1.0, 1.0])

    for sc, sa, sb in [((7,), (7,), (7,)), ((3, 1), (1, 4), (3, 4)), ((33,), (33,), (1,))]:
        cond = torch.rand(sc, generator=G) > 0.5
        case('where', dn, [cond, randn(sa, dt), randn(sb, dt)])

    for op in ['eq', 'ne', 'lt', 'le', 'gt', 'ge']:
        for sa, sb in [((33,), (33,)), ((3, 1), (1, 5))]:
            case(op, dn, [halfints(sa, dt), halfints(sb, dt)], grad=False)
    for op, v in [('eqScalar', 0.5), ('ltScalar', 0.0), ('geScalar', -1.0)]:
        case(op, dn, [halfints((33,), dt)], [v], grad=False)

    RED_SHAPES = [(7,), (3, 5), (2, 3, 4)] + ([(1000,)] if dn == 'float32' else [(1000,)])
    for op in ['sum', 'mean', 'max', 'min', 'argmax']:
        for s in RED_SHAPES:
            mk = no_ties if op in ('max', 'min', 'argmax') else randn
            case(op, dn, [mk(s, dt)], grad=op != 'argmax')
            if len(s) == 1 and s[0] == 1000:
                continue
            for d in range(-1, len(s)):
                for keep in (False, True):
                    if d == -1 and keep:
                        continue
                    case(op, dn, [mk(s, dt)], [d, keep], grad=op != 'argmax')
    for s in [(7,), (3, 5), (2, 3, 4), (1000,)]:
        for d in range(-1, len(s)):
            for keep in (False, True):
                if len(s) == 1 and s[0] == 1000 and keep:
                    continue
                case('logsumexp', dn, [randn(s, dt, 3.0)], [d, keep])
    # large values: logsumexp must not overflow
    case('logsumexp', dn, [torch.tensor([[1000.0, 1000.5, 999.0], [-1000.0, -999.0, -1001.0]], dtype=dt)], [1, False], tag='large')
    for op in ['softmax', 'logSoftmax']:
        for s, dims in [((7,), [0]), ((3, 5), [0, 1, -1]), ((2, 3, 4), [1, -1]), ((1000,), [0])]:
            for d in dims:
                case(op, dn, [randn(s, dt, 3.0)], [d])
        case(op, dn, [torch.tensor([[1000.0, 1000.5, 999.0], [-1000.0, -999.0, -1001.0]], dtype=dt)], [1], tag='large')

    MM = [
        ((7,), (7,)),
        ((3, 4), (4,)),
        ((4,), (4, 5)),
        ((3, 4), (4, 5)),
        ((1, 1), (1, 1)),
        ((33, 17), (17, 9)),
        ((2, 3, 4), (2, 4, 5)),
        ((2, 3, 4), (4, 5)),
        ((3, 4), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 2)),
        ((2, 3, 4), (4,)),
        ((4,), (2, 4, 3)),
    ]
    for sa, sb in MM:
        case('matmul', dn, [randn(sa, dt), randn(sb, dt)])
    case('fn.matmul', dn, [randn((3, 4), dt), randn((4, 2), dt)])

    x234 = lambda: randn((2, 3, 4), dt)
    case('reshape', dn, [x234()], [[6, 4]])
    case('reshape', dn, [x234()], [[-1]])
    case('reshape', dn, [x234()], [[4, -1, 3]])
    case('view', dn, [x234()], [[3, 8]])
    case('view', dn, [x234()], [[2, -1]])
    case('flatten', dn, [x234()], [])
    case('flatten', dn, [x234()], [1])
    case('flatten', dn, [x234()], [0, 1])
    case('squeeze', dn, [randn((1, 3, 1, 5), dt)], [])
    case('squeeze', dn, [randn((1, 3, 1, 5), dt)], [2])
    case('squeeze', dn, [randn((1, 3, 1, 5), dt)], [1])
    case('unsqueeze', dn, [randn((3, 5), dt)], [0])
    case('unsqueeze', dn, [randn((3, 5), dt)], [2])
    case('unsqueeze', dn, [randn((3, 5), dt)], [-1])
    case('permute', dn, [x234()], [[2, 0, 1]])
    case('permute', dn, [x234()], [[1, 2, 0]])
    case('transpose', dn, [randn((3, 5), dt)], [0, 1])
    case('transpose', dn, [x234()], [0, 2])
    case('transpose', dn, [x234()], [-1, -2])
    case('T', dn, [randn((3, 5), dt)])
    case('T', dn, [randn((7,), dt)])
    case('expand', dn, [randn((3, 1), dt)], [[3, 4]])
    case('expand', dn, [randn((1, 5), dt)], [[2, 3, 5]])
    case('expand', dn, [randn((3, 1), dt)], [[-1, 4]])
    case('cat', dn, [randn((2, 3), dt), randn((4, 3), dt)], [0])
    case('cat', dn, [randn((2, 3), dt), randn((2, 5), dt)], [1])
    case('cat', dn, [randn((2, 3), dt), randn((2, 1), dt), randn((2, 2), dt)], [-1])
    case('cat', dn, [randn((7,), dt), randn((33,), dt)], [0])
    for d in [0, 1, -1]:
        case('stack', dn, [randn((2, 3), dt), randn((2, 3), dt), randn((2, 3), dt)], [d])
    case('narrow', dn, [randn((5, 7), dt)], [0, 1, 3])
    case('narrow', dn, [randn((5, 7), dt)], [1, 2, 4])
    case('narrow', dn, [x234()], [2, 3, 1])
    case('indexSelect', dn, [randn((5, 7), dt), torch.tensor([4, 0, 2, 2])], [0])
    case('indexSelect', dn, [randn((5, 7), dt), torch.tensor([6, 1, 1])], [1])
    case('indexSelect', dn, [randn((33,), dt), torch.tensor([32, 0, 7])], [0])
    case('gather', dn, [randn((3, 4), dt), torch.tensor([[0, 3], [2, 2], [1, 0]])], [1])
    case('gather', dn, [randn((3, 4), dt), torch.tensor([[2, 0, 1, 1], [0, 0, 2, 1]])], [0])
    case('gather', dn, [x234(), torch.randint(0, 3, (2, 2, 4), generator=G)], [1])
    for op in ['add_', 'sub_', 'mul_']:
        case(op, dn, [randn((3, 5), dt), randn((3, 5), dt)])
        case(op, dn, [randn((3, 5), dt), randn((5,), dt)])
    case('div_', dn, [randn((3, 5), dt), positive((3, 1), dt)])
    case('addScalar_', dn, [randn((7,), dt)], [1.5])
    case('mulScalar_', dn, [randn((7,), dt)], [-3.0])
    case('clamp_', dn, [randn((33,), dt)], [-0.5, 0.5])
    case('zero_', dn, [randn((7,), dt)])
    case('fill_', dn, [randn((7,), dt)], [2.5])
    case('copy_', dn, [randn((3, 5), dt), randn((5,), dt)])
    case('copy_', dn, [randn((3, 5), dt), randn((3, 5), dt)])
    case('clone', dn, [randn((3, 5), dt)])

    # special values (forward only): NaN and infinities in and out
    nan, inf = float('nan'), float('inf')
    sp = lambda v: torch.tensor(v, dtype=dt)
    case('log', dn, [sp([0.0, -1.0, 1.0, inf])], grad=False, tag='special')
    case('sqrt', dn, [sp([-1.0, 0.0, 4.0, inf])], grad=False, tag='special')
    case('rsqrt', dn, [sp([0.0, -0.0, 4.0, inf])], grad=False, tag='special')
    case('exp', dn, [sp([100.0, 1000.0, -1000.0, nan, -inf])], grad=False, tag='special')
    case('sigmoid', dn, [sp([-1000.0, 1000.0, -100.0, 100.0, nan])], grad=False, tag='special')
    case('tanh', dn, [sp([-1000.0, 1000.0, inf, -inf, nan])], grad=False, tag='special')
    case('softplus', dn, [sp([-inf, inf, nan, 1000.0])], grad=False, tag='special')
    case('relu', dn, [sp([-inf, inf, nan, -0.0])], grad=False, tag='special')
    case('abs', dn, [sp([-inf, nan, -0.0])], grad=False, tag='special')
    case('sign', dn, [sp([-inf, inf, nan, -0.0, 0.0])], grad=False, tag='special')
    case('div', dn, [sp([1.0, -1.0, 0.0, inf]), sp([0.0, 0.0, 0.0, inf])], grad=False, tag='special')
    case('pow', dn, [sp([-8.0, -2.0, 0.0, 0.0, 2.0]), sp([1 / 3, 2.0, 0.0, -1.0, inf])], grad=False, tag='special')
    # C's pow, every base against every exponent: ±0, ±1 (1 to any power is 1, -1 to ±inf
    # is 1), ±inf, NaN, fractions, odd and even integers.
    bases = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, inf, -inf, nan, 3.0]
    exps = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 3.0, -3.0, inf, -inf, nan, 2.5]
    case('pow', dn, [sp(bases).reshape(-1, 1), sp(exps)], grad=False, tag='special grid')
    for e in [0.5, -0.5, 2.5, 3, -3]:
        case('powScalar', dn, [sp([1.0, -1.0, -inf, inf, -0.0, nan, -2.0])], [e], grad=False, tag=f'special ** {e}')
    case('maximum', dn, [sp([nan, 1.0, -inf]), sp([1.0, nan, 3.0])], grad=False, tag='special')
    case('minimum', dn, [sp([nan, 1.0, inf]), sp([1.0, nan, 3.0])], grad=False, tag='special')
    case('max', dn, [sp([1.0, nan, 3.0])], grad=False, tag='special')
    case('max', dn, [sp([[1.0, nan, 3.0], [4.0, 5.0, 6.0]])], [1, False], grad=False, tag='special')
    case('sum', dn, [sp([1.0, inf, -inf])], grad=False, tag='special')
    case('argmax', dn, [sp([1.0, nan, 3.0, nan])], grad=False, tag='special')
    case('eq', dn, [sp([nan, 1.0, inf]), sp([nan, 1.0, inf])], grad=False, tag='special')
    case('ne', dn, [sp([nan, 1.0, inf]), sp([nan, 1.0, inf])], grad=False, tag='special')
    case('clamp', dn, [sp([nan, -inf, inf, 0.25])], [-0.5, 0.5], grad=False, tag='special')
    case('softmax', dn, [sp([[-inf, 0.0, 1.0], [0.0, 0.0, 0.0]])], [1], grad=False, tag='special')
    case('logSoftmax', dn, [sp([[-inf, 0.0, 1.0], [0.0, 0.0, 0.0]])], [1], grad=False, tag='special')
    case('logsumexp', dn, [sp([[-inf, -inf], [inf, 1.0]])], [1, False], grad=False, tag='special')
    case('contiguous', dn, [randn((3, 5), dt)])
    case('transposeContiguous', dn, [randn((3, 5), dt)])

# int32 powers: PyTorch's integer power (by squaring, wrapping; a negative exponent gives
# 1, ±1 or 0), an integer base to an integer tensor, a float exponent promoting.
i32t = lambda v: torch.tensor(v, dtype=torch.int32)
case('pow', 'int32', [i32t([0, 2, -1, 1, -2, 3, 0, 5, -3, 7]), i32t([-1, -1, -3, -2, -1, 40, 0, 13, 21, 11])], grad=False, tag='int32')
case('powScalar', 'int32', [i32t([0, 2, -1, 1, -2, 3, 7])], [3], grad=False, tag='int32 ** 3')
case('powScalar', 'int32', [i32t([0, 2, -1, 1, -2, 3, 7])], [0], grad=False, tag='int32 ** 0')
case('powScalar', 'int32', [i32t([1, 2, 3, 4])], [0.5], grad=False, tag='int32 float exponent')
case('powScalarBase', 'int32', [i32t([-1, 0, 2, 30, 31, 40])], [2], grad=False, tag='2 ** int32')
case('powScalarBase', 'int32', [i32t([-2, 0, 3])], [-3], grad=False, tag='-3 ** int32')
case('powScalarBase', 'int32', [i32t([-1, 0, 2])], [2.5], grad=False, tag='int32 float base')

write('ops', {
    'meta': meta('ops.py', 'Tensor ops: values, gradients of sum(out * cot) and grad_fn names, float32 and float64', notes=[
        'int64 index tensors of PyTorch are stored as int32 (stepwise has no int64).',
        "'max'/'min' with a dim take PyTorch's .values (stepwise returns the values tensor).",
        'inputs marked requiresGrad are leaves; grads are null for inputs that do not require grad.',
    ]),
    'cases': cases,
})

# ---- dtype promotion ----
promo = []


def promote(op, a, b, tag=''):
    fn = {
        'add': lambda x, y: x + y,
        'sub': lambda x, y: x - y,
        'mul': lambda x, y: x * y,
        'div': lambda x, y: x / y,
        'maximum': lambda x, y: torch.maximum(x, y),
        'lt': lambda x, y: x < y,
    }[op]
    out = fn(a, b)
    promo.append({
        'id': f'{op} {tag}',
        'op': op,
        'a': tens(a) if torch.is_tensor(a) else a,
        'b': tens(b) if torch.is_tensor(b) else b,
        'out': tens(out),
    })


f32 = torch.tensor([1.5, -2.25, 3.0], dtype=torch.float32)
f64 = torch.tensor([0.1, 0.2, -0.3], dtype=torch.float64)
i32 = torch.tensor([3, -4, 5], dtype=torch.int32)
i32b = torch.tensor([2, 3, -2], dtype=torch.int32)
bl = torch.tensor([True, False, True])
for op in ['add', 'sub', 'mul', 'div']:
    promote(op, f64, i32, 'float64 op int32')
    promote(op, i32, f64, 'int32 op float64')
    promote(op, f32, f64, 'float32 op float64')
    promote(op, f32, i32, 'float32 op int32')
    promote(op, f32, 2.5, 'float32 op number')
    promote(op, f64, 3, 'float64 op integer number')
    promote(op, i32, 2, 'int32 op integer number')
    promote(op, i32, 0.5, 'int32 op fractional number')
    promote(op, i32, i32b, 'int32 op int32')
promote('add', bl, f32, 'bool op float32')
promote('mul', bl, i32, 'bool op int32')
promote('maximum', f32, f64, 'float32 op float64')
promote('lt', i32, f64, 'int32 op float64')

unary_promo = []
for name, fn in [('exp', torch.exp), ('sqrt', torch.sqrt), ('sigmoid', torch.sigmoid), ('log', torch.log)]:
    x = torch.tensor([1, 4, 9], dtype=torch.int32)
    unary_promo.append({'id': f'{name} int32', 'op': name, 'a': tens(x), 'out': tens(fn(x))})
x = torch.tensor([1, 4, 9], dtype=torch.int32)
unary_promo.append({'id': 'neg int32', 'op': 'neg', 'a': tens(x), 'out': tens(-x)})
unary_promo.append({'id': 'abs int32', 'op': 'abs', 'a': tens(-x), 'out': tens(x.abs())})
unary_promo.append({'id': 'sum int32', 'op': 'sum', 'a': tens(x), 'out': tens(x.sum().to(torch.int32))})

write('promotion', {
    'meta': meta('ops.py', 'dtype promotion of binary ops (tensor/tensor, tensor/JS number) and int32 unary ops', notes=[
        'PyTorch int64 results (int tensor op int number, int sum) are int32 in stepwise.',
        'JS numbers: integers are written as JSON integers, fractional numbers with a point; '
        'a TypeScript reader cannot tell 3 from 3.0, so only integer-valued numbers are used '
        'where PyTorch would distinguish int from float scalars for a float tensor.',
    ]),
    'binary': promo,
    'unary': unary_promo,
})

# ---- creation functions (values PyTorch computes; dtype given explicitly where PyTorch's
# default differs: torch.arange of integers is int64 there, float32 in stepwise by API.md) ----
creation = []


def created(id, call, t):
    creation.append({'id': id, 'call': call, 'out': tens(t)})


for dn, dt in TORCH_DTYPES.items():
    created(f'zeros [2, 3] {dn}', ['zeros', [2, 3], {'dtype': dn}], torch.zeros(2, 3, dtype=dt))
    created(f'ones [4] {dn}', ['ones', [4], {'dtype': dn}], torch.ones(4, dtype=dt))
    created(f'full [2, 2] 1.5 {dn}', ['full', [2, 2], 1.5, {'dtype': dn}], torch.full((2, 2), 1.5, dtype=dt))
    created(f'arange 0..5 {dn}', ['arange', 0, 5, 1, {'dtype': dn}], torch.arange(0, 5, 1, dtype=dt))
    created(f'arange 1..2.5 by 0.5 {dn}', ['arange', 1, 2.5, 0.5, {'dtype': dn}], torch.arange(1, 2.5, 0.5, dtype=dt))
    created(f'arange 0..1 by 0.1 {dn}', ['arange', 0, 1, 0.1, {'dtype': dn}], torch.arange(0, 1, 0.1, dtype=dt))
    created(f'arange 5..0 by -1.5 {dn}', ['arange', 5, 0, -1.5, {'dtype': dn}], torch.arange(5, 0, -1.5, dtype=dt))
    created(f'linspace 0..1 n=7 {dn}', ['linspace', 0, 1, 7, {'dtype': dn}], torch.linspace(0, 1, 7, dtype=dt))
    created(f'linspace -3..2.5 n=12 {dn}', ['linspace', -3, 2.5, 12, {'dtype': dn}], torch.linspace(-3, 2.5, 12, dtype=dt))
    created(f'linspace 2..2 n=1 {dn}', ['linspace', 2, 2, 1, {'dtype': dn}], torch.linspace(2, 2, 1, dtype=dt))
created('arange 0..6 int32', ['arange', 0, 6, 1, {'dtype': 'int32'}], torch.arange(0, 6, 1, dtype=torch.int32))
created('eye 3', ['eye', 3], torch.eye(3))
created('tensor of numbers defaults to float32', ['tensor', [[1, 2], [3, 4]]], torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
created('tensor of a number is 0-dim', ['tensor', 2.5], torch.tensor(2.5))
created('tensor int32', ['tensor', [1, -2, 3], {'dtype': 'int32'}], torch.tensor([1, -2, 3], dtype=torch.int32))
created('tensor bool', ['tensor', [True, False, True], {'dtype': 'bool'}], torch.tensor([True, False, True]))

# casts: t.to(dtype) from a tensor of `from` dtype (float -> int truncates toward zero; -> bool is x != 0)
casts = []
src_vals = [1.5, -2.25, 3.75, 0.0, -0.5, 7.0]
for src in ['float32', 'float64', 'int32', 'bool']:
    tsrc = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int32, 'bool': torch.bool}[src]
    a = torch.tensor(src_vals).to(tsrc)
    for dst in ['float32', 'float64', 'int32', 'bool']:
        if dst == src:
            continue
        tdst = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int32, 'bool': torch.bool}[dst]
        casts.append({'id': f'{src} -> {dst}', 'a': tens(a), 'to': dst, 'out': tens(a.to(tdst))})

write('creation', {
    'casts': casts,
    'meta': meta('ops.py', 'creation functions: zeros, ones, full, arange, linspace, eye, tensor', notes=[
        "call = [functionName, ...positional args, options]; the suite calls torch[functionName](...).",
        'arange/linspace values as PyTorch computes them (arange: start + i * step; linspace: symmetric from both ends).',
    ]),
    'cases': creation,
})
