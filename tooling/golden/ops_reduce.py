"""Golden fixtures for reductions, sorting, linear algebra and the shape ops of issue 13.

Run by hand:  /usr/bin/python3 tooling/golden/ops_reduce.py
Writes packages/conformance/fixtures/ops_reduce.json, replayed by
packages/conformance/src/suites/opsReduce.ts.

One case per (op, dtype, shape, arguments). A case holds its tensor inputs, `args` exactly
as the TypeScript call takes them after its tensor inputs (see OPS below for the PyTorch
call each op key stands for, and opsReduce.ts for the stepwise one), every output
(`outs`: ops returning PyTorch's named tuples, {values, indices} in stepwise, give both, in
that order), the first output's `grad_fn.name()`, and for differentiable ops a fixed random
cotangent per float output (`cots`) with the gradients of sum(out_i * cot_i) with respect to
every input that requires grad.

Arguments: the strings 'inf' / '-inf' stand for infinite norm orders (JSON has no
infinities); option objects ({"correction": 0, "keepdim": true}) are the stepwise options
and are turned into PyTorch keyword arguments here.

`orderFree`: topk with sorted=False returns its k elements in an unspecified order; such a
case compares values and indices as sets (sorted by index) and uses a cotangent of ones.
`gradFnAccept`: where PyTorch's node is an implementation detail of a composite op (einsum,
outer, circular padding, std_mean), the names the suite accepts; null in it means any name.
"""
import torch
import torch.nn.functional as F

from common import TORCH_DTYPES, flat, meta, tens, write

G = torch.Generator().manual_seed(20261127)
INF = float('inf')


def randn(shape, dtype, scale=1.0):
    return torch.randn(shape, generator=G, dtype=torch.float64).to(dtype) * scale


def positive(shape, dtype, lo=0.5, hi=1.5):
    return (torch.rand(shape, generator=G, dtype=torch.float64) * (hi - lo) + lo).to(dtype)


def no_ties(shape, dtype):
    """Distinct values (sort, topk, kthvalue, median with a dim are unambiguous)."""
    n = 1
    for s in shape:
        n *= s
    perm = torch.randperm(n, generator=G).to(torch.float64)
    return ((perm - n / 2) / 3 + randn((n,), torch.float64, 0.01)).reshape(shape).to(dtype)


def small_ints(shape, dtype, lo=-3, hi=4):
    """Values on a small integer grid: ties everywhere (mode, stable sort, amax ties)."""
    return torch.randint(lo, hi, shape, generator=G).to(dtype)


def with_zeros(shape, dtype, p=0.25):
    x = randn(shape, dtype)
    z = torch.rand(shape, generator=G) < p
    return x.masked_fill(z, 0)


def arg(a):
    """A JSON argument as PyTorch takes it."""
    if a == 'inf':
        return INF
    if a == '-inf':
        return -INF
    if isinstance(a, list):
        return [arg(v) for v in a]
    return a


def kw(opts, rename=None):
    rename = rename or {}
    return {rename.get(k, k): arg(v) for k, v in (opts or {}).items()}


def std_like(fn):
    """x.std(...) with the stepwise argument forms: [], [unbiased], [dim, unbiased, keepdim],
    [dim, {correction, unbiased, keepdim}]."""
    def call(x, a):
        if not a:
            return fn(x[0])
        if isinstance(a[0], bool):
            return fn(x[0], unbiased=a[0])
        dim = a[0]
        if len(a) > 1 and isinstance(a[1], dict):
            return fn(x[0], dim, **kw(a[1]))
        return fn(x[0], dim, *a[1:])
    return call


def sort_call(x, a, fn):
    if a and isinstance(a[0], dict):
        return fn(x[0], **kw(a[0]))
    return fn(x[0], *a)


def pad_call(x, a):
    opts = a[1] if len(a) > 1 else {}
    return F.pad(x[0], tuple(a[0]), **kw(opts))


def nt(r):
    """A named tuple as a list of its tensors."""
    return [r.values, r.indices]


