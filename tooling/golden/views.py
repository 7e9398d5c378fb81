"""Golden fixtures for views, indexing and assignment (API.md, "Views, indexing and assignment").

Run by hand:  /usr/bin/python3 tooling/golden/views.py
Writes packages/conformance/fixtures/views.json and fixtures/indexing.json, replayed by
packages/conformance/src/suites/views.ts and indexing.ts.

A case is a small program that this file and the TypeScript suite both interpret:

  {
    "name": "...", "dtype": "float32" | "float64" | "int32",
    "inputs": {"x": {shape, dtype, data}, "w": {...}},   # the leaves
    "requiresGrad": ["x", "w"],                           # which leaves require grad
    "steps": [{"op": "T"}, {"op": "index", "args": [":", "::2"]}, ...],
    ...what PyTorch gave (below)
  }

The program starts with `cur` = inputs.x and runs every step on `cur`; a step's result
becomes `cur` (in-place ops return their target, as in PyTorch). A step may have
  "save": name   - remember the result under that name,
  "pick": k      - for ops returning a list (unbind, chunk, split): keep element k.
Ops: the view ops (narrow, select, T, t, transpose, permute, expand, view, reshape, flatten,
squeeze, unsqueeze, unbind, chunk, split, diagonal, unfold, movedim, detach, contiguous),
clone, mul / add (out of place), the in-place ops (add_, sub_, mul_, div_, zero_, fill_,
copy_, clamp_), index, indexPut_, maskedFill(_), maskedSelect, indexFill_, indexCopy_,
indexAdd_, scatter(_), scatterAdd(_), take, and two pseudo-ops: "use" (args [name]: `cur`
becomes that named tensor) and "backward" (`cur.sum().backward()`, for error cases).
Arguments are JSON values as the TypeScript call takes them; besides numbers, arrays and
option objects an argument may be
  {"ref": name}      - a leaf or a saved tensor,
  {"tensor": spec}   - a constant tensor (index tensors are int32, PyTorch's int64; masks bool).
`index` takes the index items as its args, `indexPut_` takes them as an array in args[0];
an item is an integer, a slice string in Python syntax ('1:3', '::2', '-1:'), '...', null
(PyTorch's None), {"tensor": spec} / {"ref": name} (int32 or bool tensor), or a (nested)
array of integers.

Recorded from PyTorch after the program:
  out          - `cur`: shape, dtype, values;
  outRequiresGrad, gradFn (`cur.grad_fn.name()`), gradFnAccept (other names allowed where
               PyTorch's is an implementation detail, see `accept_names`; absent: exact);
  view         - for view cases: {stride, offset, contiguous, shares} of `cur`, where
               shares says whether `cur` uses inputs.x's storage (PyTorch: same data_ptr);
  probe        - for view cases: inputs.x after the program is replayed without grad and
               then `cur.add_(100)`: a view writes into x, a copy leaves it unchanged;
  record       - {name: tensor}: values of named tensors at the end (the base after an
               in-place write through a view, another view of the same base, ...);
  cot, grads   - when `cur` requires grad: a fixed random cotangent, and the gradients of
               sum(cur * cot) w.r.t. every leaf in requiresGrad ({name: tensor | null});
  error        - for error cases: the last step must throw; {type, message, phrases,
               accept}: PyTorch's class and message, the key phrases ours must contain,
               and the stepwise error classes accepted (see ERROR_CLASSES);
  syncReadsOnly - the error depends on the values of an index tensor, which backends
               without synchronous reads (webgpu) cannot check when the op is called;
  hostMask     - the program indexes with a bool mask (index, indexPut_, maskedSelect), whose
               values stepwise reads on the host: a backend without synchronous reads may
               refuse it with an error naming torch.where (core README, "Views and indexing").
"""
import torch

from common import flat, meta, tens, write

G = torch.Generator().manual_seed(20261126)
TORCH = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int32}

# PyTorch's exception class -> the stepwise classes that may stand for it (core/src/errors.ts
# and JS built-ins; a subclass of an accepted class is accepted too).
ERROR_CLASSES = {
    'IndexError': ['RangeError'],                    # an index out of bounds
    'IndexErrorShape': ['RangeError', 'ShapeError'],  # too many indices, a mask of the wrong shape
    'IndexErrorType': ['TypeError', 'RangeError'],   # an index tensor of the wrong dtype (DTypeError is a TypeError)
    'ValueError': ['ValueError', 'RangeError'],       # a non-positive slice step
    'Autograd': ['AutogradError'],                   # view of a leaf, version counter
    'Shape': ['ShapeError'],                          # view strides, broadcast mismatch
    'Overlap': ['ValueError'],                        # a write into an expanded tensor
}


# --- values -------------------------------------------------------------------------------

def randn(shape, dtype):
    return torch.randn(shape, generator=G, dtype=torch.float64).to(TORCH[dtype])


def ints(shape, lo=-9, hi=10):
    return torch.randint(lo, hi, shape, generator=G).to(torch.int32)


def itens(values):
    """A constant int32 index tensor (PyTorch int64) as a JSON argument."""
    return {'tensor': tens(torch.tensor(values, dtype=torch.int64))}


def mask(values):
    """A constant bool tensor as a JSON argument."""
    return {'tensor': tens(torch.tensor(values, dtype=torch.bool))}


def ftens(values, dtype):
    return {'tensor': tens(torch.tensor(values, dtype=TORCH[dtype]))}


def ref(name):
    return {'ref': name}


def step(op, *args, save=None, pick=None):
    s = {'op': op}
    if args:
        s['args'] = list(args)
    if save is not None:
        s['save'] = save
    if pick is not None:
        s['pick'] = pick
    return s


# --- the interpreter (PyTorch side) -------------------------------------------------------

def decode(a, env):
    """A JSON argument as PyTorch takes it."""
    if isinstance(a, dict) and 'ref' in a:
        return env[a['ref']]
    if isinstance(a, dict) and 'tensor' in a:
        spec = a['tensor']
        dt = {'int32': torch.int64, 'bool': torch.bool, 'float32': torch.float32, 'float64': torch.float64}
        return torch.tensor(spec['data'], dtype=dt[spec['dtype']]).reshape(spec['shape'])
    return a


def item(a, env):
    """One index item as PyTorch's __getitem__ takes it."""
    if isinstance(a, str):
        if a == '...':
            return Ellipsis
        parts = [None if p == '' else int(p) for p in a.split(':')]
        return slice(*parts)
    return decode(a, env)


def same_int(src, t):
    """A constant int32 tensor is decoded as int64 (PyTorch's index dtype); as a value written
    into an int32 tensor it takes that dtype (stepwise has one integer dtype)."""
    if isinstance(src, torch.Tensor) and src.dtype == torch.int64 and t.dtype == torch.int32:
        return src.to(torch.int32)
    return src


def index_put(t, items, value, opts=None):
    if opts and opts.get('accumulate'):
        # PyTorch's index_put_ takes index tensors only (stepwise's indexPut_ takes any item).
        idx = tuple(i if isinstance(i, torch.Tensor) else torch.tensor(i) for i in items)
        v = same_int(value, t) if isinstance(value, torch.Tensor) else torch.tensor(value, dtype=t.dtype)
        return t.index_put_(idx, v, accumulate=True)
    t[tuple(items)] = value
    return t


