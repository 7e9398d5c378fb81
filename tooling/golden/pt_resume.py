"""Golden training checkpoints for resuming across PyTorch and stepwise: with real PyTorch,
a small model trained K steps by every optimizer PyTorch 1.13 has (two param groups where
the optimizer allows, float32 and some float64), with a learning-rate scheduler of every
kind, saved mid-training as PyTorch saves a checkpoint, and the next N steps PyTorch takes
from there (packages/conformance/src/suites/pytorchResume.ts).

Run by hand:  /usr/bin/python3 tooling/golden/pt_resume.py
Writes packages/conformance/fixtures/pt_resume/<case>.pt, each
    torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                'scheduler': scheduler.state_dict() or None, 'step': K}, path)
after K steps, and the sidecar packages/conformance/fixtures/pt_resume.json:
    {"meta": {...}, "cases": [{
        "name", "file", "dtype", "model": "mlp" | "embeddings",
        "optimizer": {"type", "kwargs", "groups": [overrides of group 0, of group 1]},
        "scheduler": null | {"type", "kwargs", "schedulers"?, "lambda"?},
        "steps": K, "resume": N,
        "init": {name: values}       the model's weights before step 1 (for check_resume.py),
        "batches": [[x, y] or [i, j, y], ...]   one per step, K + N of them (x [4, 4], y [4, 2] flat),
        "metrics": [...]             ReduceLROnPlateau's metric per step (fixed numbers),
        "trajectory": [{"params": {name: values}, "lrs": [...]}, ...]   after each of the N steps}]}
Each step: optimizer.zero_grad(); loss(batch t).backward(); optimizer.step() (LBFGS:
step(closure) on batch t); scheduler.step() (ReduceLROnPlateau: step(metrics[t])).
The trajectory is the uninterrupted run's: resuming from the file must reproduce it.

What 1.13 cannot save is removed before saving, as a user must: CyclicLR's `_scale_fn_ref`
(a weakref; PyTorch 2.x drops it itself), OneCycleLR's `anneal_func` (a bound method, which
would pickle the whole scheduler; PyTorch 2.x saves `_anneal_func_type`), and MultiStepLR's
`milestones` Counter is saved as a dict (torch.load with weights_only=True, and stepwise's
reader, refuse a Counter; a dict answers get_lr's lookups the same way).

check_resume.py imports the builders below to resume, in PyTorch, what stepwise saved.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import lr_scheduler as L

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import OUT, flat, meta, write  # noqa: E402

DIR = os.path.join(OUT, 'pt_resume')
DTYPES = {'float32': torch.float32, 'float64': torch.float64}
K, N = 5, 5

# name, optimizer, scheduler, dtype, model
CASES = [
    ('sgd_nesterov_steplr', {'type': 'SGD', 'kwargs': {'lr': 0.1, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 1e-3},
                             'groups': [{}, {'lr': 0.05}]},
     {'type': 'StepLR', 'kwargs': {'step_size': 3, 'gamma': 0.5}}, 'float32', 'mlp'),
    ('sgd_dampening_sequential', {'type': 'SGD', 'kwargs': {'lr': 0.1, 'momentum': 0.8, 'dampening': 0.1},
                                  'groups': [{}, {'momentum': 0.5}]},
     {'type': 'SequentialLR', 'kwargs': {'milestones': [3]},
      'schedulers': [{'type': 'ConstantLR', 'kwargs': {'factor': 0.5, 'total_iters': 2}},
                     {'type': 'ExponentialLR', 'kwargs': {'gamma': 0.9}}]}, 'float32', 'mlp'),
    ('sgd_plain_plateau', {'type': 'SGD', 'kwargs': {'lr': 0.2}, 'groups': [{}, {'lr': 0.1, 'weight_decay': 0.01}]},
     {'type': 'ReduceLROnPlateau', 'kwargs': {'factor': 0.5, 'patience': 1}}, 'float32', 'mlp'),
    ('adam_amsgrad_multisteplr', {'type': 'Adam', 'kwargs': {'lr': 1e-2, 'amsgrad': True, 'weight_decay': 1e-2},
                                  'groups': [{}, {'lr': 5e-3, 'betas': [0.8, 0.99]}]},
     {'type': 'MultiStepLR', 'kwargs': {'milestones': [2, 4, 4, 7], 'gamma': 0.5}}, 'float32', 'mlp'),
    ('adam_chained', {'type': 'Adam', 'kwargs': {'lr': 1e-2}, 'groups': [{}, {'eps': 1e-6}]},
     {'type': 'ChainedScheduler',
      'schedulers': [{'type': 'ConstantLR', 'kwargs': {'factor': 0.5, 'total_iters': 3}},
                     {'type': 'ExponentialLR', 'kwargs': {'gamma': 0.95}}]}, 'float32', 'mlp'),
    ('adamw_cosine', {'type': 'AdamW', 'kwargs': {'lr': 1e-2}, 'groups': [{}, {'weight_decay': 0.1}]},
     {'type': 'CosineAnnealingLR', 'kwargs': {'T_max': 8, 'eta_min': 1e-4}}, 'float32', 'mlp'),
    ('adagrad_exponential', {'type': 'Adagrad', 'kwargs': {'lr': 0.1, 'lr_decay': 0.01, 'initial_accumulator_value': 0.1},
                             'groups': [{}, {'lr': 0.05}]},
     {'type': 'ExponentialLR', 'kwargs': {'gamma': 0.9}}, 'float32', 'mlp'),
    ('adadelta_lambda', {'type': 'Adadelta', 'kwargs': {'lr': 1.0, 'rho': 0.9}, 'groups': [{}, {'weight_decay': 1e-2}]},
     {'type': 'LambdaLR', 'lambda': {'pow': 0.95}}, 'float32', 'mlp'),
    ('adamax_linear', {'type': 'Adamax', 'kwargs': {'lr': 2e-2}, 'groups': [{}, {'betas': [0.85, 0.99]}]},
     {'type': 'LinearLR', 'kwargs': {'start_factor': 0.5, 'total_iters': 6}}, 'float32', 'mlp'),
    ('asgd_constant', {'type': 'ASGD', 'kwargs': {'lr': 0.05, 'lambd': 1e-3, 't0': 3},
                       'groups': [{}, {'alpha': 0.5}]},
     {'type': 'ConstantLR', 'kwargs': {'factor': 0.5, 'total_iters': 4}}, 'float32', 'mlp'),
    ('nadam_polynomial', {'type': 'NAdam', 'kwargs': {'lr': 1e-2}, 'groups': [{}, {'momentum_decay': 8e-3}]},
     {'type': 'PolynomialLR', 'kwargs': {'total_iters': 8, 'power': 2.0}}, 'float32', 'mlp'),
    ('radam_warm_restarts', {'type': 'RAdam', 'kwargs': {'lr': 1e-2, 'weight_decay': 1e-3}, 'groups': [{}, {'lr': 2e-2}]},
     {'type': 'CosineAnnealingWarmRestarts', 'kwargs': {'T_0': 3, 'T_mult': 2, 'eta_min': 1e-4}}, 'float32', 'mlp'),
    ('rmsprop_centered_cyclic', {'type': 'RMSprop', 'kwargs': {'lr': 1e-2, 'momentum': 0.5, 'centered': True},
                                 'groups': [{}, {'alpha': 0.9}]},
     {'type': 'CyclicLR', 'kwargs': {'base_lr': 1e-3, 'max_lr': 1e-2, 'step_size_up': 3, 'mode': 'triangular2',
                                     'base_momentum': 0.4, 'max_momentum': 0.6}}, 'float32', 'mlp'),
    ('rprop_multiplicative', {'type': 'Rprop', 'kwargs': {'lr': 1e-2, 'etas': [0.4, 1.3]},
                              'groups': [{}, {'step_sizes': [1e-5, 1.0]}]},
     {'type': 'MultiplicativeLR', 'lambda': {'const': 0.9}}, 'float32', 'mlp'),
    ('sparse_adam_onecycle', {'type': 'SparseAdam', 'kwargs': {'lr': 1e-2}, 'groups': [{}, {'betas': [0.8, 0.99]}]},
     {'type': 'OneCycleLR', 'kwargs': {'max_lr': [2e-2, 1e-2], 'total_steps': 12}}, 'float32', 'embeddings'),
    ('lbfgs_steplr', {'type': 'LBFGS', 'kwargs': {'lr': 0.5, 'max_iter': 4, 'history_size': 3}, 'groups': None},
     {'type': 'StepLR', 'kwargs': {'step_size': 2, 'gamma': 0.5}}, 'float32', 'mlp'),
    ('adam_f64_cyclic_exp_range', {'type': 'Adam', 'kwargs': {'lr': 1e-2}, 'groups': [{}, {'lr': 3e-2}]},
     {'type': 'CyclicLR', 'kwargs': {'base_lr': 1e-3, 'max_lr': 2e-2, 'step_size_up': 2, 'step_size_down': 3,
                                     'mode': 'exp_range', 'gamma': 0.9, 'cycle_momentum': False}}, 'float64', 'mlp'),
    ('rmsprop_f64_onecycle_3phase', {'type': 'RMSprop', 'kwargs': {'lr': 1e-2, 'momentum': 0.9}, 'groups': [{}, {}]},
     {'type': 'OneCycleLR', 'kwargs': {'max_lr': 5e-2, 'total_steps': 15, 'three_phase': True,
                                       'anneal_strategy': 'linear'}}, 'float64', 'mlp'),
    ('lbfgs_f64_strong_wolfe', {'type': 'LBFGS', 'kwargs': {'lr': 1, 'max_iter': 5, 'history_size': 4,
                                                            'line_search_fn': 'strong_wolfe'}, 'groups': None},
     None, 'float64', 'mlp'),
]

# ReduceLROnPlateau's metric at each step: improves, stalls twice (a cut), improves, stalls.
METRICS = [1.0, 0.9, 0.95, 0.97, 0.8, 0.85, 0.86, 0.87, 0.7, 0.75]


def lam(spec):
    if 'pow' in spec:
        b = spec['pow']
        return lambda e: b ** e
    c = spec['const']
    return lambda e: c


class Embeddings(nn.Module):
    """Two embeddings (SparseAdam needs sparse gradients): loss = mean((a[i]·b[j] − y)²)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Embedding(6, 3, sparse=True)
        self.b = nn.Embedding(5, 3, sparse=True)


