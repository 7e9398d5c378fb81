"""Golden fixtures for nn layers, part 2 (issue 13 item 5): RNN / LSTM / GRU and their cells,
scaled dot-product attention, MultiheadAttention, TransformerEncoderLayer / TransformerEncoder.

Run by hand with Debian's PyTorch 1.13:  /usr/bin/python3 tooling/golden/nn_seq.py
Writes packages/conformance/fixtures/nn_seq_rnn.json and nn_seq_attention.json, replayed by
packages/conformance/src/suites/nnSeq.ts. Tensors are {shape, dtype, data} (common.py).

A module case: the module built from `ctor` (stepwise's camelCase options), PyTorch's
parameters in `stateDict` (loaded with loadStateDict, strict), `inputs` run through forward
with `options`; `outs` are the forward's tensor results by name, `gradOutputs` one random
tensor per result, and `grads` the gradients of sum(out_i * gradOutput_i) with respect to
every floating input (by input name) and every parameter (by state-dict name, under
'params'). Everything in float32 and float64; dropout is 0, so results are deterministic.

F.scaled_dot_product_attention is PyTorch 2's; 1.13 has no such function, so its cases are
computed with PyTorch 2's reference formula (q scaled first, then softmax(q kᵀ + mask) v;
bool masks: true = attend). MultiheadAttention's `isCausal` (PyTorch 2) is generated with an
explicit causal attn_mask.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import meta, tens, write

G = torch.Generator().manual_seed(20261203)
DTYPES = {'float32': torch.float32, 'float64': torch.float64}
GEN = 'nn_seq.py'


def rn(*shape):
    return torch.randn(*shape, generator=G, dtype=torch.float64)


def flat_outs(res):
    """A forward's results as an ordered {name: tensor}."""
    if isinstance(res, torch.Tensor):
        return {'out': res}
    out = {}
    if isinstance(res, tuple) and len(res) == 2:
        a, b = res
        out['out'] = a
        if isinstance(b, tuple):
            out['h'], out['c'] = b
        elif b is not None:
            out['h'] = b
    return out


def module_case(kind, name, make, ctor, inputs, call, options=None, repr_=False):
    """`make(dtype)` builds the PyTorch module (weights drawn from G, set before the call);
    `inputs` are float64 tensors (or None, or bool masks) by name; `call(m, **ins)` runs the
    forward. Returns the float32 and float64 cases."""
    cases = []
    torch.manual_seed(0)
    base = make()
    with torch.no_grad():
        for p in base.parameters():
            p.copy_(rn(*p.shape) * 0.5)
    for dn, dt in DTYPES.items():
        m = make().to(dt)
        m.load_state_dict({k: v.to(dt) for k, v in base.state_dict().items()})
        ins = {}
        for k, v in inputs.items():
            if v is None or not v.dtype.is_floating_point:
                ins[k] = v
            elif isinstance(v, torch.Tensor):
                ins[k] = v.detach().clone().to(dt).requires_grad_(not k.endswith('Mask'))
        outs = flat_outs(call(m, **ins))
        gouts = {k: rn(*v.shape).to(dt) for k, v in outs.items() if v is not None}
        loss = sum((outs[k] * g).sum() for k, g in gouts.items())
        loss.backward()
        c = {
            'module': kind, 'name': name, 'dtype': dn, 'ctor': ctor, 'options': options or {},
            'stateDict': {k: tens(v) for k, v in m.state_dict().items()},
            'inputs': {k: tens(v) for k, v in ins.items()},
            'outs': {k: tens(v) for k, v in outs.items()},
            'gradOutputs': {k: tens(v) for k, v in gouts.items()},
            'grads': {k: tens(v.grad) for k, v in ins.items()
                      if isinstance(v, torch.Tensor) and v.requires_grad},
            'paramGrads': {k: tens(p.grad) for k, p in m.named_parameters()},
        }
        if repr_:
            c['repr'] = repr(m)
        cases.append(c)
    return cases