OPS = {
    # norms
    'norm': lambda x, a: x[0].norm(*[arg(v) for v in a]),
    'fn.norm': lambda x, a: torch.norm(x[0], *[arg(v) for v in a]),
    'vectorNorm': lambda x, a: torch.linalg.vector_norm(x[0], *[arg(v) for v in a]),
    'vectorNormOpts': lambda x, a: torch.linalg.vector_norm(x[0], **kw(a[0])),
    # reductions
    'prod': lambda x, a: x[0].prod(*a),
    'fn.prod': lambda x, a: torch.prod(x[0], *a),
    'std': std_like(torch.std),
    'var': std_like(torch.var),
    'stdMean': lambda x, a: list(std_like(torch.std_mean)(x, a)),
    'varMean': lambda x, a: list(std_like(torch.var_mean)(x, a)),
    'cumsum': lambda x, a: x[0].cumsum(a[0]),
    'cumprod': lambda x, a: x[0].cumprod(a[0]),
    'fn.cumsum': lambda x, a: torch.cumsum(x[0], a[0]),
    'all': lambda x, a: x[0].all(*a),
    'any': lambda x, a: x[0].any(*a),
    'median': lambda x, a: nt(x[0].median(*a)) if a else x[0].median(),
    'mode': lambda x, a: nt(x[0].mode(*a)),
    'sort': lambda x, a: nt(sort_call(x, a, torch.sort)),
    'argsort': lambda x, a: sort_call(x, a, torch.argsort),
    'topk': lambda x, a: nt(x[0].topk(*a)),
    'kthvalue': lambda x, a: nt(x[0].kthvalue(*a)),
    'amax': lambda x, a: x[0].amax(*a),
    'amin': lambda x, a: x[0].amin(*a),
    # linear algebra
    'bmm': lambda x, a: torch.bmm(x[0], x[1]),
    'mv': lambda x, a: x[0].mv(x[1]),
    'outer': lambda x, a: torch.outer(x[0], x[1]),
    'addmm': lambda x, a: torch.addmm(x[0], x[1], x[2], **kw(a[0] if a else {})),
    'baddbmm': lambda x, a: torch.baddbmm(x[0], x[1], x[2], **kw(a[0] if a else {})),
    'einsum': lambda x, a: torch.einsum(a[0], *x),
    'trace': lambda x, a: x[0].trace(),
    'tril': lambda x, a: x[0].tril(*a),
    'triu': lambda x, a: x[0].triu(*a),
    'diag': lambda x, a: x[0].diag(*a),
    # shape
    'flip': lambda x, a: x[0].flip(*a),
    'roll': lambda x, a: x[0].roll(*a),
    'repeat': lambda x, a: x[0].repeat(*a),
    'tile': lambda x, a: x[0].tile(*a) if len(a) == 1 and isinstance(a[0], list) else x[0].tile(tuple(a)),
    'unflatten': lambda x, a: x[0].unflatten(a[0], tuple(a[1])),
    'pad': pad_call,
    'oneHot': lambda x, a: F.one_hot(x[0].long(), *a),
    # the options-object forms of issue 13 item 0
    'F.softmax': lambda x, a: F.softmax(x[0], **kw(a[0])),
    'F.logSoftmax': lambda x, a: F.log_softmax(x[0], **kw(a[0])),
    'nn.Softmax': lambda x, a: torch.nn.Softmax(**kw(a[0]))(x[0]),
    'F.linear': lambda x, a: F.linear(x[0], x[1], bias=x[2]),
}

COMPOSITE = {
    'einsum': [None],
    'outer': ['MulBackward0'],
    'stdMean': ['StdMeanBackward0', 'StdBackward0', 'MeanBackward1', 'MeanBackward0'],
    'varMean': ['VarMeanBackward0', 'VarBackward0', 'MeanBackward1', 'MeanBackward0'],
    # latest PyTorch: Tensor.norm goes through linalg.vector_norm
    'norm': ['NormBackward1', 'NormBackward0', 'LinalgVectorNormBackward0'],
    'fn.norm': ['NormBackward1', 'NormBackward0', 'LinalgVectorNormBackward0'],
    # F.linear: one addmm in PyTorch for 2-D input; stepwise adds the bias after the product
    'F.linear': ['AddmmBackward0', 'AddBackward0'],
}

