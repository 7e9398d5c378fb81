"""Golden fixtures for nn layers, part 1 (issue 13 item 5): normalisation, Conv1d,
ConvTranspose2d, average/adaptive/1-d pooling, the NLL/BCE/Huber/SmoothL1/KLDiv losses,
nn.init, and the module plumbing (buffers, ModuleDict, ParameterList).

Run by hand with Debian's PyTorch 1.13:  /usr/bin/python3 tooling/golden/nn_layers.py
Writes packages/conformance/fixtures/nn_layers_*.json, replayed by
packages/conformance/src/suites/nnLayers.ts. Tensors are {shape, dtype, data} (common.py).

A functional case ('cases' of norm/conv/pool/loss):
  {op, name, dtype, options, inputs: {input, weight, ...}, out, gradOutput, grads: {...}}
`options` are the stepwise options object (camelCase); `inputs` are the tensor arguments
(floats in the case's dtype; class indices int32); `grads` are the gradients of
sum(out * gradOutput) with respect to every floating input that PyTorch differentiates.

A BatchNorm case ('batchNorm'): a module built with `ctor` options, its weight and bias set
from `init`, then `steps`: each step sets train or eval mode, runs forward on `input`,
backward with `gradOutput`, and records out, the grads of input/weight/bias (each step starts
with no grads) and the buffers afterwards.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import meta, tens, write

G = torch.Generator().manual_seed(20261127)
DTYPES = {'float32': torch.float32, 'float64': torch.float64}
GEN = 'nn_layers.py'


def rn(*shape):
    return torch.randn(*shape, generator=G, dtype=torch.float64)


def rand(*shape):
    return torch.rand(*shape, generator=G, dtype=torch.float64)


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def grad_case(op, name, fn, inputs, options, diff, extra=None):
    """Runs fn(**inputs) in both dtypes; `inputs` are float64 (or int64) tensors, `diff` the
    names differentiated. Returns the two cases."""
    out_cases = []
    for dn, dt in DTYPES.items():
        ins = {}
        for k, v in inputs.items():
            if v is None:
                ins[k] = None
            elif v.dtype.is_floating_point:
                ins[k] = v.detach().clone().to(dt).requires_grad_(k in diff)
            else:
                ins[k] = v
        out = fn(**ins)
        gout = torch.randn(out.shape, generator=G, dtype=torch.float64).to(dt)
        out.backward(gout)
        c = {
            'op': op, 'name': name, 'dtype': dn, 'options': options,
            'inputs': {k: tens(v) for k, v in ins.items()},
            'out': tens(out), 'gradOutput': tens(gout),
            'grads': {k: tens(ins[k].grad) for k in diff if ins.get(k) is not None},
            'gradFn': out.grad_fn.name(),
        }
        if extra:
            c.update(extra(ins, out))
        out_cases.append(c)
    return out_cases


# ---------------------------------------------------------------- normalisation
def norm_fixture():
    cases = []
    # layer_norm: name, input shape, normalized shape, weight?, bias?, eps, offset
    for name, shape, ns, w, b, eps, off in [
        ('last_dim', (3, 5, 7), [7], True, True, 1e-5, 0),
        ('two_dims', (2, 3, 4, 5), [4, 5], True, True, 1e-5, 0),
        ('no_affine', (4, 9), [9], False, False, 1e-5, 0),
        ('weight_only_eps', (2, 6, 3), [3], True, False, 1e-3, 0),
        ('vector', (5,), [5], True, True, 1e-5, 0),
        ('offset_33', (3, 33), [33], True, True, 1e-5, 50),
        ('one_element', (4, 1), [1], True, True, 1e-5, 0),
    ]:
        inputs = {'input': rn(*shape) * 2 + off,
                  'weight': rn(*ns) if w else None, 'bias': rn(*ns) if b else None}
        opts = {'normalizedShape': ns, 'eps': eps, 'elementwiseAffine': w, 'bias': b}
        cases += grad_case('layerNorm', name,
                           lambda input, weight, bias: F.layer_norm(input, ns, weight, bias, eps),
                           inputs, opts, ['input', 'weight', 'bias'])
    # group_norm: name, input shape, groups, affine, eps
    for name, shape, g, affine, eps in [
        ('g2_4d', (2, 4, 3, 5), 2, True, 1e-5),
        ('g1_3d', (3, 6, 7), 1, True, 1e-5),
        ('instance_like', (2, 5, 4, 3), 5, True, 1e-5),
        ('no_affine_2d', (4, 6), 3, False, 1e-5),
        ('eps_3d', (2, 6, 5), 3, True, 1e-2),
    ]:
        c = shape[1]
        inputs = {'input': rn(*shape) * 1.5 + 0.5,
                  'weight': rn(c) if affine else None, 'bias': rn(c) if affine else None}
        opts = {'numGroups': g, 'numChannels': c, 'eps': eps, 'affine': affine}
        cases += grad_case('groupNorm', name,
                           lambda input, weight, bias: F.group_norm(input, g, weight, bias, eps),
                           inputs, opts, ['input', 'weight', 'bias'])
    # batch_norm, functional: name, input shape, running stats?, training, momentum, eps, affine
    for name, shape, stats, training, momentum, eps, affine in [
        ('train_2d', (5, 3), True, True, 0.1, 1e-5, True),
        ('train_4d_momentum', (3, 4, 2, 5), True, True, 0.3, 1e-3, True),
        ('train_no_stats_3d', (4, 2, 6), False, True, 0.1, 1e-5, False),
        ('eval_4d', (2, 3, 4, 3), True, False, 0.1, 1e-5, True),
        ('eval_3d_no_affine', (3, 5, 4), True, False, 0.1, 1e-5, False),
    ]:
        c = shape[1]
        rm0 = rn(c) * 0.5 if stats else None
        rv0 = rand(c) + 0.5 if stats else None
        inputs = {'input': rn(*shape) + 0.3, 'weight': rn(c) if affine else None,
                  'bias': rn(c) if affine else None}
        opts = {'training': training, 'momentum': momentum, 'eps': eps}
        for dn, dt in DTYPES.items():
            rm = rm0.to(dt).clone() if stats else None
            rv = rv0.to(dt).clone() if stats else None
            before = (tens(rm), tens(rv))

            def fn(input, weight, bias, rm=rm, rv=rv):
                return F.batch_norm(input, rm, rv, weight, bias, training, momentum, eps)
            ins = {}
            for k, v in inputs.items():
                ins[k] = None if v is None else v.detach().clone().to(dt).requires_grad_()
            out = fn(**ins)
            gout = torch.randn(out.shape, generator=G, dtype=torch.float64).to(dt)
            out.backward(gout)
            cases.append({
                'op': 'batchNorm', 'name': name, 'dtype': dn, 'options': opts,
                'inputs': {**{k: tens(v) for k, v in ins.items()},
                           'runningMean': before[0], 'runningVar': before[1]},
                'out': tens(out), 'gradOutput': tens(gout),
                'grads': {k: tens(v.grad) for k, v in ins.items() if v is not None},
                'gradFn': out.grad_fn.name(),
                'after': {'runningMean': tens(rm), 'runningVar': tens(rv)},
            })

    # BatchNorm modules over several steps
    bn_cases = []
    for name, cls, shape, ctor, modes in [
        ('bn1d_2d', 'BatchNorm1d', (6, 3), {}, ['train', 'train', 'eval', 'train', 'eval']),
        ('bn1d_3d_momentum', 'BatchNorm1d', (4, 3, 5), {'momentum': 0.25, 'eps': 1e-3},
         ['train', 'train', 'eval']),
        ('bn2d', 'BatchNorm2d', (3, 4, 3, 5), {}, ['train', 'train', 'train', 'eval']),
        ('bn2d_cumulative', 'BatchNorm2d', (2, 3, 4, 3), {'momentum': None},
         ['train', 'train', 'train', 'eval']),
        ('bn2d_no_affine', 'BatchNorm2d', (2, 2, 3, 3), {'affine': False}, ['train', 'eval']),
        ('bn2d_no_tracking', 'BatchNorm2d', (3, 2, 2, 3), {'trackRunningStats': False},
         ['train', 'eval']),
        ('bn1d_unbatched_2d_as_nc', 'BatchNorm1d', (7, 2), {'eps': 0.1}, ['train', 'eval']),
    ]:
        c = shape[1]
        kw = {'momentum': ctor.get('momentum', 0.1), 'eps': ctor.get('eps', 1e-5),
              'affine': ctor.get('affine', True),
              'track_running_stats': ctor.get('trackRunningStats', True)}
        w0, b0 = rn(c) * 0.5 + 1, rn(c) * 0.5
        xs = [rn(*shape) * (1 + i) + 0.5 * i for i in range(len(modes))]
        gos = [rn(*shape) for _ in modes]
        for dn, dt in DTYPES.items():
            m = getattr(nn, cls)(c, **kw).to(dt)
            init = {}
            if m.affine:
                with torch.no_grad():
                    m.weight.copy_(w0)
                    m.bias.copy_(b0)
                init = {'weight': tens(m.weight), 'bias': tens(m.bias)}
            steps = []
            for mode, x0, go0 in zip(modes, xs, gos):
                m.train(mode == 'train')
                x = x0.to(dt).requires_grad_()
                if m.affine:
                    m.weight.grad = None
                    m.bias.grad = None
                out = m(x)
                go = go0.to(dt)
                out.backward(go)
                s = {'mode': mode, 'input': tens(x), 'out': tens(out), 'gradOutput': tens(go),
                     'gradInput': tens(x.grad)}
                if m.affine:
                    s['gradWeight'] = tens(m.weight.grad)
                    s['gradBias'] = tens(m.bias.grad)
                if m.track_running_stats:
                    s['runningMean'] = tens(m.running_mean)
                    s['runningVar'] = tens(m.running_var)
                    s['numBatchesTracked'] = int(m.num_batches_tracked)
                steps.append(s)
            bn_cases.append({'name': name, 'module': cls, 'dtype': dn, 'numFeatures': c,
                             'ctor': ctor, 'init': init, 'steps': steps,
                             'stateDictKeys': list(m.state_dict().keys()), 'repr': repr(m)})
    reprs = {
        'LayerNorm': [repr(nn.LayerNorm(4)), repr(nn.LayerNorm([3, 4], eps=1e-3, elementwise_affine=False))],
        'GroupNorm': [repr(nn.GroupNorm(2, 4)), repr(nn.GroupNorm(3, 6, eps=1e-3, affine=False))],
    }
    write('nn_layers_norm', {
        'meta': meta(GEN, 'layer_norm, group_norm, batch_norm (functional, with running stats) and '
                          'BatchNorm1d/2d modules over train/eval steps: values, grads, buffers',
                     patches=['LayerNorm bias=False (PyTorch 2.1+) is generated as F.layer_norm with '
                              'bias None, which is what the module computes']),
        'cases': cases, 'batchNorm': bn_cases, 'reprs': reprs})


# ---------------------------------------------------------------- convolutions
def conv_fixture():
    cases = []
    for name, shape, cout, k, s, p, d, g, bias in [
        ('basic', (2, 3, 11), 4, 3, 1, 0, 1, 1, True),
        ('stride2_pad1', (2, 3, 10), 5, 3, 2, 1, 1, 1, True),
        ('dilated_groups', (1, 4, 13), 6, 3, 1, 2, 2, 2, True),
        ('no_bias_k1', (3, 5, 7), 2, 1, 1, 0, 1, 1, False),
        ('same_even_kernel', (2, 2, 9), 3, 4, 1, 'same', 1, 1, True),
        ('valid_stride3', (2, 2, 12), 3, 3, 3, 'valid', 1, 1, True),
        ('unbatched', (3, 8), 2, 3, 2, 1, 1, 1, True),
    ]:
        cin = shape[-2]
        inputs = {'input': rn(*shape), 'weight': rn(cout, cin // g, k) * 0.5,
                  'bias': rn(cout) if bias else None}
        opts = {'stride': s, 'padding': p, 'dilation': d, 'groups': g}
        cases += grad_case('conv1d', name,
                           lambda input, weight, bias: F.conv1d(input, weight, bias, s, p, d, g),
                           inputs, {**opts, 'inChannels': cin, 'outChannels': cout, 'kernelSize': k},
                           ['input', 'weight', 'bias'])
    for name, shape, cout, k, s, p, op, g, bias, d, osize in [
        ('basic', (2, 3, 4, 5), 4, 3, 1, 0, 0, 1, True, 1, None),
        ('stride2_outpad1', (2, 3, 4, 5), 2, 3, 2, 1, 1, 1, True, 1, None),
        ('rect_stride', (1, 2, 5, 3), 3, (2, 3), (2, 1), (0, 1), (1, 0), 1, True, 1, None),
        ('groups2', (2, 4, 3, 4), 6, 3, 2, 1, 0, 2, False, 1, None),
        ('dilated', (1, 2, 4, 4), 3, 3, 1, 1, 0, 1, True, 2, None),
        ('stride3_outpad2', (2, 2, 3, 3), 2, 2, 3, 0, 2, 1, True, 1, None),
        ('outpad_below_dilation', (1, 2, 3, 3), 2, 3, 1, 0, 1, 1, True, 2, None),
        ('unbatched', (3, 4, 4), 2, 3, 2, 1, 1, 1, True, 1, None),
        ('output_size', (2, 2, 4, 3), 3, 3, 2, 1, 0, 1, True, 1, [8, 6]),
    ]:
        cin = shape[-3]
        kh, kw = pair(k)
        inputs = {'input': rn(*shape), 'weight': rn(cin, cout // g, kh, kw) * 0.5,
                  'bias': rn(cout) if bias else None}
        opts = {'stride': pair(s), 'padding': pair(p), 'outputPadding': pair(op), 'groups': g,
                'dilation': pair(d), 'inChannels': cin, 'outChannels': cout, 'kernelSize': [kh, kw]}
        if osize is not None:
            # The module's forward(input, outputSize) chooses the output padding that reaches it.
            opts['outputSize'] = osize
            opts['outputPadding'] = [
                osize[i] - ((shape[-2 + i] - 1) * pair(s)[i] - 2 * pair(p)[i] + pair(d)[i] * ([kh, kw][i] - 1) + 1)
                for i in range(2)]
        opp = tuple(opts['outputPadding'])
        cases += grad_case('convTranspose2d', name,
                           lambda input, weight, bias: F.conv_transpose2d(input, weight, bias, s, p, opp, g, d),
                           inputs, opts, ['input', 'weight', 'bias'])
    reprs = {
        'Conv1d': [repr(nn.Conv1d(2, 3, 3)), repr(nn.Conv1d(4, 6, 5, stride=2, padding=1, dilation=2, groups=2,
                                                             bias=False))],
        'ConvTranspose2d': [repr(nn.ConvTranspose2d(2, 3, 3)),
                            repr(nn.ConvTranspose2d(4, 2, (2, 3), stride=2, padding=1, output_padding=1,
                                                    groups=2, bias=False, dilation=(1, 2)))],
    }
    write('nn_layers_conv', {
        'meta': meta(GEN, 'F.conv1d and F.conv_transpose2d values and grads'),
        'cases': cases, 'reprs': reprs})


# ---------------------------------------------------------------- pooling
def pool_fixture():
    cases = []
    for name, shape, k, s, p, ceil, cip, div in [
        ('k2', (2, 3, 6, 8), 2, None, 0, False, True, None),
        ('k3_s2_p1', (2, 2, 7, 9), 3, 2, 1, False, True, None),
        ('k3_s2_p1_exclude_pad', (2, 2, 7, 9), 3, 2, 1, False, False, None),
        ('ceil', (1, 2, 7, 8), 3, 2, 0, True, True, None),
        ('ceil_pad_exclude', (1, 2, 6, 5), 2, 2, 1, True, False, None),
        ('ceil_pad_include', (1, 2, 6, 5), 3, 2, 1, True, True, None),
        ('ceil_window_past_pad', (1, 1, 5, 6), 3, 2, 1, True, True, None),
        ('rect', (2, 1, 7, 6), (3, 2), (1, 2), (1, 0), False, True, None),
        ('divisor_override', (1, 2, 5, 5), 2, 1, 1, False, True, 3),
        ('unbatched', (3, 5, 6), 2, 1, 0, False, True, None),
    ]:
        opts = {'kernelSize': pair(k), 'stride': pair(s) if s is not None else None,
                'padding': pair(p), 'ceilMode': ceil, 'countIncludePad': cip, 'divisorOverride': div}
        cases += grad_case('avgPool2d', name,
                           lambda input: F.avg_pool2d(input, k, s, p, ceil, cip, div),
                           {'input': rn(*shape)}, opts, ['input'])
    for name, shape, osize in [
        ('divisible', (2, 3, 6, 8), [3, 4]),
        ('non_divisible', (2, 2, 7, 5), [3, 2]),
        ('global', (2, 4, 5, 3), 1),
        ('none_entry', (1, 2, 5, 7), [None, 3]),
        ('upsample', (1, 1, 3, 2), [5, 4]),
        ('unbatched', (3, 7, 6), 4),
    ]:
        cases += grad_case('adaptiveAvgPool2d', name,
                           lambda input: F.adaptive_avg_pool2d(input, osize),
                           {'input': rn(*shape)}, {'outputSize': osize}, ['input'])
    for name, shape, k, s, p, d, ceil in [
        ('k3_s2_p1', (2, 3, 11), 3, 2, 1, 1, False),
        ('ceil_dilated', (1, 2, 10), 2, 2, 0, 2, True),
        ('unbatched', (2, 9), 2, None, 0, 1, False),
    ]:
        opts = {'kernelSize': k, 'stride': s, 'padding': p, 'dilation': d, 'ceilMode': ceil}
        cases += grad_case('maxPool1d', name,
                           lambda input: F.max_pool1d(input, k, s, p, d, ceil),
                           {'input': rn(*shape)}, opts, ['input'])
    for name, shape, k, s, p, ceil, cip in [
        ('k3', (2, 3, 10), 3, None, 0, False, True),
        ('k4_s2_p2_ceil_exclude', (1, 2, 9), 4, 2, 2, True, False),
        ('unbatched_pad', (3, 7), 3, 2, 1, False, True),
    ]:
        opts = {'kernelSize': k, 'stride': s, 'padding': p, 'ceilMode': ceil, 'countIncludePad': cip}
        cases += grad_case('avgPool1d', name,
                           lambda input: F.avg_pool1d(input, k, s, p, ceil, cip),
                           {'input': rn(*shape)}, opts, ['input'])
    reprs = {
        'AvgPool2d': [repr(nn.AvgPool2d(2)), repr(nn.AvgPool2d((3, 2), stride=1, padding=1, ceil_mode=True,
                                                               count_include_pad=False))],
        'AdaptiveAvgPool2d': [repr(nn.AdaptiveAvgPool2d(1)), repr(nn.AdaptiveAvgPool2d((2, None)))],
        'MaxPool1d': [repr(nn.MaxPool1d(2)), repr(nn.MaxPool1d(3, stride=2, padding=1, dilation=2,
                                                               ceil_mode=True))],
        'AvgPool1d': [repr(nn.AvgPool1d(3)), repr(nn.AvgPool1d(4, stride=2, padding=2))],
    }
    write('nn_layers_pool', {
        'meta': meta(GEN, 'avg_pool2d, adaptive_avg_pool2d, max_pool1d, avg_pool1d values and grads'),
        'cases': cases, 'reprs': reprs})


# ---------------------------------------------------------------- losses
def loss_fixture():
    cases = []

    def add(op, name, fn, inputs, opts, diff=('input',)):
        nonlocal cases
        cases += grad_case(op, name, fn, inputs, opts, list(diff))

    # nll_loss
    for red in ('mean', 'sum', 'none'):
        x = torch.log_softmax(rn(6, 5) * 2, 1)
        t = torch.randint(0, 5, (6,), generator=G)
        add('nllLoss', 'nll_' + red, lambda input, target: F.nll_loss(input, target, reduction=red),
            {'input': x, 'target': t}, {'reduction': red})
    x = rn(7, 4)
    t = torch.tensor([0, 3, 1, 3, 2, 3, 0])
    w = rand(4) + 0.5
    for red in ('mean', 'sum', 'none'):
        add('nllLoss', 'nll_weight_ignore_' + red,
            lambda input, target, weight: F.nll_loss(input, target, weight, ignore_index=3, reduction=red),
            {'input': x, 'target': t, 'weight': w}, {'ignoreIndex': 3, 'reduction': red})
    x4 = rn(2, 4, 3, 2)
    t4 = torch.randint(0, 4, (2, 3, 2), generator=G)
    t4[0, 1, 1] = -100
    add('nllLoss', 'nll_kdim', lambda input, target: F.nll_loss(input, target),
        {'input': x4, 'target': t4}, {})
    add('nllLoss', 'nll_kdim_weight_none',
        lambda input, target, weight: F.nll_loss(input, target, weight, reduction='none'),
        {'input': x4, 'target': t4, 'weight': w}, {'reduction': 'none'})
    add('nllLoss', 'nll_unbatched', lambda input, target: F.nll_loss(input, target),
        {'input': rn(5), 'target': torch.tensor(2)}, {})
    # binary_cross_entropy
    for red in ('mean', 'sum', 'none'):
        x = torch.sigmoid(rn(4, 3) * 2)
        y = rand(4, 3)
        add('bceLoss', 'bce_' + red, lambda input, target: F.binary_cross_entropy(input, target, reduction=red),
            {'input': x, 'target': y}, {'reduction': red}, diff=('input', 'target'))
    x = torch.sigmoid(rn(5, 3))
    y = (rand(5, 3) > 0.5).double()
    wt = rand(5, 1) + 0.1
    add('bceLoss', 'bce_weight_broadcast',
        lambda input, target, weight: F.binary_cross_entropy(input, target, weight),
        {'input': x, 'target': y, 'weight': wt}, {})
    xe = torch.tensor([[0.0, 1.0, 0.0], [1.0, 1e-30, 0.5]], dtype=torch.float64)
    ye = torch.tensor([[0.0, 1.0, 1.0], [0.0, 0.3, 0.5]], dtype=torch.float64)
    add('bceLoss', 'bce_clamped_log', lambda input, target: F.binary_cross_entropy(input, target, reduction='none'),
        {'input': xe, 'target': ye}, {'reduction': 'none'})
    add('bceLoss', 'bce_vector', lambda input, target: F.binary_cross_entropy(input, target),
        {'input': torch.sigmoid(rn(7)), 'target': rand(7)}, {})
    # huber and smooth_l1
    d = torch.tensor([-3.0, -1.0, -0.999, -0.3, 0.0, 0.25, 0.5, 1.0, 1.0001, 2.5, 4.0, -0.5], dtype=torch.float64)
    base = rn(12)
    for delta in (1.0, 0.5, 2.5):
        for red in ('mean', 'sum', 'none'):
            add('huberLoss', f'huber_delta{delta}_{red}',
                lambda input, target: F.huber_loss(input, target, reduction=red, delta=delta),
                {'input': base + d, 'target': base}, {'delta': delta, 'reduction': red})
    x = rn(3, 5) * 2
    y = rn(3, 5)
    for beta in (1.0, 0.3, 0.0):
        for red in ('mean', 'none'):
            add('smoothL1Loss', f'smooth_l1_beta{beta}_{red}',
                lambda input, target: F.smooth_l1_loss(input, target, reduction=red, beta=beta),
                {'input': x, 'target': y}, {'beta': beta, 'reduction': red})
    add('smoothL1Loss', 'smooth_l1_sum', lambda input, target: F.smooth_l1_loss(input, target, reduction='sum'),
        {'input': base + d, 'target': base}, {'reduction': 'sum'})
    # kl_div (input: log-probabilities)
    lp = torch.log_softmax(rn(4, 5), 1)
    tp = torch.softmax(rn(4, 5) * 2, 1)
    tp[1, 2] = 0.0
    tp[3, 0] = 0.0
    for red in ('batchmean', 'sum', 'mean', 'none'):
        add('klDivLoss', 'kl_' + red, lambda input, target: F.kl_div(input, target, reduction=red),
            {'input': lp, 'target': tp}, {'reduction': red}, diff=('input', 'target'))
    lt = torch.log_softmax(rn(4, 5), 1)
    for red in ('batchmean', 'none'):
        add('klDivLoss', 'kl_log_target_' + red,
            lambda input, target: F.kl_div(input, target, reduction=red, log_target=True),
            {'input': lp, 'target': lt}, {'reduction': red, 'logTarget': True}, diff=('input', 'target'))
    add('klDivLoss', 'kl_3d_batchmean', lambda input, target: F.kl_div(input, target, reduction='batchmean'),
        {'input': torch.log_softmax(rn(3, 2, 4), 2), 'target': torch.softmax(rn(3, 2, 4), 2)},
        {'reduction': 'batchmean'})
    write('nn_layers_loss', {
        'meta': meta(GEN, 'nll_loss, binary_cross_entropy, huber_loss, smooth_l1_loss, kl_div: values and grads'),
        'cases': cases})


# ---------------------------------------------------------------- init
def norm_cdf(x):
    return (1. + math.erf(x / math.sqrt(2.))) / 2.


def init_fixture():
    seeded = []

    def case(name, seed, shape, dtype, fn, call):
        torch.manual_seed(seed)
        t = torch.empty(*shape, dtype=DTYPES[dtype])
        fn(t)
        seeded.append({'name': name, 'seed': seed, 'shape': list(shape), 'dtype': dtype, 'call': call,
                       'out': tens(t)})

    I = nn.init
    for dt in DTYPES:
        case('kaiming_uniform_default', 0, (6, 5), dt, lambda t: I.kaiming_uniform_(t), ['kaimingUniform_', {}])
        case('kaiming_uniform_relu_fan_out', 1, (4, 3, 2, 2), dt,
             lambda t: I.kaiming_uniform_(t, mode='fan_out', nonlinearity='relu'),
             ['kaimingUniform_', {'mode': 'fan_out', 'nonlinearity': 'relu'}])
        case('kaiming_uniform_leaky_a', 2, (7, 3), dt,
             lambda t: I.kaiming_uniform_(t, a=math.sqrt(5)), ['kaimingUniform_', {'a': math.sqrt(5)}])
        case('xavier_uniform', 3, (5, 8), dt, lambda t: I.xavier_uniform_(t), ['xavierUniform_', {}])
        case('xavier_uniform_gain', 4, (3, 2, 3), dt, lambda t: I.xavier_uniform_(t, gain=I.calculate_gain('tanh')),
             ['xavierUniform_', {'gain': 5 / 3}])
        case('uniform', 5, (9,), dt, lambda t: I.uniform_(t, -0.5, 2.0), ['uniform_', {'a': -0.5, 'b': 2.0}])
        case('trunc_normal_default', 6, (40,), dt, lambda t: I.trunc_normal_(t), ['truncNormal_', {}])
        case('trunc_normal_args', 7, (5, 6), dt, lambda t: I.trunc_normal_(t, mean=0.5, std=0.2, a=0.3, b=1.0),
             ['truncNormal_', {'mean': 0.5, 'std': 0.2, 'a': 0.3, 'b': 1.0}])
    # default initialisation of the layers with parameters drawn from the generator
    layers = []
    for name, seed, make, ctor in [
        ('Conv1d', 11, lambda: nn.Conv1d(4, 6, 3, groups=2), {'args': [4, 6, 3], 'options': {'groups': 2}}),
        ('ConvTranspose2d', 12, lambda: nn.ConvTranspose2d(3, 4, (2, 3)), {'args': [3, 4, [2, 3]], 'options': {}}),
        ('ConvTranspose2d', 13, lambda: nn.ConvTranspose2d(4, 6, 3, groups=2, bias=False),
         {'args': [4, 6, 3], 'options': {'groups': 2, 'bias': False}}),
    ]:
        torch.manual_seed(seed)
        m = make()
        layers.append({'module': name, 'seed': seed, **ctor,
                       'params': {k: tens(v) for k, v in m.named_parameters()}})
    gains = []
    for nl, p in [('linear', None), ('conv1d', None), ('conv2d', None), ('conv_transpose2d', None),
                  ('sigmoid', None), ('tanh', None), ('relu', None), ('leaky_relu', None), ('leaky_relu', 0.2),
                  ('selu', None)]:
        gains.append({'nonlinearity': nl, 'param': p, 'gain': I.calculate_gain(nl, p)})
    eyes = []
    for shape in [(3, 5), (4, 2), (3, 3)]:
        t = torch.empty(*shape)
        I.eye_(t)
        eyes.append(tens(t))
    write('nn_layers_init', {
        'meta': meta(GEN, 'nn.init with torch.manual_seed (the uniform-based initialisers draw PyTorch\'s '
                          'values), default init of Conv1d/ConvTranspose2d, calculate_gain, eye_'),
        'seeded': seeded, 'layers': layers, 'gains': gains, 'eye': eyes})


# ---------------------------------------------------------------- module plumbing
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.blocks = nn.ModuleDict({'norm': nn.LayerNorm([4]), 'act': nn.ReLU(), 'gn': nn.GroupNorm(2, 4)})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(2)), nn.Parameter(torch.zeros(3))])
        self.head = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3, affine=False),
                                  nn.BatchNorm1d(3, track_running_stats=False))
        self.register_buffer('step', torch.zeros(1))
        self.register_buffer('cache', torch.zeros(2), persistent=False)


def module_fixture():
    m = Net()
    write('nn_layers_module', {
        'meta': meta(GEN, 'names of parameters, buffers, modules and state-dict keys of a model with '
                          'BatchNorm, a ModuleDict, a ParameterList and registered buffers'),
        'net': {
            'namedParameters': [[k, list(v.shape)] for k, v in m.named_parameters()],
            'namedBuffers': [[k, list(v.shape)] for k, v in m.named_buffers()],
            'namedModules': [[k, type(v).__name__] for k, v in m.named_modules()],
            'stateDictKeys': list(m.state_dict().keys()),
        }})


if __name__ == '__main__':
    norm_fixture()
    conv_fixture()
    pool_fixture()
    loss_fixture()
    init_fixture()
    module_fixture()