def build_model(case):
    if case['model'] == 'mlp':
        m = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    else:
        m = Embeddings()
    return m.to(DTYPES[case['dtype']])


def loss_of(case, model, batch):
    dt = DTYPES[case['dtype']]
    if case['model'] == 'mlp':
        x, y = batch
        return F.mse_loss(model(torch.tensor(x, dtype=dt).reshape(4, 4)), torch.tensor(y, dtype=dt).reshape(4, 2))
    i, j, y = batch
    a = model.a(torch.tensor(i))
    b = model.b(torch.tensor(j))
    return ((a * b).sum(1) - torch.tensor(y, dtype=dt)).square().mean()


def groups_of(case, model):
    named = list(model.named_parameters())
    cfg = case['optimizer']
    if cfg['groups'] is None:
        return [p for _, p in named]
    first = named[0][0].split('.')[0]
    g0 = [p for n, p in named if n.split('.')[0] == first]
    g1 = [p for n, p in named if n.split('.')[0] != first]
    return [{'params': g0, **cfg['groups'][0]}, {'params': g1, **cfg['groups'][1]}]


def build_optimizer(case, model):
    cfg = case['optimizer']
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in cfg['kwargs'].items()}
    groups = groups_of(case, model)
    for g in groups:
        if isinstance(g, dict):
            for k, v in list(g.items()):
                if k != 'params' and isinstance(v, list):
                    g[k] = tuple(v)
    return getattr(torch.optim, cfg['type'])(groups, **kwargs)


