"""Golden fixtures for every stepwise optimizer (run by hand with /usr/bin/python3).

Writes packages/conformance/fixtures/optim-<name>.json. Parameters and gradients are
not stored: both sides compute them from the same exact rational formula (integer
arithmetic and one IEEE division, so JS and Python agree bit for bit), then round to
the case's dtype. Each case runs `steps` steps; at step NULL_STEP the second parameter
has no gradient (it must be skipped: no state change, no step count).

PyTorch here is 1.13. Where the latest PyTorch differs, the optimizer is re-implemented
below with torch tensor ops following the latest single-tensor code path, and the
fixture's meta says so (`patches`).
"""

import json
import math
import os
import sys

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'conformance', 'fixtures')
STEPS = 10
NULL_STEP = 3


def param_value(k, i):
    return ((i * 37 + k * 11 + 5) % 101) / 50 - 1


def grad_value(t, k, i):
    return ((i * 53 + t * 29 + k * 17 + 3) % 97) / 48 - 1


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def make_params(shapes, dtype):
    return [
        torch.tensor([param_value(k, i) for i in range(numel(s))], dtype=torch.float64)
        .to(dtype)
        .reshape(s)
        .requires_grad_(True)
        for k, s in enumerate(shapes)
    ]


def make_grad(t, k, shape, dtype):
    return torch.tensor([grad_value(t, k, i) for i in range(numel(shape))], dtype=torch.float64).to(dtype).reshape(shape)


def num(x):
    x = float(x)
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    return x


def flat(t):
    return [num(v) for v in t.detach().to(torch.float64).reshape(-1).tolist()]


def camel(name):
    parts = name.split('_')
    return parts[0] + ''.join(p[:1].upper() + p[1:] for p in parts[1:])


# ---- latest-PyTorch re-implementations (1.13 lacks or differs) ----


class Ref:
    """A minimal optimizer: state per param, the latest single-tensor update."""

    def __init__(self, params, **hp):
        self.params = params
        self.hp = hp
        self.state = {}

    def step(self):
        with torch.no_grad():
            for p in self.params:
                if p.grad is None:
                    continue
                st = self.state.setdefault(p, {})
                self.update(p, p.grad, st)


class NAdamRef(Ref):
    # latest: mu_product is a float32 0-dim tensor; the second denominator uses
    # mu_product * mu_next (1.13 multiplies by mu once more: a bug, fixed later).
    def update(self, p, grad, st):
        h = self.hp
        lr, (beta1, beta2), eps = h['lr'], h['betas'], h['eps']
        wd, md = h['weight_decay'], h['momentum_decay']
        if not st:
            st['step'] = 0.0
            st['mu_product'] = torch.tensor(1.0)
            st['exp_avg'] = torch.zeros_like(p)
            st['exp_avg_sq'] = torch.zeros_like(p)
        if h['maximize']:
            grad = -grad
        st['step'] += 1
        step = st['step']
        bias_correction2 = 1 - beta2**step
        if wd != 0:
            if h['decoupled_weight_decay']:
                p.mul_(1 - lr * wd)
            else:
                grad = grad.add(p, alpha=wd)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
        st['mu_product'] *= mu
        st['exp_avg'].lerp_(grad, 1 - beta1)
        st['exp_avg_sq'].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = st['exp_avg_sq'].div(bias_correction2).sqrt().add(eps)
        mu_product = st['mu_product'].item()
        mu_product_next = mu_product * mu_next
        p.addcdiv_(grad, denom, value=(-lr * (1.0 - mu) / (1.0 - mu_product)))
        p.addcdiv_(st['exp_avg'], denom, value=(-lr * mu_next) / (1.0 - mu_product_next))


class RAdamRef(Ref):
    # latest adds maximize and decoupled_weight_decay.
    def update(self, p, grad, st):
        h = self.hp
        lr, (beta1, beta2), eps, wd = h['lr'], h['betas'], h['eps'], h['weight_decay']
        if not st:
            st['step'] = 0.0
            st['exp_avg'] = torch.zeros_like(p)
            st['exp_avg_sq'] = torch.zeros_like(p)
        if h['maximize']:
            grad = -grad
        st['step'] += 1
        step = st['step']
        if wd != 0:
            if h['decoupled_weight_decay']:
                p.mul_(1 - lr * wd)
            else:
                grad = grad.add(p, alpha=wd)
        exp_avg, exp_avg_sq = st['exp_avg'], st['exp_avg_sq']
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = (bias_correction2**0.5) / exp_avg_sq.sqrt().add(eps)
            p.add_(bias_corrected_exp_avg * lr * adaptive * rect, alpha=-1.0)
        else:
            p.add_(bias_corrected_exp_avg * lr, alpha=-1.0)