cases = []


def case(op, dtype_name, inputs, args=(), grad=True, tag='', order_free=False):
    xs = []
    for t in inputs:
        t = t.detach().clone()
        if grad and t.dtype in (torch.float32, torch.float64):
            t.requires_grad_(True)
        xs.append(t)
    r = OPS[op](xs, list(args))
    outs = r if isinstance(r, list) else [r]
    first = outs[0]
    c = {
        'id': f'{op}/{dtype_name}/' + ' '.join(str(list(t.shape)) for t in inputs)
        + (f' {args!r}' if args else '') + (f' {tag}' if tag else ''),
        'op': op,
        'dtype': dtype_name,
        'args': list(args),
        'inputs': [tens(t) for t in xs],
        'requiresGrad': [bool(t.requires_grad) for t in xs],
        'outs': [tens(o) for o in outs],
        'gradFn': first.grad_fn.name() if first.grad_fn is not None else None,
    }
    if op in COMPOSITE:
        c['gradFnAccept'] = sorted(set(COMPOSITE[op]) | {c['gradFn']}, key=lambda s: s or '')
    if op == 'pad' and len(args) > 1 and args[1].get('mode') == 'circular':
        c['gradFnAccept'] = [None]
    if order_free:
        c['orderFree'] = True
    if any(o.requires_grad for o in outs):
        cots = []
        loss = 0
        for o in outs:
            if not o.requires_grad:
                cots.append(None)
                continue
            cot = torch.ones(o.shape, dtype=o.dtype) if order_free else randn(tuple(o.shape), o.dtype)
            cots.append(flat(cot))
            loss = loss + (o * cot).sum()
        loss.backward()
        c['cots'] = cots
        # PyTorch leaves .grad None where the backward gives an undefined (zero) gradient
        # (norm with p = 0): recorded as zeros, what stepwise accumulates.
        c['grads'] = [(flat(t.grad) if t.grad is not None else flat(torch.zeros_like(t)))
                      if t.requires_grad else None for t in xs]
    cases.append(c)


def dims_cases(shape):
    """(dim, keepdim) pairs: every dim, negative dims, with and without keepdim."""
    out = []
    for d in range(len(shape)):
        out.append((d, False))
        out.append((d - len(shape), True))
    return out


