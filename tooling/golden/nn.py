"""Golden fixtures for stepwise's nn: Conv2d, MaxPool2d, Linear, the losses, Module names.

Run by hand with Debian's PyTorch 1.13:  /usr/bin/python3 tooling/golden/nn.py
Writes packages/conformance/fixtures/nn_*.json (committed). Each case stores its inputs,
the forward value and the gradients of sum(out * gradOutput) with respect to every input,
in float32 and float64. Floats are written with repr (full precision); NaN/inf as strings.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'packages', 'conformance', 'fixtures')
DTYPES = {'float32': torch.float32, 'float64': torch.float64}


def num(v):
    v = float(v)
    if math.isnan(v):
        return 'nan'
    if math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    return v


def tens(t):
    if t is None:
        return None
    t = t.detach()
    flat = t.reshape(-1).tolist()
    if t.dtype in (torch.int64, torch.int32, torch.bool):
        data = [int(x) for x in flat]
    else:
        data = [num(x) for x in flat]
    return {'shape': list(t.shape), 'data': data}


def meta(what):
    return {
        'torch': torch.__version__,
        'generator': 'tooling/golden/nn.py',
        'what': what,
        'patches': [],
    }


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + '.json')
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
        f.write('\n')
    print('wrote', os.path.relpath(path), os.path.getsize(path), 'bytes')


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def randn(shape, dtype, gen):
    return torch.randn(*shape, generator=gen, dtype=torch.float64).to(dtype)


# ---------------------------------------------------------------- conv2d
CONV_CASES = [
    # name, input shape, cout, kernel, stride, padding, dilation, groups, bias
    ('basic_3x3', (2, 3, 7, 9), 4, 3, 1, 0, 1, 1, True),
    ('pad1_stride2', (2, 3, 7, 9), 5, 3, 2, 1, 1, 1, True),
    ('dilation2_stride_1x2', (1, 2, 9, 8), 3, 3, (1, 2), 2, 2, 1, True),
    ('groups2_rect_kernel', (2, 4, 6, 7), 6, (3, 2), 1, (1, 0), 1, 2, True),
    ('depthwise', (3, 3, 5, 6), 6, 3, 1, 1, 1, 3, False),
    ('no_bias_1x1', (2, 5, 4, 3), 7, 1, 1, 0, 1, 1, False),
    ('kernel_covers_input', (1, 1, 5, 5), 2, 5, 1, 0, 1, 1, True),
    ('asym_pad_stride3', (2, 2, 11, 10), 3, (2, 4), 3, (2, 0), (1, 2), 1, True),
    ('stride_larger_than_kernel', (1, 3, 9, 9), 2, 2, 3, 1, 1, 1, True),
    ('groups3_dilated_padded', (2, 6, 8, 9), 3, 3, 2, 2, (2, 1), 3, True),
    ('unbatched', (3, 6, 5), 2, 2, 1, 1, 1, 1, True),
]


def conv_fixture():
    gen = torch.Generator().manual_seed(1234)
    cases = []
    for name, ishape, cout, k, s, p, d, g, bias in CONV_CASES:
        cin = ishape[-3]
        kh, kw = pair(k)
        base_x = randn(ishape, torch.float64, gen)
        base_w = randn((cout, cin // g, kh, kw), torch.float64, gen) * 0.5
        base_b = randn((cout,), torch.float64, gen) if bias else None
        for dn, dt in DTYPES.items():
            x = base_x.detach().clone().to(dt).requires_grad_()
            w = base_w.detach().clone().to(dt).requires_grad_()
            b = base_b.detach().clone().to(dt).requires_grad_() if bias else None
            out = F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
            gout = torch.randn(out.shape, generator=gen, dtype=torch.float64).to(dt)
            out.backward(gout)
            cases.append({
                'name': name, 'dtype': dn,
                'stride': pair(s), 'padding': pair(p), 'dilation': pair(d), 'groups': g,
                'kernelSize': [kh, kw],
                'input': tens(x), 'weight': tens(w), 'bias': tens(b),
                'out': tens(out), 'gradOutput': tens(gout),
                'gradInput': tens(x.grad), 'gradWeight': tens(w.grad),
                'gradBias': tens(b.grad) if bias else None,
                'gradFn': out.grad_fn.name(),
            })
    write('nn_conv2d', {'meta': meta('F.conv2d values and grads'), 'cases': cases})


# ---------------------------------------------------------------- max_pool2d
POOL_CASES = [
    # name, input shape, kernel, stride, padding, dilation, ceil_mode
    ('k2_default_stride', (2, 3, 6, 8), 2, None, 0, 1, False),
    ('k3_s2_p1', (2, 2, 7, 9), 3, 2, 1, 1, False),
    ('rect_dilated_padded', (1, 3, 9, 8), (2, 3), (1, 2), (1, 1), (2, 1), False),
    ('ceil_mode', (2, 2, 7, 8), 3, 2, 0, 1, True),
    ('ceil_mode_padded', (1, 2, 6, 5), 2, 2, 1, 1, True),
    ('odd_input_k2', (1, 1, 5, 7), 2, None, 0, 1, False),
    ('unbatched', (3, 5, 6), 2, 1, 1, 1, False),
    ('global', (2, 4, 4, 4), 4, None, 0, 1, False),
]


def pool_fixture():
    gen = torch.Generator().manual_seed(4321)
    cases = []
    for name, ishape, k, s, p, d, ceil in POOL_CASES:
        base_x = randn(ishape, torch.float64, gen)
        for dn, dt in DTYPES.items():
            x = base_x.detach().clone().to(dt).requires_grad_()
            out = F.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
            gout = torch.randn(out.shape, generator=gen, dtype=torch.float64).to(dt)
            out.backward(gout)
            cases.append({
                'name': name, 'dtype': dn,
                'kernelSize': pair(k), 'stride': pair(s) if s is not None else None,
                'padding': pair(p), 'dilation': pair(d), 'ceilMode': ceil,
                'input': tens(x), 'out': tens(out), 'gradOutput': tens(gout),
                'gradInput': tens(x.grad), 'gradFn': out.grad_fn.name(),
            })
    write('nn_maxpool2d', {'meta': meta('F.max_pool2d values and grads'), 'cases': cases})


# ---------------------------------------------------------------- linear
LINEAR_CASES = [
    ('batch', (5, 3), 4, True),
    ('no_bias', (6, 7), 2, False),
    ('vector_input', (7,), 3, True),
    ('3d_input', (2, 3, 5), 4, True),
    ('wide', (4, 33), 1, True),
]


def linear_fixture():
    gen = torch.Generator().manual_seed(99)
    cases = []
    for name, ishape, out_f, bias in LINEAR_CASES:
        in_f = ishape[-1]
        bx = randn(ishape, torch.float64, gen)
        bw = randn((out_f, in_f), torch.float64, gen)
        bb = randn((out_f,), torch.float64, gen) if bias else None
        for dn, dt in DTYPES.items():
            x = bx.detach().clone().to(dt).requires_grad_()
            w = bw.detach().clone().to(dt).requires_grad_()
            b = bb.detach().clone().to(dt).requires_grad_() if bias else None
            out = F.linear(x, w, b)
            gout = torch.randn(out.shape, generator=gen, dtype=torch.float64).to(dt)
            out.backward(gout)
            cases.append({
                'name': name, 'dtype': dn,
                'input': tens(x), 'weight': tens(w), 'bias': tens(b), 'out': tens(out),
                'gradOutput': tens(gout), 'gradInput': tens(x.grad), 'gradWeight': tens(w.grad),
                'gradBias': tens(b.grad) if bias else None,
            })
    write('nn_linear', {'meta': meta('F.linear values and grads'), 'cases': cases})


# ---------------------------------------------------------------- losses
def loss_fixture():
    gen = torch.Generator().manual_seed(7)
    cases = []

    def add(kind, name, dn, options, inp, target, out, extra=None):
        inp_grad = inp.grad
        c = {
            'loss': kind, 'name': name, 'dtype': dn, 'options': options,
            'input': tens(inp), 'target': tens(target), 'out': tens(out),
            'gradInput': tens(inp_grad),
        }
        if extra:
            c.update(extra)
        cases.append(c)

    def run(kind, name, inp64, target, opts, torch_kwargs, extra_tensors=None, target_float=False):
        for dn, dt in DTYPES.items():
            inp = inp64.detach().clone().to(dt).requires_grad_()
            tgt = target.to(dt) if target_float else target
            kw = dict(torch_kwargs)
            extra = {}
            for key, (tkey, val) in (extra_tensors or {}).items():
                kw[tkey] = val.to(dt)
                extra[key] = tens(val.to(dt))
            fn = {
                'mse': F.mse_loss, 'l1': F.l1_loss, 'crossEntropy': F.cross_entropy,
                'bceWithLogits': F.binary_cross_entropy_with_logits,
            }[kind]
            out = fn(inp, tgt, **kw)
            gout = torch.randn(out.shape, generator=gen, dtype=torch.float64).to(dt)
            out.backward(gout)
            extra['gradOutput'] = tens(gout)
            add(kind, name, dn, opts, inp, tgt, out, extra)

    for red in ('mean', 'sum', 'none'):
        x = torch.randn(4, 7, generator=gen, dtype=torch.float64)
        y = torch.randn(4, 7, generator=gen, dtype=torch.float64)
        run('mse', 'mse_' + red, x, y, {'reduction': red}, {'reduction': red}, target_float=True)
        x = torch.randn(3, 5, 2, generator=gen, dtype=torch.float64)
        y = torch.randn(3, 5, 2, generator=gen, dtype=torch.float64)
        run('l1', 'l1_' + red, x, y, {'reduction': red}, {'reduction': red}, target_float=True)

    # cross entropy: class indices
    for red in ('mean', 'sum', 'none'):
        x = torch.randn(6, 5, generator=gen, dtype=torch.float64) * 2
        t = torch.randint(0, 5, (6,), generator=gen)
        run('crossEntropy', 'ce_indices_' + red, x, t, {'reduction': red}, {'reduction': red})
    x = torch.randn(7, 4, generator=gen, dtype=torch.float64)
    t = torch.tensor([0, 3, 1, 3, 2, 3, 0])
    for red in ('mean', 'sum', 'none'):
        run('crossEntropy', 'ce_ignore_index_' + red, x, t, {'ignoreIndex': 3, 'reduction': red},
            {'ignore_index': 3, 'reduction': red})
    x = torch.randn(5, 6, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 6, (5,), generator=gen)
    for red in ('mean', 'sum', 'none'):
        run('crossEntropy', 'ce_label_smoothing_' + red, x, t, {'labelSmoothing': 0.2, 'reduction': red},
            {'label_smoothing': 0.2, 'reduction': red})
    t2 = torch.tensor([1, 5, 0, 5, 2])
    run('crossEntropy', 'ce_smoothing_and_ignore', x, t2, {'labelSmoothing': 0.15, 'ignoreIndex': 5},
        {'label_smoothing': 0.15, 'ignore_index': 5})
    w = torch.rand(6, generator=gen, dtype=torch.float64) + 0.5
    for red in ('mean', 'sum', 'none'):
        run('crossEntropy', 'ce_weight_' + red, x, t, {'reduction': red}, {'reduction': red},
            {'weight': ('weight', w)})
    run('crossEntropy', 'ce_weight_smoothing_ignore', x, t2, {'labelSmoothing': 0.1, 'ignoreIndex': 5},
        {'label_smoothing': 0.1, 'ignore_index': 5}, {'weight': ('weight', w)})
    # probabilities as target
    p = torch.softmax(torch.randn(5, 6, generator=gen, dtype=torch.float64), 1)
    for red in ('mean', 'sum', 'none'):
        run('crossEntropy', 'ce_probs_' + red, x, p, {'reduction': red}, {'reduction': red}, target_float=True)
    run('crossEntropy', 'ce_probs_smoothing', x, p, {'labelSmoothing': 0.3}, {'label_smoothing': 0.3},
        target_float=True)
    run('crossEntropy', 'ce_probs_weight', x, p, {}, {}, {'weight': ('weight', w)}, target_float=True)
    # K-dimensional input (N, C, d1, d2) and unbatched (C,)
    x4 = torch.randn(2, 4, 3, 2, generator=gen, dtype=torch.float64)
    t4 = torch.randint(0, 4, (2, 3, 2), generator=gen)
    run('crossEntropy', 'ce_kdim_indices', x4, t4, {}, {})
    run('crossEntropy', 'ce_kdim_indices_none', x4, t4, {'reduction': 'none'}, {'reduction': 'none'})
    p4 = torch.softmax(torch.randn(2, 4, 3, 2, generator=gen, dtype=torch.float64), 1)
    run('crossEntropy', 'ce_kdim_probs', x4, p4, {}, {}, target_float=True)
    x1 = torch.randn(5, generator=gen, dtype=torch.float64)
    run('crossEntropy', 'ce_unbatched', x1, torch.tensor(2), {}, {})

    # BCE with logits
    for red in ('mean', 'sum', 'none'):
        x = torch.randn(4, 3, generator=gen, dtype=torch.float64) * 3
        y = (torch.rand(4, 3, generator=gen, dtype=torch.float64) > 0.5).double()
        run('bceWithLogits', 'bce_' + red, x, y, {'reduction': red}, {'reduction': red}, target_float=True)
    x = torch.randn(5, 3, generator=gen, dtype=torch.float64) * 4
    y = torch.rand(5, 3, generator=gen, dtype=torch.float64)
    pw = torch.rand(3, generator=gen, dtype=torch.float64) * 3
    wt = torch.rand(5, 1, generator=gen, dtype=torch.float64) + 0.1
    run('bceWithLogits', 'bce_pos_weight', x, y, {}, {}, {'posWeight': ('pos_weight', pw)}, target_float=True)
    run('bceWithLogits', 'bce_weight', x, y, {}, {}, {'weight': ('weight', wt)}, target_float=True)
    run('bceWithLogits', 'bce_weight_pos_weight_sum', x, y, {'reduction': 'sum'}, {'reduction': 'sum'},
        {'weight': ('weight', wt), 'posWeight': ('pos_weight', pw)}, target_float=True)
    big = torch.tensor([[-120.0, 80.0, 0.0], [30.0, -35.0, 1e-3]], dtype=torch.float64)
    yb = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]], dtype=torch.float64)
    run('bceWithLogits', 'bce_extreme_logits', big, yb, {'reduction': 'none'}, {'reduction': 'none'},
        target_float=True)

    write('nn_losses', {'meta': meta('loss values and input grads (upstream gradient gradOutput)'),
                        'cases': cases})


# ---------------------------------------------------------------- embedding
def embedding_fixture():
    gen = torch.Generator().manual_seed(17)
    cases = []
    specs = [
        ('2d_indices', 10, 3, [[1, 2, 4], [4, 3, 9]], None),
        ('repeated_1d', 7, 5, [0, 6, 0, 0, 3], None),
        ('padding_idx', 6, 4, [[2, 0, 5], [2, 2, 1]], 2),
        ('negative_padding_idx', 6, 2, [5, 1, 5, 0], -1),
    ]
    for name, num, dim, idx, pad in specs:
        bw = randn((num, dim), torch.float64, gen)
        index = torch.tensor(idx)
        for dn, dt in DTYPES.items():
            w = bw.detach().clone().to(dt).requires_grad_()
            out = F.embedding(index, w, padding_idx=pad)
            gout = torch.randn(out.shape, generator=gen, dtype=torch.float64).to(dt)
            out.backward(gout)
            cases.append({
                'name': name, 'dtype': dn, 'paddingIdx': pad,
                'input': tens(index), 'weight': tens(w), 'out': tens(out),
                'gradOutput': tens(gout), 'gradWeight': tens(w.grad),
            })
    write('nn_embedding', {'meta': meta('F.embedding values and weight grads (padding_idx rows get no gradient)'),
                           'cases': cases})


# ---------------------------------------------------------------- module names
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.features = nn.Sequential(nn.Conv2d(4, 8, 3, groups=2, bias=False), nn.ReLU())
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8, 10)
        self.head = nn.Sequential(nn.Linear(10, 10), nn.Sequential(nn.Tanh(), nn.Linear(10, 3)))


def module_fixture():
    models = {
        'sequential': nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)),
        'net': Net(),
    }
    out = {}
    for name, m in models.items():
        out[name] = {
            'namedParameters': [[k, list(v.shape)] for k, v in m.named_parameters()],
            'stateDictKeys': list(m.state_dict().keys()),
            'children': [type(c).__name__ for c in m.children()],
        }
    write('nn_module', {'meta': meta('parameter names and state-dict keys of nested modules'), 'models': out})


if __name__ == '__main__':
    torch.set_printoptions(precision=17)
    conv_fixture()
    pool_fixture()
    linear_fixture()
    loss_fixture()
    embedding_fixture()
    module_fixture()
    sys.exit(0)