class AdafactorRef(Ref):
    # absent from 1.13; the latest single-tensor path.
    def update(self, p, grad, st):
        h = self.hp
        lr, beta2_decay, (eps1, eps2), d, wd = h['lr'], h['beta2_decay'], h['eps'], h['d'], h['weight_decay']
        if not st:
            st['step'] = 0.0
            if grad.dim() > 1:
                rs = list(grad.shape)
                rs[-1] = 1
                st['row_var'] = grad.new_zeros(rs)
                cs = list(grad.shape)
                cs[-2] = 1
                st['col_var'] = grad.new_zeros(cs)
            else:
                st['variance'] = torch.zeros_like(grad)
        if h['maximize']:
            grad = -grad
        if eps1 is None:
            eps1 = torch.finfo(p.dtype).eps
        st['step'] += 1
        step_float = st['step']
        one_minus_beta2_t = step_float**beta2_decay
        rho_t = min(lr, 1 / (step_float**0.5))
        alpha = max(eps2, p.norm(2).item() / (p.numel() ** 0.5)) * rho_t
        if wd != 0:
            p.mul_(1 - lr * wd)
        if grad.dim() > 1:
            row_mean = torch.linalg.vector_norm(grad, dim=-1, keepdim=True).square_().div_(grad.size(-1))
            st['row_var'].lerp_(row_mean, one_minus_beta2_t)
            col_mean = torch.linalg.vector_norm(grad, dim=-2, keepdim=True).square_().div_(grad.size(-2))
            st['col_var'].lerp_(col_mean, one_minus_beta2_t)
            var_estimate = st['row_var'] @ st['col_var']
            var_estimate.div_(st['row_var'].mean(dim=-2, keepdim=True).clamp_(min=eps1))
        else:
            st['variance'].lerp_(grad * grad, one_minus_beta2_t)
            var_estimate = st['variance'].clone()
        update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_()
        update.mul_(grad)
        denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))
        p.add_(update, alpha=-alpha / denom)


class MuonRef(Ref):
    # absent from 1.13; the latest single-tensor path, except that Newton-Schulz runs in
    # the parameter's dtype (PyTorch casts to bfloat16, which stepwise has not).
    def update(self, p, grad, st):
        h = self.hp
        lr, wd, momentum = h['lr'], h['weight_decay'], h['momentum']
        a, b, c = h['ns_coefficients']
        if not st:
            st['momentum_buffer'] = torch.zeros_like(grad)
        buf = st['momentum_buffer']
        buf.lerp_(grad, 1 - momentum)
        update = grad.lerp(buf, momentum) if h['nesterov'] else buf
        x = update.clone()
        if grad.size(0) > grad.size(1):
            x = x.T
        x = x / x.norm().clamp(min=h['eps'])
        for _ in range(h['ns_steps']):
            gram = x @ x.T
            gram_update = b * gram + c * gram @ gram
            x = a * x + gram_update @ x
        if grad.size(0) > grad.size(1):
            x = x.T
        A, B = p.shape[:2]
        fn = h['adjust_lr_fn']
        if fn is None or fn == 'original':
            ratio = math.sqrt(max(1, A / B))
        elif fn == 'match_rms_adamw':
            ratio = 0.2 * math.sqrt(max(A, B))
        else:
            ratio = 1.0
        p.mul_(1 - lr * wd)
        p.add_(x, alpha=-lr * ratio)


def sgd(params, **kw):
    return torch.optim.SGD(params, **kw)


def adam(params, decoupled_weight_decay=False, **kw):
    # latest Adam(decoupled_weight_decay=True) is AdamW's update.
    return (torch.optim.AdamW if decoupled_weight_decay else torch.optim.Adam)(params, **kw)