for dn, dt in TORCH_DTYPES.items():
    SHAPES = [(7,), (3, 5), (2, 3, 4)]

    # ---- norms (issue 13 item 0: the dim was ignored) ----
    for p in [2, 1, 'inf', '-inf', 0, 0.5, 3, 1.5]:
        case('norm', dn, [randn((3, 5), dt)], [p])
        case('norm', dn, [randn((3, 5), dt)], [p, 1])
        case('norm', dn, [randn((2, 3, 4), dt)], [p, -1, True])
    for d, keep in dims_cases((2, 3, 4)):
        case('norm', dn, [randn((2, 3, 4), dt)], [2, d, keep])
    case('norm', dn, [randn((2, 3, 4), dt)], [2, [0, 2]])
    case('norm', dn, [randn((2, 3, 4), dt)], ['fro', [1, 2], True])
    case('norm', dn, [randn((33,), dt)], [])
    case('fn.norm', dn, [randn((3, 5), dt)], [1, 0])
    # zeros: p = 2 and fractional p have guarded gradients; inf splits among ties
    case('norm', dn, [torch.tensor([[0.0, 0.0, 0.0], [1.0, -2.0, 0.0]], dtype=dt)], [2, 1], tag='zeros')
    case('norm', dn, [torch.tensor([[0.0, 0.0, 0.0], [1.0, -2.0, 0.0]], dtype=dt)], [0.5, 1], tag='zeros')
    case('norm', dn, [torch.tensor([[0.0, 0.0, 0.0], [1.0, -2.0, 0.0]], dtype=dt)], [3, 1], tag='zeros')
    case('norm', dn, [torch.tensor([[3.0, -3.0, 1.0], [2.0, 0.5, -2.0]], dtype=dt)], ['inf', 1], tag='ties')
    case('norm', dn, [torch.tensor([[3.0, -3.0, 1.0], [2.0, 0.5, -2.0]], dtype=dt)], ['-inf', None], tag='ties')
    for ordv, dim, keep in [(2, None, False), (1, 1, False), ('inf', [0, 1], True), (3, -1, True), (0, 0, False)]:
        case('vectorNorm', dn, [randn((3, 5), dt)], [ordv, dim, keep])
    case('vectorNorm', dn, [randn((7,), dt)], [])
    case('vectorNormOpts', dn, [randn((3, 5), dt)], [{'ord': 1, 'dim': [1], 'keepdim': True}])
    case('vectorNormOpts', dn, [randn((3, 5), dt)], [{'dim': 0}])

    # ---- prod ----
    for s in SHAPES:
        case('prod', dn, [positive(s, dt)])
        for d, keep in dims_cases(s):
            case('prod', dn, [positive(s, dt)], [d, keep])
    case('fn.prod', dn, [positive((3, 5), dt)], [1])
    # zeros: PyTorch's gradient is the product of the others, exact at a zero
    zr = torch.tensor([[0.0, 2.0, 3.0, 0.5], [0.0, 0.0, 4.0, 1.5], [1.0, 2.0, 3.0, -1.0]], dtype=dt)
    case('prod', dn, [zr], [1, False], tag='zeros')
    case('prod', dn, [zr], [0, True], tag='zeros')
    case('prod', dn, [torch.tensor([0.0, 2.0, 3.0], dtype=dt)], tag='one zero')
    case('prod', dn, [torch.tensor([0.0, 2.0, 0.0], dtype=dt)], tag='two zeros')
    case('prod', dn, [positive((33,), dt, 0.8, 1.2)])

    # ---- std / var ----
    for op in ['std', 'var']:
        for s in SHAPES:
            case(op, dn, [randn(s, dt)])
            for d, keep in dims_cases(s):
                case(op, dn, [randn(s, dt)], [d, True, keep])
        case(op, dn, [randn((3, 5), dt)], [False])
        case(op, dn, [randn((3, 5), dt)], [1, False])
        case(op, dn, [randn((2, 3, 4), dt)], [[0, 2], True, True])
        case(op, dn, [randn((2, 3, 4), dt)], [[-1, 0], {'correction': 0}])
        case(op, dn, [randn((2, 3, 4), dt)], [1, {'correction': 2, 'keepdim': True}])
        case(op, dn, [randn((3, 5), dt)], [None, {'correction': 0}])
        case(op, dn, [randn((3, 5), dt)], [1, {'unbiased': False, 'keepdim': True}])
        case(op, dn, [randn((1000,), dt)], [0, True, False])
        # constant slices: std 0 (PyTorch's std gradient is 0 there, not NaN)
        case(op, dn, [torch.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], dtype=dt)], [1, True, False], tag='constant')
        # one element, correction 1: 0 / 0
        case(op, dn, [randn((1, 4), dt)], [0, True, False], grad=False, tag='single')
    for op in ['stdMean', 'varMean']:
        case(op, dn, [randn((3, 5), dt)])
        case(op, dn, [randn((3, 5), dt)], [1, {'correction': 0, 'keepdim': True}])
        case(op, dn, [randn((2, 3, 4), dt)], [[0, 2], True, False])

    # ---- cumsum / cumprod ----
    for op in ['cumsum', 'cumprod']:
        for s in SHAPES + [(1,), (33,)]:
            for d in range(-len(s), len(s)):
                mk = positive if op == 'cumprod' else randn
                case(op, dn, [mk(s, dt)], [d])
    case('cumsum', dn, [randn((1000,), dt)], [0])
    case('cumsum', dn, [randn((3, 130), dt)], [1])
    case('fn.cumsum', dn, [randn((3, 5), dt)], [0])
    case('cumprod', dn, [torch.tensor([2.0, 0.0, 3.0, 0.0, 5.0], dtype=dt)], [0], tag='zeros')
    case('cumprod', dn, [torch.tensor([[0.0, 2.0, 3.0, 1.5], [2.0, 0.5, 0.0, 3.0], [1.5, 2.0, -1.0, 0.5]], dtype=dt)], [1], tag='zeros')
    case('cumprod', dn, [with_zeros((4, 6), dt, 0.3)], [0], tag='zeros')

    # ---- all / any ----
    for op in ['all', 'any']:
        for s in [(7,), (3, 5), (2, 3, 4)]:
            x = with_zeros(s, dt, 0.15)
            case(op, dn, [x], grad=False)
            for d, keep in dims_cases(s):
                case(op, dn, [with_zeros(s, dt, 0.3)], [d, keep], grad=False)

    # ---- median / mode / sort / argsort / topk / kthvalue ----
    for s in [(7,), (3, 5), (2, 3, 4), (1,), (8,)]:
        case('median', dn, [small_ints(s, dt)], tag='ties')
        for d, keep in dims_cases(s):
            case('median', dn, [no_ties(s, dt)], [d, keep])
    case('median', dn, [no_ties((33,), dt)], [])
    case('median', dn, [torch.tensor([1.0, float('nan'), 3.0, 2.0, float('nan')], dtype=dt)], tag='nan')
    case('median', dn, [torch.tensor([[1.0, float('nan'), 3.0, float('nan')], [4.0, 1.0, 2.0, 3.0]], dtype=dt)], [1, False], tag='nan')
    for s in [(7,), (3, 5), (2, 3, 4), (3, 15)]:
        for d, keep in dims_cases(s):
            case('mode', dn, [small_ints(s, dt, 0, 3)], [d, keep])
    case('mode', dn, [small_ints((4, 9), dt, 0, 4)])

    for s in [(7,), (3, 5), (2, 3, 4), (33,)]:
        for d in range(-len(s), len(s)):
            case('sort', dn, [no_ties(s, dt)], [d])
            case('sort', dn, [no_ties(s, dt)], [d, True])
    case('sort', dn, [no_ties((3, 5), dt)])
    for desc in [False, True]:
        case('sort', dn, [small_ints((4, 9), dt)], [{'dim': 1, 'descending': desc, 'stable': True}], tag='stable ties')
        case('sort', dn, [small_ints((9, 4), dt)], [{'dim': 0, 'descending': desc, 'stable': True}], tag='stable ties')
        case('argsort', dn, [small_ints((3, 8), dt)], [{'dim': -1, 'descending': desc, 'stable': True}], grad=False, tag='stable ties')
    nan = float('nan')
    sp = torch.tensor([[1.0, nan, 3.0, -INF, 2.0, nan, INF]], dtype=dt)
    case('sort', dn, [sp], [1], grad=False, tag='special')
    case('sort', dn, [sp], [{'dim': 1, 'descending': True, 'stable': True}], grad=False, tag='special')
    case('sort', dn, [no_ties((300,), dt)], [0, True])
    case('argsort', dn, [no_ties((3, 5), dt)], [1], grad=False)
    case('argsort', dn, [no_ties((3, 5), dt)], [0, True], grad=False)
    case('argsort', dn, [no_ties((7,), dt)], [], grad=False)

    for s, k, d, largest in [((7,), 3, 0, True), ((7,), 1, -1, False), ((3, 5), 2, 1, True), ((3, 5), 3, 0, False),
                             ((2, 3, 4), 2, 1, True), ((2, 3, 4), 4, -1, False), ((33,), 5, 0, True), ((3, 5), 5, 1, True)]:
        case('topk', dn, [no_ties(s, dt)], [k, d, largest, True])
    case('topk', dn, [no_ties((3, 5), dt)], [2])
    case('topk', dn, [no_ties((9,), dt)], [4, 0, True, False], order_free=True)
    case('topk', dn, [torch.tensor([1.0, nan, 3.0, 2.0, nan], dtype=dt)], [2], grad=False, tag='nan')
    for s, k, d, keep in [((7,), 3, 0, False), ((7,), 1, -1, True), ((3, 5), 2, 1, False), ((3, 5), 3, 0, True),
                          ((2, 3, 4), 4, -1, False), ((2, 3, 4), 2, 1, True), ((3, 5), 5, 1, False)]:
        case('kthvalue', dn, [no_ties(s, dt)], [k, d, keep])
    case('kthvalue', dn, [no_ties((3, 5), dt)], [2])
    case('kthvalue', dn, [torch.tensor([1.0, nan, 3.0, 2.0, nan], dtype=dt)], [5], grad=False, tag='nan')

    # ---- amax / amin over several dims (ties split the gradient evenly) ----
    for op in ['amax', 'amin']:
        case(op, dn, [randn((2, 3, 4), dt)], [[0, 2]])
        case(op, dn, [randn((2, 3, 4), dt)], [[-1, -3], True])
        case(op, dn, [randn((2, 3, 4), dt)], [[1, 2], False])
        case(op, dn, [small_ints((3, 4, 5), dt)], [[0, 2], True], tag='ties')
        case(op, dn, [small_ints((3, 5), dt)], [[0, 1]], tag='ties')

    # ---- linear algebra ----
    case('bmm', dn, [randn((2, 3, 4), dt), randn((2, 4, 5), dt)])
    case('bmm', dn, [randn((1, 7, 33), dt), randn((1, 33, 1), dt)])
    case('mv', dn, [randn((3, 4), dt), randn((4,), dt)])
    case('mv', dn, [randn((33, 7), dt), randn((7,), dt)])
    case('outer', dn, [randn((3,), dt), randn((5,), dt)])
    case('outer', dn, [randn((1,), dt), randn((7,), dt)])
    case('addmm', dn, [randn((3, 5), dt), randn((3, 4), dt), randn((4, 5), dt)])
    case('addmm', dn, [randn((5,), dt), randn((3, 4), dt), randn((4, 5), dt)], [{'beta': 0.5, 'alpha': 2.0}])
    case('addmm', dn, [randn((3, 1), dt), randn((3, 4), dt), randn((4, 5), dt)], [{'alpha': -1.5}])
    case('addmm', dn, [torch.full((3, 5), nan, dtype=dt), randn((3, 4), dt), randn((4, 5), dt)], [{'beta': 0}], tag='beta 0 ignores nan')
    case('baddbmm', dn, [randn((2, 3, 5), dt), randn((2, 3, 4), dt), randn((2, 4, 5), dt)])
    case('baddbmm', dn, [randn((5,), dt), randn((2, 3, 4), dt), randn((2, 4, 5), dt)], [{'beta': 2.0, 'alpha': 0.5}])
    EIN = [
        ('ij,jk->ik', [(3, 4), (4, 5)]),
        ('bij,bjk->bik', [(2, 3, 4), (2, 4, 5)]),
        ('i,i->', [(7,), (7,)]),
        ('ij->ji', [(3, 4)]),
        ('ii->i', [(4, 4)]),
        ('ii', [(4, 4)]),
        ('ij->', [(3, 4)]),
        ('ij->j', [(3, 4)]),
        ('bi,bi->b', [(3, 5), (3, 5)]),
        ('i,j->ij', [(3,), (4,)]),
        ('bhqd,bhkd->bhqk', [(2, 3, 4, 5), (2, 3, 6, 5)]),
        ('bhqk,bhkd->bhqd', [(2, 3, 4, 6), (2, 3, 6, 5)]),
        ('ij,ij->ij', [(3, 4), (3, 4)]),
        ('ij,kj->ik', [(3, 4), (5, 4)]),
        ('ik,kj', [(3, 4), (4, 2)]),
        ('i,ij,j->', [(3,), (3, 4), (4,)]),
        ('...ij,...jk->...ik', [(2, 3, 4), (2, 4, 5)]),
        ('b...,b...->b', [(2, 3, 4), (2, 3, 4)]),
        ('iij->j', [(3, 3, 4)]),
        ('ijk->kij', [(2, 3, 4)]),
        ('bn,anm,bm->ba', [(2, 3), (4, 3, 5), (2, 5)]),
    ]
    for eq, shapes in EIN:
        case('einsum', dn, [randn(s, dt) for s in shapes], [eq])
    case('trace', dn, [randn((4, 4), dt)])
    case('trace', dn, [randn((3, 5), dt)])
    for op in ['tril', 'triu']:
        for s, k in [((4, 4), None), ((3, 5), 1), ((5, 3), -1), ((2, 3, 4), 0), ((4, 4), 5), ((4, 4), -5)]:
            case(op, dn, [randn(s, dt)], [] if k is None else [k])
    for s, k in [((4,), None), ((3,), 1), ((3,), -2), ((4, 4), None), ((3, 5), 1), ((5, 3), -2)]:
        case('diag', dn, [randn(s, dt)], [] if k is None else [k])

    # ---- shape ----
    x234 = lambda: randn((2, 3, 4), dt)
    case('flip', dn, [x234()], [0])
    case('flip', dn, [x234()], [[0, 2]])
    case('flip', dn, [x234()], [-1, 1])
    case('flip', dn, [randn((7,), dt)], [0])
    case('roll', dn, [x234()], [1, 0])
    case('roll', dn, [x234()], [-2, 2])
    case('roll', dn, [x234()], [[1, -1], [0, 1]])
    case('roll', dn, [x234()], [5])
    case('roll', dn, [randn((7,), dt)], [10, 0])
    case('repeat', dn, [randn((3, 4), dt)], [2, 1])
    case('repeat', dn, [randn((3, 4), dt)], [[2, 3]])
    case('repeat', dn, [randn((3,), dt)], [2, 1, 2])
    case('repeat', dn, [x234()], [1, 2, 1])
    case('tile', dn, [randn((3, 4), dt)], [2])
    case('tile', dn, [randn((3,), dt)], [[2, 2]])
    case('tile', dn, [x234()], [2, 1, 1, 2])
    case('unflatten', dn, [x234()], [1, [3, 1]])
    case('unflatten', dn, [x234()], [-1, [2, -1]])
    case('unflatten', dn, [randn((12,), dt)], [0, [2, 3, 2]])
    for pad, opts, s in [
        ([1, 2], {}, (3, 4)),
        ([1, 2], {'value': 1.5}, (2, 3, 4)),
        ([0, 1, 2, 0], {}, (2, 3, 4)),
        ([1, 1, 1, 1, 1, 1], {'mode': 'constant', 'value': -1.0}, (2, 3, 4)),
        ([-1, 2], {}, (3, 4)),
        ([-1, -1, 1, 0], {}, (2, 3, 4)),
        ([2, 1], {'mode': 'reflect'}, (2, 3, 4)),
        ([3, 3], {'mode': 'reflect'}, (3, 4)),
        ([1, 2, 2, 1], {'mode': 'reflect'}, (1, 2, 3, 4)),
        ([2, 1, 0, 2], {'mode': 'reflect'}, (2, 3, 4)),
        ([1, 1, 1, 1, 1, 1], {'mode': 'reflect'}, (1, 2, 3, 3, 4)),
        ([2, 3], {'mode': 'replicate'}, (2, 3, 4)),
        ([1, 2, 3, 1], {'mode': 'replicate'}, (1, 2, 3, 4)),
        ([1, 0, 2, 1, 0, 1], {'mode': 'replicate'}, (2, 3, 3, 4)),
        ([-1, 2], {'mode': 'reflect'}, (1, 3, 4)),
        ([1, 3], {'mode': 'circular'}, (1, 3, 4)),
        ([1, 1, 2, 0], {'mode': 'circular'}, (1, 2, 3, 4)),
    ]:
        case('pad', dn, [randn(s, dt)], [pad, opts] if opts else [pad])

    # ---- options-object forms (issue 13 item 0) ----
    case('F.softmax', dn, [randn((3, 5), dt)], [{'dim': 0}])
    case('F.softmax', dn, [randn((2, 3, 4), dt)], [{'dim': -1}])
    case('F.logSoftmax', dn, [randn((3, 5), dt)], [{'dim': 1}])
    case('nn.Softmax', dn, [randn((3, 5), dt)], [{'dim': 1}])
    case('F.linear', dn, [randn((3, 4), dt), randn((2, 4), dt), randn((2,), dt)])