# ---------------------------------------------------------------- recurrent layers
def rnn_fixture():
    cases = []
    T, B, I, H = 5, 3, 4, 7

    def seq(kind, name, ctor, shape, hx, bf=False):
        kw = {'num_layers': ctor.get('numLayers', 1), 'bias': ctor.get('bias', True),
              'batch_first': bf, 'bidirectional': ctor.get('bidirectional', False),
              'dropout': ctor.get('dropout', 0.0)}
        if kind == 'RNN':
            kw['nonlinearity'] = ctor.get('nonlinearity', 'tanh')
        full = {'inputSize': I, 'hiddenSize': H, **ctor, 'batchFirst': bf}
        L = kw['num_layers'] * (2 if kw['bidirectional'] else 1)
        unbatched = len(shape) == 2
        hshape = (L, H) if unbatched else (L, shape[0] if bf else shape[1], H)
        inputs = {'input': rn(*shape)}
        if hx:
            inputs['h0'] = rn(*hshape) * 0.5
            if kind == 'LSTM':
                inputs['c0'] = rn(*hshape) * 0.5

        def call(m, input, h0=None, c0=None):
            if kind == 'LSTM':
                return m(input, (h0, c0)) if h0 is not None else m(input)
            return m(input, h0) if h0 is not None else m(input)

        def make():
            m = getattr(nn, kind)(I, H, **kw)
            if kw['dropout'] > 0:
                m.eval()  # dropout between layers off: deterministic
            return m
        cases.extend(module_case(kind, name, make, full, inputs, call,
                                 options={'eval': kw['dropout'] > 0}, repr_=True))

    seq('RNN', 'tanh_hx', {}, (T, B, I), True)
    seq('RNN', 'relu_2layers_nobias_batch_first', {'nonlinearity': 'relu', 'numLayers': 2, 'bias': False},
        (B, T, I), False, bf=True)
    seq('RNN', 'bidirectional_unbatched', {'bidirectional': True}, (T, I), True)
    seq('LSTM', 'hx', {}, (T, B, I), True)
    seq('LSTM', '2layers_bidirectional_batch_first', {'numLayers': 2, 'bidirectional': True}, (B, T, I), False,
        bf=True)
    seq('LSTM', 'unbatched_hx', {}, (T, I), True)
    seq('LSTM', '3layers_dropout_eval_hx', {'numLayers': 3, 'dropout': 0.3}, (T, B, I), True)
    seq('LSTM', 'seq1_nobias', {'bias': False}, (1, B, I), True)
    seq('GRU', 'hx', {}, (T, B, I), True)
    seq('GRU', '2layers_bidirectional_nobias', {'numLayers': 2, 'bidirectional': True, 'bias': False},
        (T, B, I), True)
    seq('GRU', 'unbatched', {}, (T, I), False)
    seq('GRU', 'bidirectional_batch_first_hx', {'bidirectional': True}, (B, T, I), True, bf=True)

    def cell(kind, name, ctor, batched, hx):
        kw = {'bias': ctor.get('bias', True)}
        if kind == 'RNNCell':
            kw['nonlinearity'] = ctor.get('nonlinearity', 'tanh')
        full = {'inputSize': I, 'hiddenSize': H, **ctor}
        inputs = {'input': rn(B, I) if batched else rn(I)}
        hs = (B, H) if batched else (H,)
        if hx:
            inputs['h0'] = rn(*hs) * 0.5
            if kind == 'LSTMCell':
                inputs['c0'] = rn(*hs) * 0.5

        def call(m, input, h0=None, c0=None):
            if kind == 'LSTMCell':
                return m(input, (h0, c0)) if h0 is not None else m(input)
            return m(input, h0) if h0 is not None else m(input)
        res = module_case(kind, name, lambda: getattr(nn, kind)(I, H, **kw), full, inputs, call, repr_=True)
        # An LSTMCell returns a pair: name its parts h and c.
        for c in res:
            if kind == 'LSTMCell':
                c['outs'] = {'h': c['outs']['out'], 'c': c['outs']['h']}
                c['gradOutputs'] = {'h': c['gradOutputs']['out'], 'c': c['gradOutputs']['h']}
        cases.extend(res)

    cell('RNNCell', 'tanh_hx', {}, True, True)
    cell('RNNCell', 'relu_unbatched', {'nonlinearity': 'relu'}, False, True)
    cell('LSTMCell', 'hx', {}, True, True)
    cell('LSTMCell', 'unbatched_no_hx', {}, False, False)
    cell('GRUCell', 'hx', {}, True, True)
    cell('GRUCell', 'nobias', {'bias': False}, True, True)

    # Default initialisation after manual_seed: PyTorch's values.
    init = []
    for kind, seed, args, ctor, kw in [
        ('LSTM', 1, [3, 5], {'numLayers': 2, 'bidirectional': True}, {'num_layers': 2, 'bidirectional': True}),
        ('GRU', 2, [4, 3], {'bias': False}, {'bias': False}),
        ('RNN', 3, [2, 6], {'nonlinearity': 'relu'}, {'nonlinearity': 'relu'}),
        ('LSTMCell', 4, [3, 4], {}, {}),
        ('GRUCell', 5, [2, 3], {}, {}),
        ('RNNCell', 6, [3, 2], {'bias': False}, {'bias': False}),
    ]:
        torch.manual_seed(seed)
        m = getattr(nn, kind)(*args, **kw)
        init.append({'module': kind, 'seed': seed, 'args': args, 'ctor': ctor,
                     'params': {k: tens(v) for k, v in m.named_parameters()}})
    write('nn_seq_rnn', {
        'meta': meta(GEN, 'RNN/LSTM/GRU (multi-layer, bidirectional, batch_first, unbatched, with and '
                          'without hx and bias) and RNNCell/LSTMCell/GRUCell with PyTorch\'s weights: '
                          'outputs, final states, grads of inputs, states and every parameter; default '
                          'init after manual_seed'),
        'cases': cases, 'init': init})