def build_scheduler(spec, opt):
    if spec is None:
        return None
    t = spec['type']
    kw = dict(spec.get('kwargs', {}))
    if t in ('LambdaLR', 'MultiplicativeLR'):
        return getattr(L, t)(opt, lam(spec['lambda']), **kw)
    if t == 'SequentialLR':
        return L.SequentialLR(opt, [build_scheduler(s, opt) for s in spec['schedulers']], **kw)
    if t == 'ChainedScheduler':
        return L.ChainedScheduler([build_scheduler(s, opt) for s in spec['schedulers']])
    return getattr(L, t)(opt, **kw)


def train_step(case, model, opt, sched, t):
    batch = case['batches'][t]
    if case['optimizer']['type'] == 'LBFGS':
        def closure():
            opt.zero_grad()
            loss = loss_of(case, model, batch)
            loss.backward()
            return loss
        opt.step(closure)
    else:
        opt.zero_grad()
        loss_of(case, model, batch).backward()
        opt.step()
    if sched is not None:
        if isinstance(sched, L.ReduceLROnPlateau):
            sched.step(case['metrics'][t])
        else:
            sched.step()


def snapshot(case, model, opt):
    return {
        'params': {n: flat(p) for n, p in model.named_parameters()},
        'lrs': [float(g['lr']) for g in opt.param_groups],
    }