# integer inputs: results keep int32 (PyTorch's int64 is int32 here)
I = torch.int32
ii = lambda s: torch.randint(-5, 6, s, generator=G).to(I)
case('cumsum', 'int32', [ii((3, 5))], [1], grad=False)
case('cumprod', 'int32', [torch.randint(1, 4, (2, 5), generator=G).to(I)], [1], grad=False)
case('prod', 'int32', [torch.randint(1, 4, (2, 5), generator=G).to(I)], [1], grad=False)
case('sort', 'int32', [ii((3, 6))], [{'dim': 1, 'descending': True, 'stable': True}], grad=False)
case('all', 'int32', [ii((3, 5))], [1], grad=False)
case('any', 'bool', [torch.rand((3, 5), generator=G) > 0.8], [0], grad=False)
case('all', 'bool', [torch.rand((3, 5), generator=G) > 0.2], grad=False)
case('flip', 'int32', [ii((3, 5))], [1], grad=False)
case('roll', 'int32', [ii((3, 5))], [2, 1], grad=False)
case('repeat', 'int32', [ii((2, 3))], [2, 2], grad=False)
case('tril', 'int32', [ii((3, 5))], [], grad=False)
case('triu', 'bool', [torch.rand((4, 4), generator=G) > 0.5], [1], grad=False)
case('pad', 'int32', [ii((2, 3))], [[1, 1], {'value': 7}], grad=False)
case('oneHot', 'int32', [torch.tensor([0, 2, 1, 4], dtype=I)], [5], grad=False)
case('oneHot', 'int32', [torch.tensor([[0, 2], [1, 1]], dtype=I)], [3], grad=False)
case('oneHot', 'int32', [torch.tensor([3, 0, 1], dtype=I)], [], grad=False)
case('mode', 'int32', [torch.randint(0, 3, (3, 7), generator=G).to(I)], [1], grad=False)
case('median', 'int32', [ii((3, 6))], [1], grad=False)
case('topk', 'int32', [torch.randperm(9, generator=G).to(I)], [3], grad=False)