# name: (defaults of the latest PyTorch, factory, [config overrides], patch note)
OPTIMIZERS = {
    'sgd': (
        dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False),
        sgd,
        [
            {},
            dict(lr=0.1),
            dict(lr=0.05, momentum=0.9),
            dict(lr=0.05, momentum=0.9, dampening=0.5),
            dict(lr=0.05, momentum=0.9, nesterov=True),
            dict(lr=0.1, weight_decay=0.1),
            dict(lr=0.05, momentum=0.9, weight_decay=0.5, maximize=True),
            dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01, nesterov=False, maximize=True),
        ],
        'SGD lr defaults to 1e-3 (required in 1.13); 1.13 is run with lr given.',
    ),
    'adam': (
        dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled_weight_decay=False),
        adam,
        [
            {},
            dict(lr=0.05),
            dict(lr=0.05, amsgrad=True),
            dict(lr=0.05, weight_decay=0.1),
            dict(lr=0.05, maximize=True),
            dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
            dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, amsgrad=True, maximize=True, weight_decay=0.05),
        ],
        'decoupled_weight_decay (absent in 1.13) is run as 1.13 AdamW, which is its definition.',
    ),
    'adamw': (
        dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False),
        torch.optim.AdamW,
        [{}, dict(lr=0.05), dict(lr=0.05, amsgrad=True), dict(lr=0.05, maximize=True, weight_decay=0.3)],
        None,
    ),
    'adamax': (
        dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False),
        torch.optim.Adamax,
        [{}, dict(lr=0.05), dict(lr=0.05, weight_decay=0.1), dict(lr=0.05, maximize=True, betas=(0.5, 0.8))],
        None,
    ),
    'adagrad': (
        dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False),
        torch.optim.Adagrad,
        [
            {},
            dict(lr=0.1, lr_decay=0.5),
            dict(lr=0.1, initial_accumulator_value=0.1),
            dict(lr=0.1, weight_decay=0.1),
            dict(lr=0.1, maximize=True, eps=1e-3),
        ],
        None,
    ),
    'adadelta': (
        dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False),
        torch.optim.Adadelta,
        [{}, dict(rho=0.5), dict(weight_decay=0.1), dict(lr=0.5, maximize=True, eps=1e-4)],
        None,
    ),
    'rmsprop': (
        dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False),
        torch.optim.RMSprop,
        [
            {},
            dict(centered=True),
            dict(momentum=0.9),
            dict(centered=True, momentum=0.5),
            dict(weight_decay=0.1, alpha=0.9),
            dict(maximize=True, lr=0.005),
        ],
        None,
    ),
    'rprop': (
        dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False),
        torch.optim.Rprop,
        [{}, dict(etas=(0.3, 1.5), step_sizes=(1e-3, 0.05)), dict(maximize=True, lr=0.1)],
        None,
    ),
    'asgd': (
        dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False),
        torch.optim.ASGD,
        [{}, dict(lr=0.1, t0=3), dict(lr=0.1, weight_decay=0.1), dict(lr=0.1, maximize=True, lambd=0.01, alpha=0.5, t0=2)],
        'eta and mu are float32 0-dim tensors in PyTorch (1.13 and latest): their values round to float32.',
    ),
    'nadam': (
        dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
             decoupled_weight_decay=False, maximize=False),
        NAdamRef,
        [
            {},
            dict(lr=0.05),
            dict(lr=0.05, momentum_decay=0.01),
            dict(lr=0.05, weight_decay=0.1),
            dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
            dict(lr=0.05, maximize=True),
        ],
        'latest NAdam re-implemented in the generator: mu_product * mu_next in the second term '
        '(1.13 has an extra factor mu, a bug); maximize and decoupled_weight_decay added; '
        'mu_product kept as a float32 0-dim tensor as PyTorch does.',
    ),
    'radam': (
        dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, maximize=False),
        RAdamRef,
        [
            {},
            dict(lr=0.05),
            dict(lr=0.05, weight_decay=0.1),
            dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
            dict(lr=0.05, maximize=True),
        ],
        'latest RAdam re-implemented in the generator (adds maximize, decoupled_weight_decay); '
        'checked against 1.13 RAdam on the flags 1.13 has.',
    ),
    'adafactor': (
        dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False),
        AdafactorRef,
        [
            {},
            dict(lr=0.05, weight_decay=0.1),
            dict(maximize=True, d=2.0),
            dict(beta2_decay=-0.5, eps=(1e-20, 1e-2)),
        ],
        'Adafactor is absent from 1.13: the latest single-tensor code path, re-implemented with torch ops.',
    ),
    'muon': (
        dict(lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_coefficients=(3.4445, -4.775, 2.0315),
             eps=1e-7, ns_steps=5, adjust_lr_fn=None),
        MuonRef,
        [
            {},
            dict(lr=0.02, nesterov=False),
            dict(lr=0.02, weight_decay=0.0, adjust_lr_fn='match_rms_adamw'),
            dict(lr=0.02, ns_steps=3, momentum=0.9),
        ],
        'Muon is absent from 1.13: the latest single-tensor code path re-implemented, with Newton-Schulz '
        'in the parameter dtype instead of bfloat16 (stepwise has no bfloat16).',
    ),
}

