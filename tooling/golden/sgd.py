"""Golden fixtures for stepwise's Optimizer base class and SGD.

Run by hand:  /usr/bin/python3 tooling/golden/sgd.py
Writes packages/conformance/fixtures/sgd.json (trajectories) and sgd_errors.json.

Trajectories: every valid flag combination of momentum {0, 0.9} x dampening {0, 0.5} x
nesterov x weight_decay {0, 0.1} x maximize, with four parameters of sizes 1, 7, 33, 1000
in one group, in float32 and float64, for 12 steps with the gradients given (drawn from a
seeded generator and stored). The parameters of sizes 1, 7 and 33 are stored after every
step; the 1000-element one after the last step only (keeps the file small). Also: two
param groups with different lr, a parameter whose grad is null at some steps (skipped, no
state), and the default lr.

1.13 versus latest (we follow the latest): SGD's lr has a default of 1e-3 (1.13 requires
it, so the generator passes 1e-3 explicitly), zero_grad sets grads to None by default,
and momentum_buffer is absent (not None) from the state when momentum is 0.
"""
import copy

import torch

from common import TORCH_DTYPES, error_message, flat, meta, write

STEPS = 12
SIZES = [1, 7, 33, 1000]
G = torch.Generator().manual_seed(7)

# shared, per dtype: initial params and the gradients of every step
init = [torch.randn(n, generator=G, dtype=torch.float64) for n in SIZES]
grads = [[torch.randn(n, generator=G, dtype=torch.float64) for n in SIZES] for _ in range(STEPS)]


def configs():
    out = []
    for momentum in (0.0, 0.9):
        for dampening in (0.0, 0.5):
            for nesterov in (False, True):
                if nesterov and (momentum == 0 or dampening != 0):
                    continue
                for wd in (0.0, 0.1):
                    for maximize in (False, True):
                        out.append({'lr': 0.1, 'momentum': momentum, 'dampening': dampening,
                                    'nesterov': nesterov, 'weightDecay': wd, 'maximize': maximize})
    return out


def torch_opts(c):
    return {'lr': c['lr'], 'momentum': c['momentum'], 'dampening': c['dampening'],
            'nesterov': c['nesterov'], 'weight_decay': c['weightDecay'], 'maximize': c['maximize']}


def run(c, dt, grad_mask=None):
    ps = [p.clone().to(dt).requires_grad_(True) for p in init]
    opt = torch.optim.SGD(ps, **torch_opts(c))
    traj = []
    for s in range(STEPS):
        for i, p in enumerate(ps):
            if grad_mask is not None and not grad_mask(s, i):
                p.grad = None
            else:
                p.grad = grads[s][i].to(dt)
        opt.step()
        traj.append([flat(p) for p in ps[:3]])
    bufs = []
    for p in ps[:3]:
        st = opt.state.get(p, {})
        b = st.get('momentum_buffer')
        bufs.append(None if b is None else flat(b))
    return {'trajectory': traj, 'final': [flat(p) for p in ps], 'momentumBuffer': bufs,
            'stateKeys': [sorted(k for k, v in opt.state.get(p, {}).items() if v is not None) for p in ps]}


data = {}
for dn, dt in TORCH_DTYPES.items():
    data[dn] = {
        'init': [flat(p.to(dt)) for p in init],
        'grads': [[flat(g.to(dt)) for g in gs] for gs in grads],
    }

cases = []
for c in configs():
    for dn, dt in TORCH_DTYPES.items():
        cases.append({'id': f"{dn} " + ' '.join(f'{k}={v}' for k, v in c.items()), 'dtype': dn, 'options': c, **run(c, dt)})

# default lr (latest: 1e-3), momentum 0.9
for dn, dt in TORCH_DTYPES.items():
    c = {'lr': 1e-3, 'momentum': 0.9, 'dampening': 0.0, 'nesterov': False, 'weightDecay': 0.0, 'maximize': False}
    r = run(c, dt)
    opts = {'momentum': 0.9}
    cases.append({'id': f'{dn} default lr (1e-3) momentum=0.9', 'dtype': dn, 'options': opts, **r})