# Long rows (past a device's workgroup, not a power of two): ties and NaN, stable, both
# directions — a sort that is not a comparison sort on the host (webgpu's bitonic network).
# A generator of their own, so the cases above keep their values.
G_LONG = torch.Generator().manual_seed(20261128)
for dn, dt in TORCH_DTYPES.items():
    for shape, dim in [((3, 777), 1), ((1500, 2), 0)]:
        x = torch.randint(-20, 21, shape, generator=G_LONG).to(dt)
        x[torch.rand(shape, generator=G_LONG) < 0.05] = float('nan')
        for desc in [False, True]:
            case('sort', dn, [x], [{'dim': dim, 'descending': desc, 'stable': True}], grad=False, tag='long ties nan')

write('ops_reduce', {
    'meta': meta(
        'ops_reduce.py',
        'Reductions (norm, vector_norm, prod, std, var, std_mean, var_mean, cumsum, cumprod, all, any, '
        'median, mode, amax/amin over dims), sorting (sort, argsort, topk, kthvalue), linear algebra '
        '(bmm, mv, outer, addmm, baddbmm, einsum, trace, tril, triu, diag) and shape ops (flip, roll, '
        'repeat, tile, unflatten, F.pad, F.one_hot), plus the options-object forms of F.softmax, '
        'F.log_softmax, nn.Softmax, F.linear: values, gradients of sum(out * cot), grad_fn names; '
        'float32 and float64',
        notes=[
            'Ops returning named tuples (values, indices) list both outputs in that order.',
            'int64 results of PyTorch (indices, integer sums and products, one_hot) are stored as int32.',
            'Ties: sort/argsort with ties only with stable=True; topk, kthvalue and median with a dim '
            'use distinct values (PyTorch leaves the index among equal values unspecified); mode uses '
            'slices shorter than 16 (std::sort is an insertion sort there, so its index is the last '
            'occurrence).',
            "args hold the stepwise call's arguments; 'inf'/'-inf' stand for infinite norm orders.",
        ],
    ),
    'cases': cases,
})