SHAPES = {
    'default': ([[1], [7], [33]], [[1000]]),
    'adafactor': ([[1], [7], [3, 11]], [[40, 25]]),
    'muon': ([[1, 1], [1, 7], [3, 11], [11, 3]], [[40, 25]]),
}

DTYPES = {'float32': torch.float32, 'float64': torch.float64}


def js_options(opts):
    out = {}
    for k, v in opts.items():
        key = camel(k)
        if key in ('T_max', 'T_0', 'T_mult'):
            key = k
        out[key] = list(v) if isinstance(v, tuple) else v
    return out


def state_json(opt, p):
    st = opt.state.get(p, {})
    out = {}
    for k, v in st.items():
        key = camel(k)
        if torch.is_tensor(v):
            if v.dim() == 0 or (k in ('step', 'eta', 'mu', 'mu_product')):
                out[key] = num(v.reshape(-1)[0].item())
            else:
                out[key] = flat(v)
        elif v is None:
            continue
        else:
            out[key] = num(v)
    return out


def run_case(factory, kwargs, shapes, dtype, with_state):
    params = make_params(shapes, dtype)
    opt = factory(params, **kwargs)
    for t in range(STEPS):
        for k, p in enumerate(params):
            p.grad = None if (t == NULL_STEP and k == 1 and len(params) > 1) else make_grad(t, k, p.shape, dtype)
        opt.step()
    case = {'final': [flat(p) for p in params]}
    if with_state:
        case['state'] = [state_json(opt, p) for p in params]
    return case


def check_radam():
    # the re-implementation must agree with 1.13 where 1.13 has the flags.
    for wd in (0, 0.1):
        a = make_params([[7]], torch.float64)
        b = make_params([[7]], torch.float64)
        oa = torch.optim.RAdam(a, lr=0.05, weight_decay=wd)
        ob = RAdamRef(b, lr=0.05, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd, decoupled_weight_decay=False, maximize=False)
        for t in range(STEPS):
            a[0].grad = make_grad(t, 0, [7], torch.float64)
            b[0].grad = make_grad(t, 0, [7], torch.float64)
            oa.step()
            ob.step()
        assert torch.allclose(a[0], b[0], rtol=1e-12, atol=0), 'RAdam re-implementation disagrees with 1.13'


def check_nadam_reference_numbers():
    # torch-optim.md: latest NAdam, lr=0.1, g=1 twice from 1 -> 0.8943548232, 0.8159863883
    p = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    o = NAdamRef([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, maximize=False)
    got = []
    for _ in range(2):
        p.grad = torch.ones_like(p)
        o.step()
        got.append(p.item())
    # mu_product in float32 moves the 10th digit
    assert abs(got[0] - 0.8943548232) < 5e-9 and abs(got[1] - 0.8159863883) < 5e-9, got


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


LBFGS_CONFIGS = [
    {},
    dict(line_search_fn='strong_wolfe'),
    dict(history_size=3, max_iter=7),
    dict(lr=0.5, tolerance_change=1e-5, line_search_fn='strong_wolfe', max_iter=10),
]


def gen_lbfgs():
    cases = []
    for ci, cfg in enumerate(LBFGS_CONFIGS):
        for dname, dtype in DTYPES.items():
            for n in (2, 7, 33):
                x = torch.tensor([1.2 * param_value(0, i) for i in range(n)], dtype=torch.float64).to(dtype).requires_grad_(True)
                opt = torch.optim.LBFGS([x], **cfg)

                def closure():
                    opt.zero_grad()
                    loss = rosenbrock(x)
                    loss.backward()
                    return loss

                calls = []
                for _ in range(3):
                    loss = opt.step(closure)
                    st = opt.state[x]
                    calls.append({'loss': num(loss.item()), 'x': flat(x), 'funcEvals': st['func_evals'], 'nIter': st['n_iter']})
                cases.append({'config': ci, 'dtype': dname, 'n': n, 'calls': calls})
    doc = {
        'meta': {
            'torch': torch.__version__,
            'generator': 'tooling/golden/optim.py',
            'optimizer': 'lbfgs',
            'function': 'sum(100*(x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2), x0[i] = 1.2*(((i*37 + 5) % 101)/50 - 1)',
            'steps': 3,
            'patches': None,
        },
        'defaults': js_options(dict(lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                                    history_size=100, line_search_fn=None)),
        'configs': [js_options(c) for c in LBFGS_CONFIGS],
        'cases': cases,
    }
    path = os.path.join(OUT, 'optim-lbfgs.json')
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    print('lbfgs', len(cases), 'cases', os.path.getsize(path), 'bytes')


def sparse_rows(t, rows):
    # rows present in the sparse gradient of step t (an embedding lookup of a batch)
    return [r for r in range(rows) if rows == 1 or (r * 5 + t * 3) % 4 != 0]


SPARSE_CONFIGS = [{}, dict(lr=0.05), dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, maximize=True)]