OPS = {
    'narrow': lambda t, a: t.narrow(*a),
    'select': lambda t, a: t.select(*a),
    'T': lambda t, a: t.T,
    't': lambda t, a: t.t(),
    'transpose': lambda t, a: t.transpose(*a),
    'permute': lambda t, a: t.permute(*a),
    'expand': lambda t, a: t.expand(*a),
    'view': lambda t, a: t.view(*a),
    'reshape': lambda t, a: t.reshape(*a),
    'flatten': lambda t, a: t.flatten(*a),
    'squeeze': lambda t, a: t.squeeze(*a),
    'unsqueeze': lambda t, a: t.unsqueeze(*a),
    'unbind': lambda t, a: t.unbind(*a),
    'chunk': lambda t, a: t.chunk(*a),
    'split': lambda t, a: t.split(*a),
    'diagonal': lambda t, a: t.diagonal(*a),
    'unfold': lambda t, a: t.unfold(*a),
    'movedim': lambda t, a: t.movedim(*a),
    'detach': lambda t, a: t.detach(),
    'contiguous': lambda t, a: t.contiguous(),
    'clone': lambda t, a: t.clone(),
    'mul': lambda t, a: t.mul(a[0]),
    'add': lambda t, a: t.add(a[0]),
    'add_': lambda t, a: t.add_(a[0]),
    'sub_': lambda t, a: t.sub_(a[0]),
    'mul_': lambda t, a: t.mul_(a[0]),
    'div_': lambda t, a: t.div_(a[0]),
    'zero_': lambda t, a: t.zero_(),
    'fill_': lambda t, a: t.fill_(a[0]),
    'copy_': lambda t, a: t.copy_(a[0]),
    'clamp_': lambda t, a: t.clamp_(*a),
    'index': None,      # items: see run()
    'indexPut_': None,  # see run()
    'maskedFill': lambda t, a: t.masked_fill(a[0], a[1]),
    'maskedFill_': lambda t, a: t.masked_fill_(a[0], a[1]),
    # PyTorch 1.13's masked_select backward scatters the gradient in the wrong order when the
    # input is non-contiguous (a transposed view); the values are right. Selecting from a
    # contiguous copy gives the same values and the correct gradient (see the patch in meta).
    'maskedSelect': lambda t, a: t.contiguous().masked_select(a[0]),
    'indexFill_': lambda t, a: t.index_fill_(a[0], a[1], a[2]),
    'indexCopy_': lambda t, a: t.index_copy_(a[0], a[1], a[2]),
    'indexAdd_': lambda t, a: t.index_add_(a[0], a[1], a[2]),
    'scatter': lambda t, a: t.scatter(a[0], a[1], same_int(a[2], t)),
    'scatter_': lambda t, a: t.scatter_(a[0], a[1], same_int(a[2], t)),
    'scatterAdd': lambda t, a: t.scatter_add(a[0], a[1], same_int(a[2], t)),
    'scatterAdd_': lambda t, a: t.scatter_add_(a[0], a[1], same_int(a[2], t)),
    'take': lambda t, a: t.take(a[0]),
}


def make_inputs(c, grad=True):
    env = {}
    for name, spec in c['inputs'].items():
        t = torch.tensor(spec['data'], dtype=TORCH[spec['dtype']]).reshape(spec['shape'])
        if grad and name in c['requiresGrad']:
            t.requires_grad_(True)
        env[name] = t
    return env


def run_step(s, cur, env):
    op = s['op']
    args = s.get('args', [])
    if op == 'use':
        return env[args[0]]
    if op == 'backward':
        cur.sum().backward()
        return cur
    if op == 'index':
        return cur[tuple(item(a, env) for a in args)]
    if op == 'indexPut_':
        value = decode(args[1], env)
        return index_put(cur, [item(a, env) for a in args[0]], value, args[2] if len(args) > 2 else None)
    out = OPS[op](cur, [decode(a, env) for a in args])
    if 'pick' in s:
        out = out[s['pick']]
    return out


def run(c, grad=True):
    env = make_inputs(c, grad)
    cur = env['x']
    for s in c['steps']:
        cur = run_step(s, cur, env)
        if 'save' in s:
            env[s['save']] = cur
    return cur, env


# --- gradFn names -----------------------------------------------------------------------------

BASIC_NODE = {'int': 'SelectBackward0', 'slice': 'SliceBackward0', 'none': 'UnsqueezeBackward0'}


def item_kind(a):
    if isinstance(a, bool):
        return 'advanced'
    if isinstance(a, int):
        return 'int'
    if a is None:
        return 'none'
    if a == '...':
        return 'ellipsis'
    if isinstance(a, str):
        return 'slice'
    return 'advanced'


VIEW_NODES = {
    'narrow': 'SliceBackward0', 'select': 'SelectBackward0', 'T': 'PermuteBackward0', 't': 'TransposeBackward0',
    'transpose': 'TransposeBackward0', 'permute': 'PermuteBackward0', 'expand': 'ExpandBackward0',
    'view': 'ViewBackward0', 'reshape': 'ViewBackward0', 'flatten': 'ViewBackward0',
    'squeeze': 'SqueezeBackward0', 'unsqueeze': 'UnsqueezeBackward0', 'unbind': 'SelectBackward0',
    'chunk': 'SliceBackward0', 'split': 'SliceBackward0', 'diagonal': 'DiagonalBackward0',
    'unfold': 'UnfoldBackward0', 'movedim': 'PermuteBackward0', 'index': 'SliceBackward0',
}


def accept_names(c, name):
    """Names besides PyTorch's that the suite accepts for `cur.gradFn`, or None (exact)."""
    if name is None:
        return None
    steps = c['steps']
    last = steps[-1]
    op = last['op']
    if name == 'AsStridedBackward0':
        # A view read after an in-place write to its base: PyTorch regenerates the view's
        # node as an as_strided of the new base; the view's own op name is as good.
        return sorted({name} | {VIEW_NODES[s['op']] for s in steps if s['op'] in VIEW_NODES})
    if op == 'index':
        kinds = {item_kind(a) for a in last.get('args', [])}
        if 'advanced' in kinds:
            return None  # IndexBackward0: one node, whatever the other items
        # Basic items become one view node per item, applied left to right in PyTorch; an
        # implementation may apply them in another order (or fold them into one strided view).
        names = {BASIC_NODE[k] for k in kinds if k in BASIC_NODE}
        if not names:
            names = {'AliasBackward0', 'ViewBackward0'}  # x[...]
        return sorted(names | {name, 'AsStridedBackward0'})
    if op in ('reshape', 'flatten', 'view'):
        # 1.13's reshape reports ReshapeAliasBackward0, 2.x ViewBackward0; a copy, UnsafeView.
        return sorted({name, 'ReshapeAliasBackward0', 'ViewBackward0', 'UnsafeViewBackward0', 'CloneBackward0'})
    if op == 'contiguous':
        return [None, 'CloneBackward0']
    if op in ('unbind', 'chunk', 'split'):
        # PyTorch records one multi-output node (UnbindBackward0, SplitBackward0,
        # SplitWithSizesBackward0); per-piece select/slice nodes give the same gradients.
        return sorted({name, 'SelectBackward0', 'SliceBackward0'})
    if op in ('T', 't', 'movedim'):
        # T of a 2-D tensor is a transpose; movedim is a permute.
        return sorted({name, 'TransposeBackward0', 'PermuteBackward0'})
    if op == 'copy_':
        return sorted({name, 'CopyBackwards'})
    if op == 'indexPut_':
        # PyTorch's x[items] = v applies the basic items as views first, then index_put_ on
        # that view (CopySlices on x) when an advanced item remains; an implementation may
        # record one IndexPutBackward0 on x instead. Advanced items only: IndexPutBackward0.
        kinds = {item_kind(a) for a in last['args'][0]}
        if kinds != {'advanced'}:
            return sorted({name, 'CopySlices', 'IndexPutBackward0'})
        return None
    if op == 'fill_':
        # fill_ has several overloads, numbered differently across versions.
        return sorted({name, 'FillBackward0', 'FillBackward1', 'FillBackward2'})
    return None


