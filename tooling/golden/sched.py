"""Golden fixtures for every LR scheduler and SWALR (run by hand with /usr/bin/python3).

Writes packages/conformance/fixtures/lr_scheduler.json: for each case, the lr of both
param groups (initial lrs 0.1 and 0.05) after construction and after each of 60 steps
(optimizer.step() then scheduler.step(), PyTorch's order), and the momentum (or
betas[0]) where the scheduler cycles it. Lambdas are named; the suite defines the same
functions. PyTorch 1.13 gives the latest behaviour for these cases (all built with
last_epoch=-1, LinearLR start_factor > 0); ReduceLROnPlateau lacks get_last_lr in 1.13,
so the group lrs are recorded instead.
"""

import json
import math
import os

import torch
from torch.optim import lr_scheduler as L
from torch.optim import swa_utils

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'conformance', 'fixtures')
STEPS = 60

LAMBDAS = {
    'pow095': lambda e: 0.95**e,
    'const09': lambda e: 0.9,
    'inv': lambda e: 1.0 / (1 + e),
}

METRICS = [1.0 - 0.01 * i if i < 15 else 0.86 + 0.001 * ((i * 7) % 5) for i in range(STEPS)]


def make_opt(kind):
    a = torch.zeros(3, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    if kind == 'adam':
        return torch.optim.Adam([{'params': [a]}, {'params': [b], 'lr': 0.05}], lr=0.1)
    return torch.optim.SGD([{'params': [a]}, {'params': [b], 'lr': 0.05}], lr=0.1, momentum=0.9)


def build(opt, spec):
    name, kw = spec['scheduler'], dict(spec.get('py', {}))
    if 'lambda' in spec:
        kw['lr_lambda'] = LAMBDAS[spec['lambda']]
    if name in ('SequentialLR', 'ChainedScheduler'):
        children = [build(opt, c) for c in spec['children']]
        if name == 'SequentialLR':
            return L.SequentialLR(opt, children, milestones=spec['milestones'])
        return L.ChainedScheduler(children)
    if name == 'SWALR':
        return swa_utils.SWALR(opt, **kw)
    return getattr(L, name)(opt, **kw)


def momentum_of(opt):
    return [g['betas'][0] if 'betas' in g else g.get('momentum') for g in opt.param_groups]


def run(spec):
    opt = make_opt(spec.get('optimizer', 'sgd'))
    sched = build(opt, spec)
    lrs = [[g['lr'] for g in opt.param_groups]]
    moms = [momentum_of(opt)]
    for i in range(STEPS):
        opt.step()
        if spec['scheduler'] == 'ReduceLROnPlateau':
            sched.step(METRICS[i])
        else:
            sched.step()
        lrs.append([g['lr'] for g in opt.param_groups])
        moms.append(momentum_of(opt))
    out = {'lrs': lrs}
    if spec.get('recordMomentum'):
        out['momentum'] = moms
    return out


def camel(k):
    parts = k.split('_')
    if k in ('T_max', 'T_0', 'T_mult'):
        return k
    return parts[0] + ''.join(p[:1].upper() + p[1:] for p in parts[1:])


def js(spec):
    out = {k: v for k, v in spec.items() if k not in ('py', 'children')}
    out['options'] = {camel(k): (list(v) if isinstance(v, tuple) else v) for k, v in spec.get('py', {}).items()}
    if 'children' in spec:
        out['children'] = [js(c) for c in spec['children']]
    return out


CASES = [
    dict(name='LambdaLR pow', scheduler='LambdaLR', **{'lambda': 'pow095'}),
    dict(name='LambdaLR inv', scheduler='LambdaLR', **{'lambda': 'inv'}),
    dict(name='MultiplicativeLR', scheduler='MultiplicativeLR', **{'lambda': 'const09'}),
    dict(name='StepLR', scheduler='StepLR', py=dict(step_size=7, gamma=0.5)),
    dict(name='MultiStepLR', scheduler='MultiStepLR', py=dict(milestones=[5, 12, 12, 30], gamma=0.3)),
    dict(name='ConstantLR', scheduler='ConstantLR', py=dict(factor=0.25, total_iters=7)),
    dict(name='ConstantLR defaults', scheduler='ConstantLR', py=dict()),
    dict(name='LinearLR', scheduler='LinearLR', py=dict(start_factor=0.2, end_factor=0.9, total_iters=10)),
    dict(name='LinearLR defaults', scheduler='LinearLR', py=dict()),
    dict(name='ExponentialLR', scheduler='ExponentialLR', py=dict(gamma=0.93)),
    dict(name='PolynomialLR', scheduler='PolynomialLR', py=dict(total_iters=20, power=2.0)),
    dict(name='CosineAnnealingLR', scheduler='CosineAnnealingLR', py=dict(T_max=10, eta_min=0.01)),
    dict(name='CosineAnnealingWarmRestarts', scheduler='CosineAnnealingWarmRestarts', py=dict(T_0=5, T_mult=2, eta_min=0.001)),
    dict(name='CosineAnnealingWarmRestarts T_mult 1', scheduler='CosineAnnealingWarmRestarts', py=dict(T_0=7)),
    dict(name='CyclicLR triangular', scheduler='CyclicLR', recordMomentum=True,
         py=dict(base_lr=0.01, max_lr=0.1, step_size_up=5)),
    dict(name='CyclicLR triangular2', scheduler='CyclicLR', recordMomentum=True,
         py=dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4, step_size_down=6, mode='triangular2')),
    dict(name='CyclicLR exp_range adam', scheduler='CyclicLR', optimizer='adam', recordMomentum=True,
         py=dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode='exp_range', gamma=0.97, cycle_momentum=False)),
    dict(name='OneCycleLR cos', scheduler='OneCycleLR', recordMomentum=True, py=dict(max_lr=1.0, total_steps=60)),
    dict(name='OneCycleLR linear three phase adam', scheduler='OneCycleLR', optimizer='adam', recordMomentum=True,
         py=dict(max_lr=[0.5, 0.2], epochs=6, steps_per_epoch=10, anneal_strategy='linear', three_phase=True, pct_start=0.25)),
    dict(name='SequentialLR', scheduler='SequentialLR', milestones=[10],
         children=[dict(scheduler='ConstantLR', py=dict(factor=0.1, total_iters=10)),
                   dict(scheduler='ExponentialLR', py=dict(gamma=0.9))]),
    dict(name='SequentialLR three', scheduler='SequentialLR', milestones=[5, 20],
         children=[dict(scheduler='LinearLR', py=dict(start_factor=0.1, total_iters=5)),
                   dict(scheduler='StepLR', py=dict(step_size=4, gamma=0.5)),
                   dict(scheduler='CosineAnnealingLR', py=dict(T_max=15))]),
    dict(name='ChainedScheduler', scheduler='ChainedScheduler',
         children=[dict(scheduler='ConstantLR', py=dict(factor=0.1, total_iters=10)),
                   dict(scheduler='ExponentialLR', py=dict(gamma=0.9))]),
    dict(name='ReduceLROnPlateau', scheduler='ReduceLROnPlateau', py=dict(patience=3, factor=0.5, cooldown=2, min_lr=[0.0, 0.004])),
    dict(name='ReduceLROnPlateau max abs', scheduler='ReduceLROnPlateau',
         py=dict(mode='max', threshold_mode='abs', threshold=0.001, patience=2)),
    dict(name='SWALR cos', scheduler='SWALR', py=dict(swa_lr=0.02, anneal_epochs=5)),
    dict(name='SWALR linear', scheduler='SWALR', py=dict(swa_lr=[0.2, 0.01], anneal_epochs=3, anneal_strategy='linear')),
]


def main():
    cases = []
    for spec in CASES:
        c = js(spec)
        c.update(run(spec))
        cases.append(c)
    doc = {
        'meta': {
            'torch': torch.__version__,
            'generator': 'tooling/golden/sched.py',
            'steps': STEPS,
            'initialLrs': [0.1, 0.05],
            'optimizers': {'sgd': 'SGD(lr=0.1, momentum=0.9), group 2 lr 0.05', 'adam': 'Adam(lr=0.1), group 2 lr 0.05'},
            'lambdas': {'pow095': '0.95**e', 'const09': '0.9', 'inv': '1/(1+e)'},
            'metrics': METRICS,
            'patches': 'none needed: 1.13 equals the latest for these cases; ReduceLROnPlateau lrs read from the groups',
        },
        'cases': cases,
    }
    path = os.path.join(OUT, 'lr_scheduler.json')
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    print(len(cases), 'cases', os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