# ---------------------------------------------------------------- attention
def sdpa_reference(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """PyTorch 2's F.scaled_dot_product_attention (math reference), q scaled first."""
    L, S = q.size(-2), k.size(-2)
    s = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    scores = (q * s) @ k.transpose(-2, -1)
    if is_causal:
        bias = torch.zeros(L, S, dtype=q.dtype).masked_fill(
            torch.ones(L, S, dtype=torch.bool).tril().logical_not(), float('-inf'))
        scores = scores + bias
    elif attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            bias = torch.zeros(attn_mask.shape, dtype=q.dtype).masked_fill(attn_mask.logical_not(), float('-inf'))
            scores = scores + bias
        else:
            scores = scores + attn_mask
    return torch.softmax(scores, dim=-1) @ v


def attention_fixture():
    sdpa = []

    def sdpa_case(name, qs, ks, vs, mask=None, options=None):
        options = options or {}
        base = {'q': rn(*qs), 'k': rn(*ks), 'v': rn(*vs)}
        for dn, dt in DTYPES.items():
            ins = {k: v.to(dt).requires_grad_() for k, v in base.items()}
            m = None
            if mask is not None:
                m = mask if mask.dtype == torch.bool else mask.to(dt).requires_grad_()
            out = sdpa_reference(ins['q'], ins['k'], ins['v'], attn_mask=m,
                                 is_causal=options.get('isCausal', False), scale=options.get('scale'))
            gout = rn(*out.shape).to(dt)
            out.backward(gout)
            grads = {k: tens(v.grad) for k, v in ins.items()}
            if m is not None and m.requires_grad:
                grads['attnMask'] = tens(m.grad)
            sdpa.append({'name': name, 'dtype': dn, 'options': options,
                         'inputs': {**{k: tens(v) for k, v in ins.items()}, 'attnMask': tens(m)},
                         'out': tens(out), 'gradOutput': tens(gout), 'grads': grads})

    sdpa_case('batched_4d', (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7))
    sdpa_case('causal', (2, 5, 4), (2, 5, 4), (2, 5, 3), options={'isCausal': True})
    sdpa_case('causal_rect', (4, 3), (6, 3), (6, 5), options={'isCausal': True})
    keep = torch.rand(2, 1, 5, 6, generator=G) > 0.4
    keep[..., 0] = True
    sdpa_case('bool_mask_broadcast', (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), mask=keep)
    sdpa_case('float_mask_scale', (3, 5, 4), (3, 6, 4), (3, 6, 2), mask=rn(5, 6), options={'scale': 0.3})
    sdpa_case('broadcast_batch', (2, 1, 5, 4), (1, 3, 6, 4), (1, 3, 6, 4))

    # MultiheadAttention
    mha = []

    def mha_case(name, E, Hh, ctor, q, k, v, options, mode):
        """mode: 'self' (one tensor as q, k, v), 'kv' (key is value), 'all' (three tensors)."""
        kw = {'bias': ctor.get('bias', True), 'batch_first': ctor.get('batchFirst', False),
              'kdim': ctor.get('kdim'), 'vdim': ctor.get('vdim')}
        inputs = {'query': q}
        if mode == 'kv':
            inputs['key'] = k
        elif mode == 'all':
            inputs['key'] = k
            inputs['value'] = v
        causal = options.pop('isCausalAsMask', False)
        for k_ in ('attnMask', 'keyPaddingMask'):
            if k_ in options:
                inputs[k_] = options.pop(k_)

        def call(m, query, key=None, value=None, attnMask=None, keyPaddingMask=None):
            kk = query if mode == 'self' else key
            vv = query if mode == 'self' else (key if mode == 'kv' else value)
            am = attnMask
            if causal:
                L = query.shape[1 if (kw['batch_first'] and query.dim() == 3) else 0]
                am = torch.ones(L, L, dtype=torch.bool).triu(1)
            return m(query, kk, vv, key_padding_mask=keyPaddingMask, attn_mask=am,
                     need_weights=options.get('needWeights', True),
                     average_attn_weights=options.get('averageAttnWeights', True))
        fwd = dict(options)
        if causal:
            fwd['isCausal'] = True
        res = module_case('MultiheadAttention', name, lambda: nn.MultiheadAttention(E, Hh, **kw),
                          {'embedDim': E, 'numHeads': Hh, **ctor}, inputs, call, options=fwd, repr_=True)
        for c in res:
            c['mode'] = mode
            if 'h' in c['outs']:
                c['outs']['weights'] = c['outs'].pop('h')
                c['gradOutputs']['weights'] = c['gradOutputs'].pop('h')
        mha.extend(res)

    L, N, S = 5, 3, 6
    mha_case('self_weights', 8, 2, {}, rn(L, N, 8), None, None, {}, 'self')
    causal_bool = torch.ones(L, L, dtype=torch.bool).triu(1)
    kpm = torch.zeros(N, L, dtype=torch.bool)
    kpm[0, 4] = True
    kpm[2, 2:4] = True
    mha_case('self_bool_masks_per_head', 8, 2, {}, rn(L, N, 8), None, None,
             {'attnMask': causal_bool, 'keyPaddingMask': kpm, 'averageAttnWeights': False}, 'self')
    mha_case('cross_kv_float_mask', 6, 3, {}, rn(4, N, 6), rn(S, N, 6), None, {'attnMask': rn(4, S)}, 'kv')
    mha_case('kdim_vdim_batch_first_nobias', 8, 4, {'kdim': 5, 'vdim': 7, 'batchFirst': True, 'bias': False},
             rn(N, L, 8), rn(N, S, 5), rn(N, S, 7), {}, 'all')
    kpm1 = torch.tensor([False, False, True, False, True])
    mha_case('unbatched_padding', 8, 2, {}, rn(L, 8), None, None, {'keyPaddingMask': kpm1}, 'self')
    mha_case('causal_no_weights', 8, 2, {'batchFirst': True}, rn(N, L, 8), None, None,
             {'isCausalAsMask': True, 'needWeights': False}, 'self')
    mha_case('three_inputs_3d_mask', 6, 2, {}, rn(4, 2, 6), rn(S, 2, 6), rn(S, 2, 6),
             {'attnMask': rn(2 * 2, 4, S)}, 'all')

    # TransformerEncoderLayer / TransformerEncoder (dropout 0, train mode: no fast path)
    enc = []

    def layer_kw(c):
        return {'dim_feedforward': c['dimFeedforward'], 'dropout': 0.0, 'activation': c.get('activation', 'relu'),
                'layer_norm_eps': c.get('layerNormEps', 1e-5), 'batch_first': c.get('batchFirst', False),
                'norm_first': c.get('normFirst', False)}

    def layer_case(name, ctor, src, options):
        inputs = {'src': src}
        causal = options.pop('isCausalAsMask', False)
        for k_ in ('srcMask', 'srcKeyPaddingMask'):
            if k_ in options:
                inputs[k_] = options.pop(k_)

        def call(m, src, srcMask=None, srcKeyPaddingMask=None):
            mask = srcMask
            if causal:
                Ls = src.shape[1 if (ctor.get('batchFirst') and src.dim() == 3) else 0]
                mask = torch.zeros(Ls, Ls, dtype=src.dtype).masked_fill(
                    torch.ones(Ls, Ls, dtype=torch.bool).triu(1), float('-inf'))
            return m(src, src_mask=mask, src_key_padding_mask=srcKeyPaddingMask)
        fwd = {'isCausal': True} if causal else {}
        enc.extend(module_case('TransformerEncoderLayer', name,
                               lambda: nn.TransformerEncoderLayer(ctor['dModel'], ctor['nhead'], **layer_kw(ctor)),
                               {**ctor, 'dropout': 0.0}, inputs, call, options=fwd, repr_=True))

    kpm2 = torch.zeros(N, L, dtype=torch.bool)
    kpm2[1, 3:] = True
    layer_case('post_norm_relu_padding', {'dModel': 8, 'nhead': 2, 'dimFeedforward': 16}, rn(L, N, 8),
               {'srcKeyPaddingMask': kpm2})
    layer_case('pre_norm_gelu_batch_first_causal',
               {'dModel': 6, 'nhead': 3, 'dimFeedforward': 10, 'activation': 'gelu', 'normFirst': True,
                'batchFirst': True, 'layerNormEps': 1e-3}, rn(N, L, 6), {'isCausalAsMask': True})
    layer_case('unbatched_float_mask', {'dModel': 8, 'nhead': 4, 'dimFeedforward': 12}, rn(L, 8),
               {'srcMask': rn(L, L)})

    def encoder_case(name, ctor, layers, with_norm, src, options):
        inputs = {'src': src}
        causal = options.pop('isCausalAsMask', False)
        for k_ in ('mask', 'srcKeyPaddingMask'):
            if k_ in options:
                inputs[k_] = options.pop(k_)

        def make():
            layer = nn.TransformerEncoderLayer(ctor['dModel'], ctor['nhead'], **layer_kw(ctor))
            return nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(ctor['dModel']) if with_norm else None,
                                         enable_nested_tensor=False)

        def call(m, src, mask=None, srcKeyPaddingMask=None):
            if causal:
                Ls = src.shape[0]
                mask = torch.ones(Ls, Ls, dtype=torch.bool).triu(1)
            return m(src, mask=mask, src_key_padding_mask=srcKeyPaddingMask)
        fwd = {'isCausal': True} if causal else {}
        enc.extend(module_case('TransformerEncoder', name, make,
                               {**ctor, 'dropout': 0.0, 'numLayers': layers, 'norm': with_norm},
                               inputs, call, options=fwd, repr_=True))

    encoder_case('two_layers_norm_causal', {'dModel': 8, 'nhead': 2, 'dimFeedforward': 16}, 2, True,
                 rn(L, N, 8), {'isCausalAsMask': True})
    encoder_case('three_layers_padding', {'dModel': 6, 'nhead': 2, 'dimFeedforward': 8, 'normFirst': True}, 3,
                 False, rn(L, N, 6), {'srcKeyPaddingMask': kpm2})

    # Default initialisation after manual_seed.
    init = []
    for kind, seed, args, ctor, make in [
        ('MultiheadAttention', 7, [8, 2], {}, lambda: nn.MultiheadAttention(8, 2)),
        ('MultiheadAttention', 8, [6, 3], {'kdim': 4, 'vdim': 5, 'bias': False},
         lambda: nn.MultiheadAttention(6, 3, kdim=4, vdim=5, bias=False)),
        ('TransformerEncoderLayer', 9, [8, 2], {'dimFeedforward': 12},
         lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=12)),
    ]:
        torch.manual_seed(seed)
        m = make()
        entry = {'module': kind, 'seed': seed, 'args': args, 'ctor': ctor,
                 'params': {k: tens(v) for k, v in m.named_parameters()}}
        if kind == 'TransformerEncoderLayer':
            # the encoder's deep copies draw nothing: what the generator gives next
            e = nn.TransformerEncoder(m, 2, enable_nested_tensor=False)
            entry['encoderKeys'] = list(e.state_dict().keys())
            entry['nextRand'] = tens(torch.rand(4))
        init.append(entry)
    write('nn_seq_attention', {
        'meta': meta(GEN, 'F.scaled_dot_product_attention (PyTorch 2 reference formula), '
                          'MultiheadAttention (self/cross, kdim/vdim, batch_first, unbatched, bool and '
                          'float masks, key padding, per-head weights), TransformerEncoderLayer (post/pre '
                          'norm, relu/gelu) and TransformerEncoder with PyTorch\'s weights: outputs, '
                          'attention weights, grads of inputs and every parameter; default init after '
                          'manual_seed',
                     patches=['scaled_dot_product_attention is PyTorch 2.x; computed with its reference '
                              'formula in 1.13',
                              'isCausal of MultiheadAttention / TransformerEncoder(Layer) (PyTorch 2) '
                              'generated with the explicit causal attn_mask']),
        'sdpa': sdpa, 'mha': mha, 'encoder': enc, 'init': init})


if __name__ == '__main__':
    rnn_fixture()
    attention_fixture()