# --- recording --------------------------------------------------------------------------------

def node_name(t):
    """`t.grad_fn.name()` without the C++ namespace PyTorch puts on a few nodes
    ('torch::autograd::CopySlices' -> 'CopySlices')."""
    if t.grad_fn is None:
        return None
    return t.grad_fn.name().split('::')[-1]


def is_view_of(out, x):
    return out.storage().data_ptr() == x.storage().data_ptr()


def overlapping(t):
    """True when two elements of t share a memory location (expand's stride 0, unfold's
    overlapping windows): writing into such a view is refused or order-dependent."""
    addresses = {t.storage_offset()}
    for n, s in zip(t.shape, t.stride()):
        addresses = {a + i * s for a in addresses for i in range(n)}
    return len(addresses) < t.numel()


def has_bool_tensor(a):
    if isinstance(a, dict) and 'tensor' in a:
        return a['tensor']['dtype'] == 'bool'
    if isinstance(a, list):
        return any(has_bool_tensor(v) for v in a)
    return False


def build(name, dtype, inputs, steps, requires_grad=('x',), view=False, record=(), error=None,
          sync_reads_only=False, notes=None):
    """inputs: {name: tensor}; error: (ERROR_CLASSES key, [key phrases]) when the last step throws."""
    c = {
        'name': name,
        'dtype': dtype,
        'inputs': {k: tens(v) for k, v in inputs.items()},
        'requiresGrad': [k for k in requires_grad if k in inputs and inputs[k].is_floating_point()],
        'steps': steps,
    }
    if notes:
        c['notes'] = notes
    if any(s['op'] in ('index', 'indexPut_', 'maskedSelect') and has_bool_tensor(s.get('args', [])) for s in steps):
        c['hostMask'] = True
    if error is not None:
        kind, phrases = error
        env = make_inputs(c)
        cur = env['x']
        for s in steps[:-1]:
            cur = run_step(s, cur, env)
            if 'save' in s:
                env[s['save']] = cur
        try:
            run_step(steps[-1], cur, env)
        except Exception as e:  # noqa: BLE001 - we record whatever PyTorch raises
            msg = str(e)
            for p in phrases:
                assert p in msg, (name, p, msg)
            c['error'] = {'type': type(e).__name__, 'message': msg, 'phrases': phrases,
                          'accept': ERROR_CLASSES[kind]}
            if sync_reads_only:
                c['syncReadsOnly'] = True
            return c
        raise AssertionError(f'{name}: expected an error')

    cur, env = run(c)
    c['out'] = tens(cur)
    c['outRequiresGrad'] = bool(cur.requires_grad)
    c['gradFn'] = node_name(cur)
    accept = accept_names(c, c['gradFn'])
    if accept is not None:
        c['gradFnAccept'] = accept
    if view:
        c['view'] = {'stride': list(cur.stride()), 'offset': cur.storage_offset(),
                     'contiguous': cur.is_contiguous(), 'shares': is_view_of(cur, env['x'])}
        if not overlapping(cur) and not any(s['op'].endswith('_') for s in steps):
            pcur, penv = run(c, grad=False)
            with torch.no_grad():
                pcur.add_(100)
            c['probe'] = tens(penv['x'])
    if record:
        c['record'] = {k: tens(env[k]) for k in record}
    if cur.requires_grad:
        cot = randn(tuple(cur.shape), dtype)
        (cur * cot).sum().backward()
        c['cot'] = flat(cot)
        c['grads'] = {k: tens(env[k].grad) for k in c['requiresGrad']}
    return c


# --- views.json -------------------------------------------------------------------------------