def saveable_scheduler(sched):
    """The scheduler's state dict as PyTorch 1.13 can save it (see the docstring)."""
    if sched is None:
        return None
    sd = sched.state_dict()

    def fix(d):
        d.pop('_scale_fn_ref', None)
        d.pop('anneal_func', None)
        if isinstance(d.get('milestones'), dict):
            d['milestones'] = dict(d['milestones'])
        for c in d.get('_schedulers', []):
            fix(c)
    fix(sd)
    return sd


def data_for(case, gen):
    dt = DTYPES[case['dtype']]
    batches = []
    for _ in range(K + N):
        if case['model'] == 'mlp':
            x = torch.randn(4, 4, generator=gen, dtype=dt)
            y = torch.randn(4, 2, generator=gen, dtype=dt)
            batches.append([flat(x), flat(y)])
        else:
            i = torch.randint(0, 6, (4,), generator=gen)
            j = torch.randint(0, 5, (4,), generator=gen)
            y = torch.randn(4, generator=gen, dtype=dt)
            batches.append([i.tolist(), j.tolist(), flat(y)])
    return batches


def main():
    os.makedirs(DIR, exist_ok=True)
    cases = []
    for index, (name, opt_cfg, sched_cfg, dtype, model_kind) in enumerate(CASES):
        torch.manual_seed(100 + index)
        gen = torch.Generator().manual_seed(200 + index)
        case = {'name': name, 'file': name + '.pt', 'dtype': dtype, 'model': model_kind,
                'optimizer': opt_cfg, 'scheduler': sched_cfg, 'steps': K, 'resume': N}
        model = build_model(case)
        case['init'] = {n: flat(p) for n, p in model.named_parameters()}
        case['batches'] = data_for(case, gen)
        case['metrics'] = METRICS
        opt = build_optimizer(case, model)
        sched = build_scheduler(sched_cfg, opt)
        for t in range(K):
            train_step(case, model, opt, sched, t)
        torch.save({'model': model.state_dict(), 'optimizer': opt.state_dict(),
                    'scheduler': saveable_scheduler(sched), 'step': K}, os.path.join(DIR, case['file']))
        trajectory = []
        for t in range(K, K + N):
            train_step(case, model, opt, sched, t)
            trajectory.append(snapshot(case, model, opt))
        case['trajectory'] = trajectory
        for v in trajectory[-1]['params'].values():
            assert all(isinstance(x, float) and math.isfinite(x) for x in v), name
        cases.append(case)
        print(name, os.path.getsize(os.path.join(DIR, case['file'])), 'bytes')
    write('pt_resume', {
        'meta': meta('pt_resume.py',
                     'model + optimizer + scheduler checkpoints after K steps, and the next N steps, for resuming in stepwise',
                     notes=['CyclicLR _scale_fn_ref and OneCycleLR anneal_func deleted before saving (1.13 cannot save them); '
                            'MultiStepLR milestones saved as a dict']),
        'cases': cases,
    })


if __name__ == '__main__':
    main()
