"""Golden fixture for printing (issue 16 item 1): PyTorch's `repr()` of tensors, modules
and optimizers, replayed by packages/conformance/src/suites/printing.ts.

Run by hand with Debian's PyTorch 1.13:  /usr/bin/python3 tooling/golden/repr.py
Writes packages/conformance/fixtures/repr.json.

A tensor case ('tensors'):
  {id, x: {shape, dtype, data}, requiresGrad, op, options, repr}
The suite builds `x` (`torch.tensor` of the data, requiring grad when `requiresGrad`), applies
`op` (null: x itself; 'add1': x + 1; 'mul2': x * 2; 'sum'; 'mean'; 'neg'; 'exp';
'parameter': nn.Parameter(x)), sets `options` with `torch.setPrintOptions` (stepwise's
camelCase names of `torch.set_printoptions`' arguments; restored afterwards) and compares
`String(t)` with `repr`, exactly. Integer data is made as PyTorch's int64 (stepwise's int32
stands for it) and recorded as dtype 'int32'.

A module case ('modules'): {id, repr}; the suite builds the same module under the same id
(`moduleBuilders` in printing.ts mirrors `MODULES` here) and compares `String(m)`.

An optimizer case ('optimizers'): {id, repr}, the same way (`optimizerBuilders`).

A scheduler case ('schedulers'): {id, repr}, the same way (`schedulerBuilders`). PyTorch's
schedulers have no __repr__ (Python prints `<...StepLR object at 0x...>`); stepwise prints
the scheduler's state in the optimizer's format, and `scheduler_text` writes that form from
PyTorch's own state_dict and get_last_lr() (MultiStepLR's milestones Counter as the sorted
list stepwise keeps).
"""
import collections
import math

import torch
import torch.nn as nn

from common import meta, tens, write

GEN = 'repr.py'
G = torch.Generator().manual_seed(20261126)

PATCHES = [
    "stepwise's int32 stands for PyTorch's int64: an empty int64 tensor, which PyTorch prints "
    "with 'dtype=torch.int64', is recorded with 'dtype=torch.int32', the stepwise dtype's name "
    "(non-empty int64 tensors print no dtype, as stepwise's int32 ones).",
    "Adam's and AdamW's parameter groups have `decoupled_weight_decay` in the latest PyTorch "
    "(1.13's have not); stepwise keeps it (AdamW is Adam with it set), so the line "
    "'    decoupled_weight_decay: False' ('True' for AdamW) is inserted in sorted place in "
    "their reprs.",
]


def randn(*shape, scale=1.0, dtype=torch.float32):
    return (torch.randn(*shape, generator=G, dtype=torch.float64) * scale).to(dtype)


def f32(values):
    return torch.tensor(values, dtype=torch.float32)


def f64(values):
    return torch.tensor(values, dtype=torch.float64)


def i64(values):
    return torch.tensor(values, dtype=torch.int64)


def b(values):
    return torch.tensor(values, dtype=torch.bool)


def apply(x, op, requires_grad):
    if requires_grad:
        x = x.detach().requires_grad_(True)
    if op is None:
        return x
    if op == 'parameter':
        return nn.Parameter(x)
    return {
        'add1': lambda: x + 1,
        'mul2': lambda: x * 2,
        'sum': lambda: x.sum(),
        'mean': lambda: x.mean(),
        'neg': lambda: -x,
        'exp': lambda: x.exp(),
    }[op]()


OPTION_NAMES = {'sciMode': 'sci_mode'}


def tensor_case(id, x, requires_grad=False, op=None, options=None):
    kw = {OPTION_NAMES.get(k, k): v for k, v in (options or {}).items()}
    try:
        torch.set_printoptions(**kw)
        r = repr(apply(x, op, requires_grad))
    finally:
        torch.set_printoptions(profile='default')
    if x.dtype == torch.int64 and x.numel() == 0:
        r = r.replace('torch.int64', 'torch.int32')
    spec = tens(x)
    if options and options.get('threshold') == math.inf:
        options = {**options, 'threshold': 'inf'}
    return {'id': id, 'x': spec, 'requiresGrad': requires_grad, 'op': op, 'options': options,
            'repr': r}