def view_cases():
    cases = []

    def v(name, shape, steps, dtype='float32', **kw):
        kw.setdefault('view', True)
        cases.append(build(name, dtype, {'x': randn(shape, dtype)}, steps, **kw))

    for dt in ('float32', 'float64'):
        v(f'narrow dim 1/{dt}', (3, 4), [step('narrow', 1, 1, 2)], dt)
        v(f'T then narrow then select (odd strides)/{dt}', (4, 5),
          [step('T'), step('narrow', 0, 1, 3), step('select', 1, 2)], dt)
    v('narrow negative start', (5, 3), [step('narrow', 0, -3, 2)])
    v('narrow to length 0', (3, 4), [step('narrow', 1, 4, 0)])
    v('select negative', (2, 3, 4), [step('select', 1, -1)])
    v('select then select (0-dim)', (3, 4), [step('select', 0, 2), step('select', 0, -1)])
    v('T', (3, 4), [step('T')])
    v('t()', (3, 4), [step('t')])
    v('t() of 1-D', (4,), [step('t')])
    v('transpose 3-D', (2, 3, 4), [step('transpose', 0, 2)])
    v('transpose negative dims', (2, 3, 4), [step('transpose', -1, -2)])
    v('permute', (2, 3, 4), [step('permute', 2, 0, 1)])
    v('permute then narrow', (2, 3, 4), [step('permute', 1, 2, 0), step('narrow', 1, 1, 3)])
    v('expand size-1 dims', (3, 1), [step('expand', 2, 3, 4)])
    v('expand with -1', (1, 4), [step('expand', 3, -1)])
    v('expand then select', (3, 1), [step('expand', 3, 4), step('select', 1, 2)])
    v('view contiguous', (2, 3, 4), [step('view', 6, 4)])
    v('view with -1', (2, 3, 4), [step('view', -1, 2)])
    v('view of a narrowed (compatible strides)', (4, 6), [step('narrow', 1, 0, 4), step('view', 4, 2, 2)])
    v('view merging dims of a transposed 3-D', (2, 3, 4), [step('permute', 2, 0, 1), step('view', 4, 6)])
    v('reshape contiguous (a view)', (3, 4), [step('reshape', 2, 6)])
    v('reshape transposed (a copy)', (3, 4), [step('T'), step('reshape', 12)])
    v('flatten', (2, 3, 4), [step('flatten')])
    v('flatten 1..2', (2, 3, 4), [step('flatten', 1, 2)])
    v('flatten transposed (a copy)', (3, 4), [step('t'), step('flatten')])
    v('squeeze all', (1, 3, 1, 2), [step('squeeze')])
    v('squeeze dim', (1, 3, 1, 2), [step('squeeze', 2)])
    v('squeeze dim of size > 1 (no-op view)', (2, 3), [step('squeeze', 1)])
    v('unsqueeze middle', (2, 3), [step('unsqueeze', 1)])
    v('unsqueeze -1 of transposed', (2, 3), [step('T'), step('unsqueeze', -1)])
    v('unbind dim 1', (3, 4), [step('unbind', 1, pick=2)])
    v('chunk 5 into 2 (last)', (5, 3), [step('chunk', 2, 0, pick=1)])
    v('chunk 5 into 3 on dim 1 (middle)', (2, 5), [step('chunk', 3, 1, pick=1)])
    v('split 2 on dim 1 (last is short)', (3, 5), [step('split', 2, 1, pick=2)])
    v('split sizes', (5, 2), [step('split', [1, 3, 1], 0, pick=1)])
    v('diagonal', (3, 4), [step('diagonal')])
    v('diagonal offset 1', (3, 4), [step('diagonal', 1)])
    v('diagonal offset -1', (4, 3), [step('diagonal', -1)])
    v('diagonal dims 1,2 of 3-D', (2, 3, 3), [step('diagonal', 0, 1, 2)])
    v('diagonal offset past the end (empty)', (3, 3), [step('diagonal', 4)])
    v('unfold overlapping windows', (3, 5), [step('unfold', 1, 2, 1)])
    v('unfold step 2 on dim 0', (5, 2), [step('unfold', 0, 3, 2)])
    v('unfold of transposed, step 3', (5, 4), [step('T'), step('unfold', 1, 2, 3)])
    v('movedim', (2, 3, 4), [step('movedim', 0, 2)])
    v('movedim lists', (2, 3, 4), [step('movedim', [0, 1], [2, 0])])
    v('detach', (3, 4), [step('detach')])
    v('detach of transposed', (3, 4), [step('T'), step('detach')])
    v('contiguous of contiguous', (3, 4), [step('contiguous')])
    v('contiguous of transposed (a copy)', (3, 4), [step('T'), step('contiguous')])
    v('expand then transpose then narrow', (1, 3), [step('expand', 4, 3), step('t'), step('narrow', 1, 1, 2)])
    cases.append(build('int32 transpose then narrow', 'int32', {'x': ints((3, 4))},
                      [step('T'), step('narrow', 0, 1, 2)], requires_grad=(), view=True))

    # In-place writes through views (write-through to the base and to other views).
    def w(name, shape, steps, dtype='float32', extra=None, requires_grad=('x',), record=(), **kw):
        inputs = {'x': randn(shape, dtype)}
        inputs.update(extra or {})
        cases.append(build(name, dtype, inputs, steps, requires_grad=requires_grad, record=record, **kw))

    w('no grad: narrow then mul_ writes into x', (3, 4), [step('narrow', 1, 1, 2), step('mul_', 10)],
      requires_grad=(), record=('x',))
    w('no grad: transposed narrow add_ a broadcast tensor', (3, 4),
      [step('T'), step('narrow', 0, 1, 2), step('add_', ref('w'))],
      extra={'w': randn((3,), 'float32')}, requires_grad=(), record=('x',))
    w('no grad: diagonal zero_', (3, 3), [step('diagonal'), step('zero_')], requires_grad=(), record=('x',))
    w('no grad: diagonal offset 1 fill_', (3, 4), [step('diagonal', 1), step('fill_', 2.5)],
      requires_grad=(), record=('x',))
    w('no grad: unbind piece fill_', (3, 4), [step('unbind', 1, pick=1), step('fill_', -1)],
      requires_grad=(), record=('x',))
    w('no grad: select copy_ a tensor', (3, 4), [step('select', 0, 1), step('copy_', ref('s'))],
      extra={'s': randn((4,), 'float32')}, requires_grad=(), record=('x',))
    w('no grad: copy_ broadcasts into a strided view', (4, 5), [step('narrow', 1, 0, 4), step('T'),
                                                                  step('copy_', ref('s'))],
      extra={'s': randn((4, 1), 'float32')}, requires_grad=(), record=('x',))
    w('no grad: clamp_ through a permuted view', (2, 3, 4), [step('permute', 2, 0, 1), step('clamp_', -0.5, 0.5)],
      requires_grad=(), record=('x',))
    w('no grad: div_ and sub_ through chunk', (4, 3), [step('chunk', 2, 0, pick=1), step('div_', 4), step('sub_', 1)],
      requires_grad=(), record=('x',))
    w('no grad: split piece mul_ 0', (5, 2), [step('split', 2, 0, pick=1), step('mul_', 0)],
      requires_grad=(), record=('x',))
    w('no grad: a write is seen by another view of the same base', (3, 4),
      [step('T', save='b'), step('use', 'x'), step('narrow', 0, 1, 1), step('mul_', -2)],
      requires_grad=(), record=('x', 'b'))
    w('no grad: a write through a view of a view', (4, 4),
      [step('narrow', 0, 1, 3), step('T'), step('select', 0, 2), step('add_', 1000)],
      requires_grad=(), record=('x',))
    w('no grad: detach shares storage', (3,), [step('detach'), step('mul_', 3)], requires_grad=(), record=('x',))
    cases.append(build('int32: narrow then add_', 'int32', {'x': ints((3, 4))},
                       [step('narrow', 0, 1, 2), step('add_', 7)], requires_grad=(), record=('x',)))

    # Autograd through in-place writes on views of a non-leaf (PyTorch's CopySlices).
    for dt in ('float32', 'float64'):
        w(f'clone, narrow, mul_ by a tensor that requires grad/{dt}', (3, 4),
          [step('clone', save='y'), step('narrow', 1, 0, 2), step('mul_', ref('w')), step('use', 'y')], dt,
          extra={'w': randn((3, 2), dt)}, requires_grad=('x', 'w'))
        w(f'x*1, narrow copy_ v*2/{dt}', (4, 3),
          [step('use', 'v'), step('mul', 2, save='v2'), step('use', 'x'), step('mul', 1, save='y'),
           step('narrow', 0, 1, 2), step('copy_', ref('v2')), step('use', 'y')], dt,
          extra={'v': randn((2, 3), dt)}, requires_grad=('x', 'v'))
    w('clone, transposed select add_ v', (3, 4),
      [step('clone', save='y'), step('T'), step('select', 0, 1), step('add_', ref('v')), step('use', 'y')],
      extra={'v': randn((3,), 'float32')}, requires_grad=('x', 'v'))
    w('clone, diagonal zero_ (gradient zeroed on the diagonal)', (3, 3),
      [step('clone', save='y'), step('diagonal'), step('zero_'), step('use', 'y')])
    w('clone, diagonal fill_', (3, 4),
      [step('clone', save='y'), step('diagonal', 1), step('fill_', 0.5), step('use', 'y')])
    w('clone, clamp_ a view', (3, 4),
      [step('clone', save='y'), step('narrow', 0, 0, 2), step('clamp_', -0.3, 0.3), step('use', 'y')])
    w('clone, two writes through two views', (4, 4),
      [step('clone', save='y'), step('narrow', 0, 0, 2), step('mul_', 3), step('use', 'y'), step('T'),
       step('narrow', 0, 1, 2), step('add_', ref('w')), step('use', 'y')],
      extra={'w': randn((2, 4), 'float32')}, requires_grad=('x', 'w'))
    w('clone, write through a view, use the view', (3, 4),
      [step('clone', save='y'), step('select', 0, 1), step('mul_', 3)], record=('y',))
    w('x*1, write through a view, then y*y', (3, 4),
      [step('mul', 1, save='y'), step('narrow', 1, 1, 2), step('sub_', 0.25), step('use', 'y'),
       step('mul', ref('y'))])
    w('clone, view written by a chain of in-place ops, then reduced', (2, 3, 4),
      [step('clone', save='y'), step('permute', 2, 0, 1), step('narrow', 0, 1, 2), step('mul_', ref('w')),
       step('add_', 1), step('use', 'y'), step('select', 2, 1)],
      extra={'w': randn((2, 1, 3), 'float32')}, requires_grad=('x', 'w'), record=('y',))
    w('a view made before the base is written sees the new values and their history', (3, 4),
      [step('clone', save='y'), step('select', 0, 0, save='r'), step('use', 'y'), step('mul_', 2),
       step('use', 'r')], record=('y',))
    w('a view made before a write through another view', (3, 4),
      [step('clone', save='y'), step('T', save='c'), step('use', 'y'), step('narrow', 1, 0, 2), step('mul_', 5),
       step('use', 'c')])

    # Errors.
    def e(name, shape, steps, kind, phrases, requires_grad=('x',), extra=None, dtype='float32'):
        inputs = {'x': randn(shape, dtype)}
        inputs.update(extra or {})
        cases.append(build(name, dtype, inputs, steps, requires_grad=requires_grad, error=(kind, phrases)))

    e('view of transposed: incompatible strides', (3, 4), [step('T'), step('view', 12)], 'Shape',
      ["view size is not compatible with input tensor's size and stride"])
    e('view merging non-adjacent strides', (2, 3, 4), [step('permute', 1, 0, 2), step('view', 6, 4)], 'Shape',
      ["view size is not compatible with input tensor's size and stride"])
    e('in-place on a view of a leaf that requires grad', (3, 4), [step('narrow', 0, 0, 2), step('mul_', 2)],
      'Autograd', ['a view of a leaf Variable that requires grad is being used in an in-place operation'])
    e('in-place on a transposed leaf that requires grad', (3, 4), [step('T'), step('zero_')],
      'Autograd', ['a view of a leaf Variable that requires grad is being used in an in-place operation'])
    e('version counter: base saved for backward, then a view is written', (3, 4),
      [step('clone', save='y'), step('mul', ref('y'), save='z'), step('use', 'y'), step('select', 0, 0),
       step('mul_', 2), step('use', 'z'), step('backward')],
      'Autograd', ['modified by an inplace operation'])
    e('version counter: a view saved for backward, then the base is written', (3, 4),
      [step('clone', save='y'), step('narrow', 1, 0, 2, save='n'), step('mul', ref('n'), save='z'),
       step('use', 'y'), step('add_', 1), step('use', 'z'), step('backward')],
      'Autograd', ['modified by an inplace operation'])
    overlap = 'more than one element of the written-to tensor refers to a single memory location'
    e('add_ into an expanded tensor', (3,), [step('expand', 2, 3), step('add_', 1)], 'Overlap', [overlap],
      requires_grad=())
    e('mul_ into an expanded size-1 dim', (3, 1), [step('expand', 3, 4), step('mul_', 2)], 'Overlap', [overlap],
      requires_grad=())
    e('copy_ into an expanded tensor', (3,), [step('expand', 2, 3), step('copy_', ref('s'))], 'Overlap',
      [overlap], requires_grad=(), extra={'s': randn((2, 3), 'float32')})
    return cases