# grads missing at some steps: param 1 has no grad at steps 2 and 5, param 2 never has one
mask = lambda s, i: not ((i == 1 and s in (2, 5)) or i == 2)
for dn, dt in TORCH_DTYPES.items():
    c = {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.0, 'nesterov': True, 'weightDecay': 0.1, 'maximize': False}
    r = run(c, dt, mask)
    cases.append({'id': f'{dn} null grads skipped', 'dtype': dn, 'options': c,
                  'nullGrads': [[not mask(s, i) for i in range(len(SIZES))] for s in range(STEPS)], **r})

# two param groups with different lr (and per-group momentum)
groups = {}
for dn, dt in TORCH_DTYPES.items():
    ps = [p.clone().to(dt).requires_grad_(True) for p in init]
    opt = torch.optim.SGD([
        {'params': [ps[0], ps[1]]},
        {'params': [ps[2], ps[3]], 'lr': 0.01, 'momentum': 0.5, 'weight_decay': 0.1},
    ], lr=0.1, momentum=0.9, nesterov=False)
    traj = []
    for s in range(STEPS):
        for i, p in enumerate(ps):
            p.grad = grads[s][i].to(dt)
        opt.step()
        traj.append([flat(p) for p in ps[:3]])
    sd = opt.state_dict()
    groups[dn] = {
        'trajectory': traj,
        'final': [flat(p) for p in ps],
        'paramGroups': [{'params': g['params'], 'lr': g['lr'], 'momentum': g['momentum'],
                         'dampening': g['dampening'], 'weightDecay': g['weight_decay'],
                         'nesterov': g['nesterov'], 'maximize': g['maximize']} for g in sd['param_groups']],
        'stateMomentumBuffer': {str(k): flat(v['momentum_buffer']) for k, v in sd['state'].items()},
    }

write('sgd', {
    'meta': meta('sgd.py', 'SGD trajectories with given gradients, every flag combination, float32 and float64', patches=[
        'SGD lr default: latest PyTorch defaults lr to 1e-3; 1.13 requires lr, so the generator passes lr=1e-3 '
        "explicitly for the 'default lr' cases and the TypeScript side omits it.",
        'zero_grad(set_to_none=True) is the latest default (1.13: False); trajectories set .grad directly, so '
        'they do not depend on it.',
        'momentum_buffer: 1.13 stores None when momentum is 0; latest stores nothing. stateKeys lists only '
        'non-None entries (the latest behaviour).',
    ], notes=[
        'params: sizes 1, 7, 33, 1000 initialised from data[dtype].init; before step s, grad of param i is '
        'data[dtype].grads[s][i] (or null where nullGrads[s][i]); trajectory[s] = params 0..2 after step s; '
        'final = every param after the last step; momentumBuffer = buffers of params 0..2 after the last step '
        '(null where the state has none).',
        'options are stepwise camelCase options; lr 0.1 unless stated.',
    ]),
    'steps': STEPS,
    'sizes': SIZES,
    'data': data,
    'cases': cases,
    'twoGroups': {
        'groups': [{'params': [0, 1]}, {'params': [2, 3], 'lr': 0.01, 'momentum': 0.5, 'weightDecay': 0.1}],
        'defaults': {'lr': 0.1, 'momentum': 0.9},
        **groups,
    },
})

# ---------------------------------------------------------------- errors
errs = []


def p(n=3, rg=True):
    return torch.zeros(n, requires_grad=rg)


def rec(id, fn, key, type_js, note=''):
    cls, msg = error_message(fn)
    errs.append({'id': id, 'pytorchType': cls, 'pytorchMessage': msg, 'keyPhrase': key, 'type': type_js, 'note': note})


rec('bare tensor as params', lambda: torch.optim.SGD(p(), lr=0.1),
    'should be an iterable of Tensors or dicts', 'TypeError')