def tensors():
    out = []
    T = lambda *a, **k: out.append(tensor_case(*a, **k))  # noqa: E731

    # Small and everyday.
    T('2x2 float', f32([[1.5, 2.0], [3.0, 4.0]]))
    T('1-D float', f32([0.1, -0.25, 3.14159, 2.71828]))
    T('1-D negative', f32([-1.5, -22.125, 0.0, 7.0625]))
    T('random 3x4', randn(3, 4))
    T('random 3x4 float64', randn(3, 4, dtype=torch.float64))
    T('1-D float64', f64([1.0, 2.5, -3.25]))
    # 0-dim.
    T('0-dim float', f32(1.5))
    T('0-dim negative', f32(-0.3))
    T('0-dim integral float', f32(3.0))
    T('0-dim zero', f32(0.0))
    T('0-dim negative zero', f32(-0.0))
    T('0-dim nan', f32(float('nan')))
    T('0-dim inf', f32(float('-inf')))
    T('0-dim tiny', f32(1e-5))
    T('0-dim huge', f32(3e9))
    T('0-dim int', i64(7))
    T('0-dim negative int', i64(-42))
    T('0-dim bool', b(True))
    T('0-dim float64', f64(2.5))
    # Integers (PyTorch's int64 is stepwise's int32).
    T('ints', i64([1, 2, 3]))
    T('ints mixed widths', i64([-10, 5, 123, 0, -7777]))
    T('ints 2-D', i64([[1, -2, 300], [40, 5, -6]]))
    T('ints large', i64([2147483647, -2147483648, 0]))
    T('ints 3-D', torch.arange(24).reshape(2, 3, 4))
    # Floats holding integers: int mode ("1.", "nan" without a dot).
    T('integral floats', f32([1.0, 2.0, 3.0]))
    T('integral floats negative', f32([-1.0, 20.0, -300.0]))
    T('integral floats with nan/inf', f32([1.0, float('nan'), float('inf'), float('-inf')]))
    T('integral floats 1e3 ratio', f32([1.0, 1000.0]))
    T('integral floats sci by ratio', f32([1.0, 1001.0, 5.0]))
    T('integral floats sci by size', f32([123456789.0, 2.0e8]))
    T('integral floats float64', f64([1.0, -2.0, 1.0e10]))
    T('zeros', torch.zeros(3))
    T('zero and negative zero', f32([0.0, -0.0]))
    T('negative zero and values', f32([-0.0, 1.5, -2.25]))
    T('negative zero integral', f32([-0.0, 1.0, 2.0]))
    T('all nan', f32([float('nan'), float('nan')]))
    T('nan and inf only', f32([float('nan'), float('inf'), float('-inf')]))
    T('nan zero', f32([0.0, float('nan')]))
    T('floats with nan/inf', f32([1.5, float('nan'), -float('inf'), 2.25]))
    T('sci floats with nan/inf', f32([1.5e-5, float('nan'), float('inf'), 2.0]))
    # Scientific mode.
    T('sci by small value', f32([1e-5, 1.0]))
    T('sci by ratio', f32([0.5, 600.25]))
    T('sci by large value', f32([1.0e9, 2.5]))
    T('no sci at 1e-4', f32([1e-4, 0.5]))
    T('tiny float32', f32([1e-30, 3e-38, -1.0e-20]))
    T('subnormal float32', f32([1e-45, 1e-40]))
    T('huge float32', f32([3.0e38, -1.0e38, 1.5]))
    T('float64 extremes', f64([1e300, -1e-300, 5e-324, 1.0]))
    T('mixed magnitudes', randn(4, 5) * torch.tensor([1e-3, 1.0, 1e2, 1e4, 1e6]))
    T('mixed magnitudes float64', (randn(2, 3, dtype=torch.float64) *
                                   torch.tensor([1e-8, 1.0, 1e8], dtype=torch.float64)))
    # Rounding: Python rounds exact ties to even.
    T('ties fixed', f32([1.03125, 0.15625, -2.71875, 0.5]))
    T('ties sci', f32([1.03125, 100000.0, -1.34375e-3]))
    T('rounding to next power', f32([9.99995, 0.99999, 99.99999]))
    T('rounding sci to next power', f32([9.99996e-6, 1.0]))
    # Booleans.
    T('bool', b([True, False, True]))
    T('bool 2-D', b([[True, False], [False, True]]))
    T('bool all true', b([True, True]))
    # Empty.
    T('empty', torch.tensor([]))
    T('empty 0x3', torch.zeros(0, 3))
    T('empty 2x0x3', torch.zeros(2, 0, 3))
    T('empty int', torch.tensor([], dtype=torch.int64))
    T('empty int 2-D', torch.zeros(3, 0, dtype=torch.int64))
    T('empty bool', torch.tensor([], dtype=torch.bool))
    T('empty float64', torch.tensor([], dtype=torch.float64))
    T('empty requires grad', torch.zeros(0, 2), requires_grad=True)
    # Wrapping of long rows at 80 characters.
    T('1-D wraps', torch.arange(30, dtype=torch.float32) / 3)
    T('1-D ints wrap', torch.arange(100))
    T('1-D random wraps', randn(50))
    T('1-D bool wraps', torch.arange(40) % 3 == 0)
    T('1-D sci wraps', randn(25) * 1e-6)
    T('2-D rows wrap', randn(3, 14))
    T('3-D rows wrap', randn(2, 2, 15))
    # Multi-dimensional.
    T('3-D', randn(2, 3, 4))
    T('3-D ints', torch.arange(-12, 12).reshape(2, 3, 4))
    T('4-D', randn(2, 2, 2, 3))
    T('5-D', torch.arange(32, dtype=torch.float32).reshape(2, 2, 2, 2, 2))
    T('column', randn(4, 1))
    T('row', randn(1, 4))
    T('3-D singleton dims', randn(1, 1, 3))
    T('2-D bool', torch.arange(12).reshape(3, 4) % 2 == 0)
    T('2-D float64', randn(3, 3, dtype=torch.float64))
    # Summarisation (more than 1000 elements).
    T('1001 ints', torch.arange(1001))
    T('2000 floats', torch.arange(2000, dtype=torch.float32) / 7)
    T('1001 floats random', randn(1001))
    T('40x50 random', randn(40, 50))
    T('1000x2', torch.arange(2000, dtype=torch.float32).reshape(1000, 2))
    T('2x1000', torch.arange(2000).reshape(2, 1000))
    T('10x10x11', randn(10, 10, 11))
    T('2x3x200', randn(2, 3, 200))
    T('5x5x5x10', torch.arange(1250, dtype=torch.float32).reshape(5, 5, 5, 10))
    T('summarised sci', randn(30, 40) * 1e-5)
    T('summarised bool', torch.arange(1200).reshape(30, 40) % 7 == 0)
    T('summarised float64', randn(1100, dtype=torch.float64))
    T('1000 not summarised', torch.arange(1000))
    # Autograd suffixes.
    T('requires grad', f32([1.0, 2.0]), requires_grad=True)
    T('requires grad 2-D', randn(2, 3), requires_grad=True)
    T('requires grad 0-dim', f32(0.5), requires_grad=True)
    T('requires grad float64', randn(2, 2, dtype=torch.float64), requires_grad=True)
    T('grad_fn add', f32([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, op='add1')
    T('grad_fn mul', f32([1.5, -2.0]), requires_grad=True, op='mul2')
    T('grad_fn sum', f32([1.0, 2.0, 3.5]), requires_grad=True, op='sum')
    T('grad_fn mean', f32([1.0, 2.0, 3.5, 4.0]), requires_grad=True, op='mean')
    T('grad_fn neg', i64([1, 2]).float(), requires_grad=True, op='neg')
    T('grad_fn exp float64', f64([0.0, 1.0]), requires_grad=True, op='exp')
    T('grad_fn on wrapped rows', torch.arange(24, dtype=torch.float32) / 7, requires_grad=True,
      op='mul2')
    T('suffix wraps', f32([1.5, 2.25, 3.125, 4.0625, 5.5, 6.25, 7.125, 8.0625]),
      requires_grad=True, op='add1')
    T('suffixes wrap float64', f64([1.5, 2.25, 3.125, 4.0625, 5.5, 6.25, 7.125]),
      requires_grad=True)
    T('suffix fits', f32([1.5, 2.25, 3.125, 4.0625, 5.5, 6.25, 7.125]), requires_grad=True)
    T('summarised with grad_fn', randn(1200), requires_grad=True, op='mul2')
    T('parameter', f32([[1.0, 2.0], [3.0, 4.0]]), op='parameter')
    T('parameter 1-D', randn(5), op='parameter')
    # torch.set_printoptions.
    T('precision 2', f32([1.12345, 2.5, -0.125]), options={'precision': 2})
    T('precision 8 float64', f64([1.0 / 3, 2.0 / 3]), options={'precision': 8})
    T('precision 0', f32([1.5, 2.25]), options={'precision': 0})
    T('precision 2 sci', f32([1e-5, 1.0]), options={'precision': 2})
    T('threshold 5', torch.arange(10), options={'threshold': 5})
    T('threshold 5 2-D', torch.arange(64, dtype=torch.float32).reshape(8, 8), options={'threshold': 5})
    T('edgeitems 2', torch.arange(1001), options={'edgeitems': 2})
    T('edgeitems 1 3-D', randn(10, 10, 11), options={'edgeitems': 1})
    T('linewidth 40', torch.arange(30, dtype=torch.float32) / 3, options={'linewidth': 40})
    T('linewidth 20 2-D', randn(3, 6), options={'linewidth': 20})
    T('linewidth 10', f32([123.5, 4.0, 5.25]), options={'linewidth': 10})
    T('linewidth 40 suffix', f32([1.5, 2.25, 3.125, 4.0625]), requires_grad=True, op='add1',
      options={'linewidth': 40})
    T('sciMode true', f32([1.5, 2.25]), options={'sciMode': True})
    T('sciMode true ints', f32([1.0, 2.0]), options={'sciMode': True})
    T('sciMode false', f32([1e-5, 1.0]), options={'sciMode': False})
    T('sciMode false large', f32([1.0e9, 2.5]), options={'sciMode': False})
    T('sciMode true no finite', f32([float('nan'), 0.0]), options={'sciMode': True})
    T('profile short', randn(4, 5), options={'profile': 'short'})
    T('profile short summarised', torch.arange(1001, dtype=torch.float32), options={'profile': 'short'})
    T('profile full', torch.arange(1001), options={'profile': 'full'})
    T('threshold inf', torch.arange(1100), options={'threshold': math.inf})
    return out


class Net(nn.Module):
    """The classic CNN of PyTorch's tutorial: fields, not a Sequential."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)


class Block(nn.Module):
    """A module with an extra_repr and children."""

    def __init__(self):
        super().__init__()
        self.hidden = 8
        self.fc = nn.Linear(4, 8)
        self.act = nn.GELU()

    def extra_repr(self):
        return 'hidden=8'


class MultiLine(nn.Module):
    """An extra_repr over two lines and no children."""

    def extra_repr(self):
        return 'first=1\nsecond=2'


class Empty(nn.Module):
    pass


class WithNone(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.register_module('skip', None)


class WithParams(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))
        self.params = nn.ParameterList([nn.Parameter(torch.zeros(2, 3)), nn.Parameter(torch.zeros(4))])
        self.head = nn.Linear(3, 1)


def shared_relu():
    relu = nn.ReLU()
    return nn.Sequential(nn.Linear(2, 4), relu, nn.Linear(4, 4), relu)


# id -> builder; printing.ts `moduleBuilders` builds the same modules under the same ids.
MODULES = {
    'mlp': lambda: nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)),
    'mnist head': lambda: nn.Sequential(nn.Linear(784, 10)),
    'mlp no bias': lambda: nn.Sequential(nn.Linear(4, 3, bias=False), nn.Sigmoid(), nn.Dropout(0.2),
                                         nn.Linear(3, 1), nn.Tanh()),
    'cnn': lambda: nn.Sequential(
        nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(128, 10), nn.LogSoftmax(dim=1)),
    'named': lambda: nn.Sequential(collections.OrderedDict([
        ('conv', nn.Conv2d(3, 8, (3, 5), stride=(2, 1), bias=False)),
        ('bn', nn.BatchNorm2d(8)),
        ('act', nn.LeakyReLU(0.2)),
        ('pool', nn.AvgPool2d(2)),
        ('gap', nn.AdaptiveAvgPool2d(1)),
        ('flat', nn.Flatten()),
    ])),
    'nested': lambda: nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.ReLU()),
                                    nn.Sequential(nn.Linear(2, 1), nn.Sequential(nn.Softmax(dim=-1)))),
    'net': Net,
    'block': Block,
    'block in sequential': lambda: nn.Sequential(Block(), Block()),
    'multi-line extra': MultiLine,
    'multi-line extra nested': lambda: nn.Sequential(MultiLine()),
    'empty': Empty,
    'empty sequential': nn.Sequential,
    'with none': WithNone,
    'with params': WithParams,
    'shared relu': shared_relu,
    'module list': lambda: nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()]),
    'module dict': lambda: nn.ModuleDict({'a': nn.Linear(1, 1), 'b': nn.ReLU()}),
    'embedding model': lambda: nn.Sequential(nn.Embedding(10, 3), nn.Embedding(10, 3, padding_idx=0),
                                             nn.Embedding(5, 2, sparse=True), nn.LayerNorm(3)),
    'normalisation': lambda: nn.Sequential(nn.BatchNorm1d(16), nn.LayerNorm(8), nn.GroupNorm(2, 4),
                                           nn.BatchNorm2d(3, eps=1e-3, momentum=None, affine=False)),
    'activations': lambda: nn.Sequential(
        nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.Softplus(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
        nn.Identity(), nn.GELU(), nn.GELU(approximate='tanh'), nn.SiLU(), nn.Mish(), nn.Hardtanh(),
        nn.LeakyReLU(), nn.ELU(), nn.ELU(alpha=0.5)),
    'losses': lambda: nn.ModuleList([
        nn.MSELoss(), nn.L1Loss(), nn.CrossEntropyLoss(), nn.BCEWithLogitsLoss(), nn.NLLLoss(),
        nn.BCELoss(), nn.KLDivLoss(), nn.HuberLoss(), nn.SmoothL1Loss()]),
    'conv family': lambda: nn.Sequential(
        nn.Conv1d(2, 4, 3), nn.MaxPool1d(2), nn.AvgPool1d(2), nn.Conv2d(4, 4, 3, padding='same'),
        nn.ConvTranspose2d(4, 2, 2, stride=2), nn.MaxPool2d(3, stride=2, padding=1)),
    'dropout': lambda: nn.Dropout(),
    'linear': lambda: nn.Linear(3, 2),
}


def modules():
    return [{'id': k, 'repr': repr(f())} for k, f in MODULES.items()]


def with_line(r, key, value):
    """Inserts '    key: value' into an optimizer repr's (single) group, in sorted place."""
    lines = r.split('\n')
    for i, line in enumerate(lines):
        if line.startswith('    ') and line.strip().split(':')[0] > key:
            lines.insert(i, '    {}: {}'.format(key, value))
            break
    return '\n'.join(lines)


def params(*shapes):
    return [nn.Parameter(torch.zeros(*s)) for s in shapes]


def optimizers():
    O = torch.optim
    cases = {
        'adam': lambda: O.Adam(params((2,))),
        'adam options': lambda: O.Adam(params((2,)), lr=0.01, betas=(0.8, 0.99), eps=1e-6,
                                       weight_decay=0.05, amsgrad=True),
        'sgd': lambda: O.SGD(params((2,)), lr=0.1),
        'sgd two groups': lambda: O.SGD([{'params': params((2,))},
                                         {'params': params((3,)), 'lr': 0.01, 'nesterov': True}],
                                        lr=0.1, momentum=0.9, dampening=0, weight_decay=1e-4),
        'adamw': lambda: O.AdamW(params((2,))),
        'rmsprop': lambda: O.RMSprop(params((2,)), lr=0.01, momentum=0.9, centered=True),
        'adagrad': lambda: O.Adagrad(params((2,))),
    }
    out = []
    for k, f in cases.items():
        r = repr(f())
        if r.startswith('Adam ('):
            r = with_line(r, 'decoupled_weight_decay', 'False')
        elif r.startswith('AdamW ('):
            r = with_line(r, 'decoupled_weight_decay', 'True')
        out.append({'id': k, 'repr': r})
    # An optimizer under a scheduler: the group has `initial_lr`.
    o = O.SGD(params((2,)), lr=0.1)
    O.lr_scheduler.StepLR(o, step_size=30)
    out.append({'id': 'sgd with scheduler', 'repr': repr(o)})
    return out


def py_str(v):
    """str() at the top level (what the optimizer's repr uses), repr inside containers."""
    return str(v)


def scheduler_text(s):
    """The stepwise scheduler form (PyTorch has no scheduler __repr__): the class name, then
    the public state_dict fields (no '_'-prefixed counters, no `verbose`, which stepwise has
    not) and `last_lr` (get_last_lr()), sorted, each '    key: str(value)'."""
    sd = s.state_dict()
    fields = {k: v for k, v in sd.items() if not k.startswith('_') and k != 'verbose'}
    if isinstance(fields.get('milestones'), collections.Counter):
        fields['milestones'] = sorted(fields['milestones'].elements())
    fields['last_lr'] = s.get_last_lr()
    body = ''.join('    {}: {}\n'.format(k, py_str(fields[k])) for k in sorted(fields))
    return type(s).__name__ + ' (\n' + body + ')'


def schedulers():
    S = torch.optim.lr_scheduler

    def sgd(lr=0.1):
        return torch.optim.SGD(params((2,)), lr=lr)

    out = []
    o = sgd()
    out.append({'id': 'StepLR', 'repr': scheduler_text(S.StepLR(o, step_size=30))})
    o = sgd()
    s = S.ExponentialLR(o, gamma=0.5)
    for _ in range(3):
        o.step()
        s.step()
    out.append({'id': 'ExponentialLR after 3 steps', 'repr': scheduler_text(s)})
    o = sgd()
    out.append({'id': 'MultiStepLR', 'repr': scheduler_text(S.MultiStepLR(o, milestones=[30, 80], gamma=0.1))})
    o = sgd(0.05)
    out.append({'id': 'CosineAnnealingLR', 'repr': scheduler_text(S.CosineAnnealingLR(o, T_max=10, eta_min=0.001))})
    return out


def main():
    ts = tensors()
    ms = modules()
    os_ = optimizers()
    ss = schedulers()
    write('repr', {
        'meta': meta(GEN, "PyTorch's repr() of tensors (every dtype, value range, shape, "
                          'summarisation, wrapping, print options, autograd suffixes), '
                          'modules and optimizers', patches=PATCHES),
        'tensors': ts, 'modules': ms, 'optimizers': os_, 'schedulers': ss,
    })
    print(len(ts), 'tensor cases,', len(ms), 'module cases,', len(os_), 'optimizer cases,', len(ss),
          'scheduler cases')


if __name__ == '__main__':
    main()