# --- indexing.json ----------------------------------------------------------------------------

def indexing_cases():
    cases = []

    def g(name, shape, items, dtype='float32', x=None, **kw):
        kw.setdefault('view', True)
        inputs = {'x': x if x is not None else randn(shape, dtype)}
        cases.append(build(name, dtype, inputs, [step('index', *items)], **kw))

    # Basic indexing: a view.
    for dt in ('float32', 'float64'):
        g(f'x[1]/{dt}', (3, 4), [1], dt)
        g(f'x[:, 1:3]/{dt}', (3, 4), [':', '1:3'], dt)
        g(f'x[..., None]/{dt}', (2, 3), ['...', None], dt)
    g('x[-1]', (3, 4), [-1])
    g('x[:, -2]', (3, 4), [':', -2])
    g('x[1, 2] (0-dim)', (3, 4), [1, 2])
    g('x[-1, -1]', (3, 4), [-1, -1])
    g('x[::2]', (5, 3), ['::2'])
    g('x[:, ::3]', (3, 5), [':', '::3'])
    g('x[-1:]', (4, 3), ['-1:'])
    g('x[:-1]', (4, 3), [':-1'])
    g('x[1:-1:2]', (5, 4), ['1:-1:2'])
    g('x[1::2, ::2]', (5, 5), ['1::2', '::2'])
    g('x[5:2] (empty)', (5, 3), ['5:2'])
    g('x[:, 3:3] (empty)', (3, 4), [':', '3:3'])
    g('x[1:10] (end clamped)', (3, 4), ['1:10'])
    g('x[-10:2] (start clamped)', (3, 4), ['-10:2'])
    g('x[:]', (3, 4), [':'])
    g('x[...]', (3, 4), ['...'])
    g('x[None]', (3, 4), [None])
    g('x[None, 1]', (2, 3, 4), [None, 1])
    g('x[1, None]', (2, 3, 4), [1, None])
    g('x[:, None, :, None]', (2, 3), [':', None, ':', None])
    g('x[..., 1]', (2, 3, 4), ['...', 1])
    g('x[1, ..., ::2]', (2, 3, 4), [1, '...', '::2'])
    g('x[None, ..., None, 0]', (2, 3), [None, '...', None, 0])
    g('x[..., None, :]', (2, 3), ['...', None, ':'])
    g('x[0, :, 1:3] on 3-D', (2, 3, 4), [0, ':', '1:3'])
    # Odd strides: a transposed then sliced tensor.
    cases.append(build('x.T[1:4:2, ::3]', 'float32', {'x': randn((5, 4), 'float32')},
                       [step('T'), step('index', '1:4:2', '::3')], view=True))
    cases.append(build('x.T[-1]', 'float32', {'x': randn((3, 4), 'float32')},
                       [step('T'), step('index', -1)], view=True))
    cases.append(build('x.permute(2, 0, 1)[::2, 1, None]', 'float32', {'x': randn((2, 3, 4), 'float32')},
                       [step('permute', 2, 0, 1), step('index', '::2', 1, None)], view=True))
    cases.append(build('x[1:][:, ::2][0] (indexing a view)', 'float32', {'x': randn((3, 5), 'float32')},
                       [step('index', '1:'), step('index', ':', '::2'), step('index', 0)], view=True))
    g('int32 x[::2, 1]', (4, 3), ['::2', 1], 'int32', x=ints((4, 3)), requires_grad=())

    # Advanced indexing: a copy.
    for dt in ('float32', 'float64'):
        g(f'x[tensor([2, 0, 2])] (repeats)/{dt}', (4, 3), [itens([2, 0, 2])], dt)
        g(f'x[tensor([3]), tensor([[0], [2]])] (broadcast)/{dt}', (4, 3),
          [itens([3, 1, 0]), itens([[0], [2]])], dt)
    g('x[tensor([-1, 0])] (negative)', (4, 3), [itens([-1, 0])])
    g('x[[0, 2]] (number array)', (3, 4), [[0, 2]])
    g('x[[[0, 1], [2, 0]]] (nested array)', (3, 4), [[[0, 1], [2, 0]]])
    g('x[[0, 2], [1, 3]] (two number arrays)', (3, 4), [[0, 2], [1, 3]])
    g('x[:, tensor([3, 0])]', (3, 4), [':', itens([3, 0])])
    g('x[:, [0, 2], [1, 3]] (adjacent: placed at dim 1)', (2, 3, 4), [':', [0, 2], [1, 3]])
    g('x[[0, 1], :, [1, 3]] (separated: advanced dims first)', (2, 3, 4), [[0, 1], ':', [1, 3]])
    g('x[tensor([[0], [1]]), :, tensor([1, 3, 2])] (separated, broadcast)', (2, 3, 4),
      [itens([[0], [1]]), ':', itens([1, 3, 2])])
    g('x[:, :, [0, 2]]', (2, 3, 4), [':', ':', [0, 2]])
    g('x[0, [1, 2]] (int + advanced)', (3, 4), [0, [1, 2]])
    g('x[1, :, [0, 2]] (int, slice, advanced: int is a select)', (2, 3, 4), [1, ':', [0, 2]],
      notes='PyTorch applies the integer as select first, so the slice dim comes first: shape [3, 2] '
            '(NumPy would treat 1 as an advanced index separated from [0, 2] and give [2, 3]).')
    g('x[[0, 1], 2, [1, 3]] (advanced, int, advanced)', (2, 3, 4), [[0, 1], 2, [1, 3]])
    g('x[..., [0, 2]]', (2, 3, 4), ['...', [0, 2]])
    g('x[None, [0, 2]]', (3, 4), [None, [0, 2]])
    g('x[[0, 2], None]', (3, 4), [[0, 2], None])
    g('x[..., [0, 2], None]', (2, 3, 4), ['...', [0, 2], None])
    g('x[::2, [0, 1]] (step slice + advanced)', (5, 4), ['::2', [0, 1]])
    g('x[1:, tensor([[0, 1], [1, 0]])] (2-D index after a slice)', (3, 4), ['1:', itens([[0, 1], [1, 0]])])
    # Non-contiguous inputs to advanced indexing.
    cases.append(build('x.T[[0, 2, 1]]', 'float32', {'x': randn((4, 3), 'float32')},
                       [step('T'), step('index', [0, 2, 1])], view=True))
    cases.append(build('x[:, ::2][tensor([1, 0]), tensor([2, 2])]', 'float32', {'x': randn((3, 5), 'float32')},
                       [step('index', ':', '::2'), step('index', itens([1, 0]), itens([2, 2]))], view=True))
    cases.append(build('x.expand(3, 4)[[0, 2], 1:]', 'float32', {'x': randn((1, 4), 'float32')},
                       [step('expand', 3, 4), step('index', [0, 2], '1:')], view=True))
    # logits[range(n), y] and embedding-style lookups.
    for dt in ('float32', 'float64'):
        cases.append(build(f'logits[arange(n), y]/{dt}', dt, {'x': randn((4, 5), dt)},
                           [step('index', itens([0, 1, 2, 3]), itens([4, 0, 0, 2]))], view=True))
        cases.append(build(f'C[X] (2-D index, embedding)/{dt}', dt, {'x': randn((5, 3), dt)},
                           [step('index', itens([[0, 4, 4, 1], [2, 0, 4, 3]]))], view=True))
    # Masks.
    m34 = [[True, False, True, True], [False, False, False, False], [True, True, False, True]]
    for dt in ('float32', 'float64'):
        g(f'x[mask] full shape/{dt}', (3, 4), [mask(m34)], dt)
    g('x[mask] leading dims', (3, 2, 4), [mask([[True, False], [True, True], [False, True]])])
    g('x[:, mask] on dim 1', (3, 4), [':', mask([True, False, False, True])])
    g('x[mask] all false (empty)', (3, 4), [mask([False, False, False])])
    g('x[mask, 1:] (mask then slice)', (3, 4), [mask([True, False, True]), '1:'])
    cases.append(
        build('x.T[mask]', 'float32', {'x': randn((4, 3), 'float32')},
              [step('T'), step('index', mask([[True, False, True, False], [False, True, True, False],
                                              [True, True, False, False]]))], view=True))
    g('x[None, mask]', (3, 4), [None, mask([False, True, True])])
    g('int32 x[[2, 0]]', (3, 4), [[2, 0]], 'int32', x=ints((3, 4)), requires_grad=())
    g('int32 x[mask]', (2, 3), [mask([[True, False, True], [False, True, True]])], 'int32',
      x=ints((2, 3)), requires_grad=())

    # Assignment: indexPut_ on a non-leaf copy y = x.clone(), gradients w.r.t. x and the value.
    def put(name, shape, items, value, dtype='float32', vshape=None, opts=None, scale=False, record=(),
            requires_grad=('x', 'v')):
        inputs = {'x': randn(shape, dtype)}
        steps = [step('clone', save='y')]
        val = value
        if vshape is not None:
            inputs['v'] = randn(vshape, dtype)
            val = ref('v')
            if scale:  # y[...] = v * 2
                steps = [step('use', 'v'), step('mul', 2, save='v2'), step('use', 'x'), step('clone', save='y')]
                val = ref('v2')
        args = [items, val] + ([opts] if opts else [])
        steps.append(step('indexPut_', *args))
        cases.append(build(name, dtype, inputs, steps, requires_grad=requires_grad, record=record))

    for dt in ('float32', 'float64'):
        put(f'y[1:3] = v * 2 (CopySlices)/{dt}', (4, 3), ['1:3'], None, dt, vshape=(2, 3), scale=True)
        put(f'y[tensor([2, 0])] = v/{dt}', (3, 4), [itens([2, 0])], None, dt, vshape=(2, 4))
        put(f'y[tensor([0, 2, 0])] += v (accumulate, repeats)/{dt}', (3, 4), [itens([0, 2, 0])], None, dt,
            vshape=(3, 4), opts={'accumulate': True})
    put('y[:, 0] = 5 (scalar)', (3, 4), [':', 0], 5.0)
    put('y[::2] = v (broadcast row)', (5, 4), ['::2'], None, vshape=(4,))
    put('y[..., 1:3] = v (broadcast column)', (2, 3, 4), ['...', '1:3'], None, vshape=(3, 1))
    put('y[-1] = v', (3, 4), [-1], None, vshape=(4,))
    put('y[1, 2] = 7 (one element)', (3, 4), [1, 2], 7.0)
    put('y[5:2] = 1 (empty slice)', (5, 3), ['5:2'], 1.0)
    put('y[None, 1] = v', (3, 4), [None, 1], None, vshape=(1, 4))
    put('y[[0, 2], [1, 3]] = v', (3, 4), [[0, 2], [1, 3]], None, vshape=(2,))
    put('y[tensor([1]), tensor([[0], [2]])] = 0 (broadcast indices, scalar)', (3, 4),
        [itens([1]), itens([[0], [2]])], 0.0)
    put('y[:, [0, 3]] = v (broadcast value)', (3, 4), [':', [0, 3]], None, vshape=(2,))
    put('y[[0, 1], :, [1, 3]] = v (separated)', (2, 3, 4), [[0, 1], ':', [1, 3]], None, vshape=(2, 3))
    put('y[mask] = 0 (scalar)', (3, 4), [mask(m34)], 0.0)
    put('y[mask] = v (one value per true)', (3, 4), [mask(m34)], None, vshape=(6,))
    put('y[mask] = v (leading-dims mask, broadcast row)', (3, 4), [mask([True, False, True])], None, vshape=(4,))
    put('y[tensor([[0, 1], [1, 1]]), tensor([[2, 2], [0, 2]])] += v (accumulate, 2-D indices)', (2, 3),
        [itens([[0, 1], [1, 1]]), itens([[2, 2], [0, 2]])], None, vshape=(2, 2), opts={'accumulate': True})
    put('y[tensor([1, 1, 1])] += v (accumulate, broadcast value)', (3, 2), [itens([1, 1, 1])], None,
        vshape=(2,), opts={'accumulate': True})
    put('y[tensor([2, 2])] += 1.5 (accumulate scalar)', (3, 2), [itens([2, 2])], 1.5, opts={'accumulate': True},
        requires_grad=('x',))
    # Writes without autograd: into x itself and through a view of x.
    cases.append(build('no grad: x[mask] = -1', 'float32', {'x': randn((3, 4), 'float32')},
                       [step('indexPut_', [mask(m34)], -1.0)], requires_grad=(), record=('x',)))
    cases.append(build('no grad: x.T[0] = v writes through the view', 'float32',
                       {'x': randn((3, 4), 'float32'), 'v': randn((3,), 'float32')},
                       [step('T'), step('indexPut_', [0], ref('v'))], requires_grad=(), record=('x',)))
    cases.append(build('no grad: x[:, ::2][[0, 2]] = 9 writes through the view', 'float32',
                       {'x': randn((3, 5), 'float32')},
                       [step('index', ':', '::2'), step('indexPut_', [[0, 2]], 9.0)], requires_grad=(),
                       record=('x',)))
    cases.append(build('int32 x[[0, 2]] += tensor (accumulate)', 'int32', {'x': ints((3, 2))},
                       [step('indexPut_', [itens([0, 2, 0])], {'tensor': tens(ints((3, 2)))},
                             {'accumulate': True})], requires_grad=(), record=('x',)))
    cases.append(build('basic index view, then mul_ (CopySlices through index)', 'float32',
                       {'x': randn((3, 4), 'float32'), 'w': randn((2,), 'float32')},
                       [step('clone', save='y'), step('index', 1, '1:3'), step('mul_', ref('w')), step('use', 'y')],
                       requires_grad=('x', 'w')))

    # maskedFill, maskedSelect, indexFill_, indexCopy_, indexAdd_, scatter, scatterAdd, take.
    def op(name, shape, steps, dtype='float32', extra=None, requires_grad=('x', 's'), record=()):
        inputs = {'x': randn(shape, dtype)}
        inputs.update({k: randn(s, dtype) for k, s in (extra or {}).items()})
        cases.append(build(name, dtype, inputs, steps, requires_grad=requires_grad, record=record))

    for dt in ('float32', 'float64'):
        op(f'maskedFill (broadcast mask)/{dt}', (3, 4), [step('maskedFill', mask([[True], [False], [True]]), -2.5)], dt)
        op(f'scatter src tensor dim 1/{dt}', (3, 4),
           [step('scatter', 1, itens([[2, 0], [1, 3], [3, 2]]), ref('s'))], dt, extra={'s': (3, 2)})
        op(f'scatterAdd repeats dim 0/{dt}', (3, 4),
           [step('scatterAdd', 0, itens([[0, 1, 2, 0], [0, 0, 2, 2]]), ref('s'))], dt, extra={'s': (2, 4)})
        op(f'indexAdd_ repeats/{dt}', (4, 3),
           [step('clone'), step('indexAdd_', 0, itens([1, 3, 1]), ref('s'))], dt, extra={'s': (3, 3)})
    op('maskedFill full mask', (3, 4), [step('maskedFill', mask(m34), 0.0)])
    op('maskedFill_ on a clone', (3, 4), [step('clone'), step('maskedFill_', mask([True, False, False, True]), 1.0)])
    op('maskedFill_ through a transposed view', (3, 4),
       [step('clone', save='y'), step('T'), step('maskedFill_', mask([[True, False, True]] * 4), 3.0),
        step('use', 'y')])
    op('maskedSelect full mask', (3, 4), [step('maskedSelect', mask(m34))])
    op('maskedSelect broadcast mask', (2, 3), [step('maskedSelect', mask([False, True, True]))])
    op('maskedSelect of transposed', (3, 2), [step('T'), step('maskedSelect', mask([[True, False, True], [False, True, True]]))])
    op('indexFill_ dim 1', (3, 4), [step('clone'), step('indexFill_', 1, itens([0, 2]), -1.0)])
    op('indexFill_ dim 0 repeats, negative index', (4, 2), [step('clone'), step('indexFill_', 0, itens([-1, 0, -1]), 2.0)])
    op('indexCopy_ dim 0', (4, 3), [step('clone'), step('indexCopy_', 0, itens([3, 0]), ref('s'))],
       extra={'s': (2, 3)})
    op('indexCopy_ dim 1', (2, 4), [step('clone'), step('indexCopy_', 1, itens([1, 2, 0]), ref('s'))],
       extra={'s': (2, 3)})
    op('indexAdd_ dim 1', (2, 4), [step('clone'), step('indexAdd_', 1, itens([3, 3]), ref('s'))],
       extra={'s': (2, 2)})
    op('scatter scalar', (3, 4), [step('scatter', 0, itens([[1, 2, 0, 1]]), 9.0)])
    # src does not require grad here: PyTorch 1.13's ScatterBackward0 returns a gradient of the
    # index's shape for src ("got [2, 1] but expected shape compatible with [3, 3]").
    op('scatter index smaller than src', (3, 4), [step('scatter', 1, itens([[3], [0]]), ref('s'))],
       extra={'s': (3, 3)}, requires_grad=('x',))
    op('scatter_ on a clone', (3, 4), [step('clone'), step('scatter_', 0, itens([[2, 0, 1, 1]]), ref('s'))],
       extra={'s': (1, 4)})
    op('scatter_ scalar on a clone', (2, 5), [step('clone'), step('scatter_', 1, itens([[4, 0], [1, 1]]), 0.5)])
    op('scatterAdd dim 1', (2, 3), [step('scatterAdd', 1, itens([[0, 0, 2], [1, 1, 1]]), ref('s'))],
       extra={'s': (2, 3)})
    op('scatterAdd_ on a clone', (3, 2), [step('clone'), step('scatterAdd_', 0, itens([[0, 2], [0, 0]]), ref('s'))],
       extra={'s': (2, 2)})
    op('scatterAdd_ through a view', (3, 4),
       [step('clone', save='y'), step('narrow', 1, 1, 2), step('scatterAdd_', 0, itens([[2, 0], [2, 2]]), ref('s')),
        step('use', 'y')], extra={'s': (2, 2)})
    op('take 2-D index, negative', (3, 4), [step('take', itens([[0, 11], [-1, 5]]))])
    op('take repeats', (2, 3), [step('take', itens([4, 4, 0]))])
    op('take of transposed', (3, 4), [step('T'), step('take', itens([1, 2, 5]))])
    cases.append(build('no grad: scatter_ into x', 'float32', {'x': randn((2, 3), 'float32')},
                       [step('scatter_', 1, itens([[2], [0]]), -3.0)], requires_grad=(), record=('x',)))
    cases.append(build('no grad: indexAdd_ through x.T', 'float32',
                       {'x': randn((3, 4), 'float32'), 's': randn((4, 2), 'float32')},
                       [step('T'), step('indexAdd_', 1, itens([0, 0]), ref('s'))], requires_grad=(), record=('x',)))
    cases.append(build('int32 scatterAdd', 'int32', {'x': ints((2, 3))},
                       [step('scatterAdd', 1, itens([[0, 0, 1], [2, 2, 2]]), {'tensor': tens(ints((2, 3)))})],
                       requires_grad=()))

    # Errors.
    def e(name, shape, steps, kind, phrases, requires_grad=(), extra=None, sync=False):
        inputs = {'x': randn(shape, 'float32')}
        inputs.update(extra or {})
        cases.append(build(name, 'float32', inputs, steps, requires_grad=requires_grad, error=(kind, phrases),
                           sync_reads_only=sync))

    e('x[5]: index out of bounds', (3, 4), [step('index', 5)], 'IndexError',
      ['index 5 is out of bounds for dimension 0 with size 3'])
    e('x[-4]: negative index out of bounds', (3, 4), [step('index', -4)], 'IndexError',
      ['index -4 is out of bounds for dimension 0 with size 3'])
    e('x[:, 4]: index out of bounds on dim 1', (3, 4), [step('index', ':', 4)], 'IndexError',
      ['index 4 is out of bounds for dimension 1 with size 4'])
    e('x[tensor([0, 5])]: index tensor out of bounds', (3, 4), [step('index', itens([0, 5]))], 'IndexError',
      ['index 5 is out of bounds for dimension 0 with size 3'], sync=True)
    # PyTorch 1.13 says "dimension 0" here although the index is on dim 1 (it reports the
    # position among the advanced indices); only the shared part is required.
    e('x[:, [0, 7]]: index out of bounds on dim 1', (3, 4), [step('index', ':', [0, 7])], 'IndexError',
      ['index 7 is out of bounds for dimension', 'with size 4'], sync=True)
    e('x[::-1]: negative step', (3, 4), [step('index', '::-1')], 'ValueError', ['step must be greater than zero'])
    e('x[:, 1:3:-1]: negative step', (3, 4), [step('index', ':', '1:3:-1')], 'ValueError',
      ['step must be greater than zero'])
    e('x[0, 1, 2]: too many indices', (3, 4), [step('index', 0, 1, 2)], 'IndexErrorShape',
      ['too many indices for tensor of dimension 2'])
    e('x[..., 0, 1, None, 2]: too many indices', (3, 4), [step('index', '...', 0, 1, None, 2)], 'IndexErrorShape',
      ['too many indices for tensor of dimension 2'])
    e('x[mask]: mask shape mismatch', (3, 4), [step('index', mask([True, False]))], 'IndexErrorShape',
      ['does not match the shape of the indexed tensor'])
    e('x[mask]: 2-D mask shape mismatch', (3, 4), [step('index', mask([[True, False, True]] * 3))], 'IndexErrorShape',
      ['does not match the shape of the indexed tensor'])
    e('x[float tensor]: index of the wrong dtype', (3, 4), [step('index', ftens([0.0, 1.0], 'float32'))],
      'IndexErrorType', ['tensors used as indices must be'])
    e('y[mask] = v: mask shape mismatch', (3, 4), [step('indexPut_', [mask([True, False])], 1.0)], 'IndexErrorShape',
      ['does not match the shape of the indexed tensor'])
    e('y[[0, 1]] = v: value not broadcastable', (3, 4),
      [step('indexPut_', [[0, 1]], ref('v'))], 'Shape', ['shape mismatch'], extra={'v': randn((3,), 'float32')})
    e('y[5] = 1: index out of bounds', (3, 4), [step('indexPut_', [5], 1.0)], 'IndexError',
      ['index 5 is out of bounds for dimension 0 with size 3'])
    e('x[0].mul_(2): in-place on a view of a leaf that requires grad', (3, 4),
      [step('index', 0), step('mul_', 2)], 'Autograd',
      ['a view of a leaf Variable that requires grad is being used in an in-place operation'], requires_grad=('x',))
    e('x[0:2] = v on a leaf that requires grad', (3, 4), [step('indexPut_', ['0:2'], 1.0)], 'Autograd',
      ['a leaf Variable that requires grad is being used in an in-place operation'], requires_grad=('x',))
    e('version counter: y saved, y[0] written', (3, 4),
      [step('clone', save='y'), step('mul', ref('y'), save='z'), step('use', 'y'), step('indexPut_', [0], 0.0),
       step('use', 'z'), step('backward')], 'Autograd', ['modified by an inplace operation'], requires_grad=('x',))
    e('version counter: y saved, y[mask] written', (3, 4),
      [step('clone', save='y'), step('mul', ref('y'), save='z'), step('use', 'y'),
       step('indexPut_', [mask([True, False, True])], 0.0), step('use', 'z'), step('backward')],
      'Autograd', ['modified by an inplace operation'], requires_grad=('x',))
    e('x.expand(2, 3)[:, 0].add_(1): overlapping write', (3,), [step('expand', 2, 3), step('index', ':', 0),
                                                                 step('add_', 1)], 'Overlap',
      ['more than one element of the written-to tensor refers to a single memory location'])
    e('maskedFill: mask not broadcastable', (3, 4), [step('maskedFill', mask([True, False]), 0.0)], 'Shape',
      ['must match the size of tensor'])
    e('scatter: index out of bounds', (3, 4), [step('scatter', 0, itens([[0, 5]]), 1.0)], 'IndexError',
      ['index 5 is out of bounds for dimension 0 with size 3'], sync=True)
    e('take: index out of range', (2, 3), [step('take', itens([6]))], 'IndexError', ['index 6'], sync=True)
    return cases