rec('empty params', lambda: torch.optim.SGD([], lr=0.1), 'empty parameter list', 'Error')
rec('negative lr', lambda: torch.optim.SGD([p()], lr=-0.1), 'Invalid learning rate', 'Error')
rec('negative momentum', lambda: torch.optim.SGD([p()], lr=0.1, momentum=-0.5), 'Invalid momentum value', 'Error')
rec('negative weight decay', lambda: torch.optim.SGD([p()], lr=0.1, weight_decay=-1), 'Invalid weight_decay value', 'Error',
    'stepwise may name the option weightDecay; the suite accepts weight_decay or weightDecay')
rec('nesterov without momentum', lambda: torch.optim.SGD([p()], lr=0.1, nesterov=True),
    'Nesterov momentum requires a momentum and zero dampening', 'Error')
rec('nesterov with dampening', lambda: torch.optim.SGD([p()], lr=0.1, momentum=0.9, dampening=0.5, nesterov=True),
    'Nesterov momentum requires a momentum and zero dampening', 'Error')
rec('non-tensor param', lambda: torch.optim.SGD([p(), 5], lr=0.1), 'optimizer can only optimize Tensors', 'TypeError')


def nonleaf():
    a = p()
    return a * 2


rec('non-leaf param', lambda: torch.optim.SGD([nonleaf()], lr=0.1), "can't optimize a non-leaf Tensor", 'Error')


def add_group(group):
    opt = torch.optim.SGD([p()], lr=0.1)
    opt.add_param_group(group)


rec('addParamGroup: not an object', lambda: add_group(5), 'param group', 'TypeError',
    '1.13 raises AssertionError "param group must be a dict"; latest raises TypeError')
shared = p()


def overlap():
    opt = torch.optim.SGD([shared], lr=0.1)
    opt.add_param_group({'params': [shared]})


rec('addParamGroup: overlap', overlap, 'some parameters appear in more than one parameter group', 'Error')
rec('addParamGroup: non-leaf', lambda: add_group({'params': [nonleaf()]}), "can't optimize a non-leaf Tensor", 'Error')
rec('addParamGroup: non-tensor', lambda: add_group({'params': ['a']}), 'optimizer can only optimize Tensors', 'TypeError')


def load_groups():
    a, b = p(), p()
    opt = torch.optim.SGD([a, b], lr=0.1)
    other = torch.optim.SGD([{'params': [p()]}, {'params': [p()]}], lr=0.1)
    opt.load_state_dict(other.state_dict())


def load_sizes():
    a, b = p(), p()
    opt = torch.optim.SGD([a, b], lr=0.1)
    other = torch.optim.SGD([p()], lr=0.1)
    opt.load_state_dict(other.state_dict())


rec('loadStateDict: group count', load_groups, 'different number of parameter groups', 'Error')
rec('loadStateDict: group size', load_sizes, "doesn't match the size of optimizer's group", 'Error')



def missing_required():
    from torch.optim.optimizer import required
    torch.optim.Optimizer([p()], {'lr': required})


rec('addParamGroup: missing required hyperparameter', missing_required,
    "parameter group didn't specify a value of required optimization parameter lr", 'Error',
    'an Optimizer subclass whose defaults mark lr as required (torch.optim.required)')

# duplicates in one group: a warning, not an error
import warnings  # noqa: E402

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    dup = p()
    torch.optim.SGD([dup, dup], lr=0.1)
duplicate_warning = str(caught[0].message)

# addParamGroup success: the new group gets the defaults filled in
opt = torch.optim.SGD([p()], lr=0.1, momentum=0.9)
opt.add_param_group({'params': p(5), 'lr': 0.5})
g = opt.param_groups[1]
added = {'lr': g['lr'], 'momentum': g['momentum'], 'dampening': g['dampening'], 'weightDecay': g['weight_decay'],
         'nesterov': g['nesterov'], 'maximize': g['maximize'], 'numParams': len(g['params'])}

write('sgd_errors', {
    'meta': meta('sgd.py', 'Optimizer base class and SGD errors: PyTorch messages and the key phrase stepwise must contain'),
    'errors': errs,
    'duplicateWarning': {'message': duplicate_warning, 'keyPhrase': 'duplicate parameters'},
    'addParamGroupDefaults': {'defaults': {'lr': 0.1, 'momentum': 0.9}, 'added': {'lr': 0.5, 'size': 5}, 'group': added},
})