def gen_sparse_adam():
    shapes = [[6, 3], [1, 4], [11, 3]]
    cases = []
    for ci, cfg in enumerate(SPARSE_CONFIGS):
        for dname, dtype in DTYPES.items():
            params = make_params(shapes, dtype)
            opt = torch.optim.SparseAdam(params, **cfg)
            for t in range(STEPS):
                for k, p in enumerate(params):
                    dense = make_grad(t, k, p.shape, dtype)
                    rows = sparse_rows(t, p.shape[0])
                    if t == NULL_STEP and k == 1:
                        p.grad = None
                        continue
                    for r in rows:
                        assert bool((dense[r] != 0).any()), 'a present row must have a nonzero gradient'
                    idx = torch.tensor([rows], dtype=torch.int64)
                    p.grad = torch.sparse_coo_tensor(idx, dense[rows], p.shape) if rows else torch.sparse_coo_tensor(
                        torch.zeros((1, 0), dtype=torch.int64), torch.zeros((0, p.shape[1]), dtype=dtype), p.shape)
                opt.step()
            cases.append({'config': ci, 'dtype': dname, 'shapes': shapes, 'final': [flat(p) for p in params],
                          'state': [state_json(opt, p) for p in params]})
    doc = {
        'meta': {
            'torch': torch.__version__,
            'generator': 'tooling/golden/optim.py',
            'optimizer': 'sparse_adam',
            'steps': STEPS,
            'nullGrad': {'step': NULL_STEP, 'param': 1},
            'rows': 'row r of a param is in the sparse gradient of step t when it has one row or (r*5 + t*3) % 4 != 0; values as the dense formula',
            'patches': None,
        },
        'defaults': js_options(dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False)),
        'configs': [js_options(c) for c in SPARSE_CONFIGS],
        'cases': cases,
    }
    path = os.path.join(OUT, 'optim-sparse_adam.json')
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    print('sparse_adam', len(cases), 'cases', os.path.getsize(path), 'bytes')


def main():
    torch.set_default_dtype(torch.float32)
    check_radam()
    check_nadam_reference_numbers()
    os.makedirs(OUT, exist_ok=True)
    names = sys.argv[1:] or [*OPTIMIZERS, 'lbfgs', 'sparse_adam']
    for name in names:
        if name == 'lbfgs':
            gen_lbfgs()
            continue
        if name == 'sparse_adam':
            gen_sparse_adam()
            continue
        defaults, factory, configs, patch = OPTIMIZERS[name]
        small, large = SHAPES.get(name, SHAPES['default'])
        cases = []
        for ci, cfg in enumerate(configs):
            kwargs = dict(defaults)
            kwargs.update(cfg)
            for dname, dtype in DTYPES.items():
                case = {'config': ci, 'dtype': dname, 'shapes': small}
                case.update(run_case(factory, kwargs, small, dtype, True))
                cases.append(case)
                if ci < 2:
                    big = {'config': ci, 'dtype': dname, 'shapes': large}
                    big.update(run_case(factory, kwargs, large, dtype, False))
                    cases.append(big)
        doc = {
            'meta': {
                'torch': torch.__version__,
                'generator': 'tooling/golden/optim.py',
                'optimizer': name,
                'steps': STEPS,
                'nullGrad': {'step': NULL_STEP, 'param': 1},
                'params': '((i*37 + k*11 + 5) % 101)/50 - 1, rounded to dtype (k: param index, i: flat index)',
                'grads': '((i*53 + t*29 + k*17 + 3) % 97)/48 - 1, rounded to dtype (t: step index)',
                'patches': patch,
            },
            'defaults': js_options(defaults),
            'configs': [js_options(c) for c in configs],
            'cases': cases,
        }
        path = os.path.join(OUT, f'optim-{name}.json')
        with open(path, 'w') as f:
            json.dump(doc, f, separators=(',', ':'))
        print(name, len(cases), 'cases', os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