def check_unique(cases):
    names = [c['name'] for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, dup


views = view_cases()
indexing = indexing_cases()
check_unique(views)
check_unique(indexing)
NOTES = [
    'Not recorded, as PyTorch leaves them undefined or 1.13 differs from later versions: '
    'indexPut_ without accumulate and indexCopy_/scatter with repeated indices; writes into '
    'views whose windows overlap (unfold); fill_/zero_ and index_put_ into an expanded tensor '
    '(1.13 allows them, with at most a deprecation warning; add_, mul_, copy_ and scatter_ raise).',
    "PyTorch 1.13's ScatterBackward0 cannot give src a gradient when index is smaller than src "
    "('got [2, 1] but expected shape compatible with [3, 3]'): those cases do not make src require grad.",
    "x[:, [0, 7]] on a [3, 4] tensor: PyTorch says 'index 7 is out of bounds for dimension 0 with "
    "size 4' (the position among the advanced indices); the case requires only "
    "'index 7 is out of bounds for dimension' and 'with size 4'.",
    "grad_fn names are written without PyTorch's C++ namespace ('torch::autograd::CopySlices' -> 'CopySlices').",
]
FORMAT = ('cases: programs over the leaves in `inputs`, replayed by the suite; see the docstring of '
          'tooling/golden/views.py for the step and argument encoding and what is recorded')
write('views', {
    'meta': meta('views.py',
                 'views: narrow, select, T, t, transpose, permute, expand, view, reshape, flatten, squeeze, '
                 'unsqueeze, unbind, chunk, split, diagonal, unfold, movedim, detach, contiguous: values, '
                 'strides, storage offset, sharing, write-through of in-place ops, CopySlices gradients, '
                 'view errors. ' + FORMAT, notes=NOTES),
    'cases': views,
})
write('indexing', {
    'meta': meta('views.py',
                 "indexing, PyTorch's x[...]: basic (views), advanced (copies), masks, placement of "
                 'advanced dims; assignment (indexPut_ with and without accumulate), maskedFill, '
                 'maskedSelect, indexFill_/indexCopy_/indexAdd_, scatter/scatterAdd, take; errors. ' + FORMAT,
                 patches=['maskedSelect: 1.13 misorders the gradient of a non-contiguous input '
                          '(x.T.masked_select(m): x.grad swaps entries; the values are right); the '
                          'generator selects from t.contiguous(), which 1.13 differentiates correctly'],
                 notes=NOTES),
    'cases': indexing,
})
