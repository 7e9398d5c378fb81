"""Resumes, with real PyTorch, the training checkpoints stepwise wrote, and compares.

Run by the conformance suite (packages/conformance/src/suites/pytorchResume.ts) as
  /usr/bin/python3 tooling/golden/check_resume.py <dir>
where <dir> holds, per case of packages/conformance/fixtures/pt_resume.json, the .pt file
stepwise saved after K steps,
  {'model': model.stateDict(), 'optimizer': optimizer.stateDict({ layout: 'pytorch' }),
   'scheduler': scheduler.stateDict({ layout: 'pytorch' }) or None, 'step': K}
and manifest.json: {"cases": [{"name", "file", "trajectory": [{"params": {name: values},
"lrs": [...]}, ...], "tolerance": {"rtol", "atol"}}]} with stepwise's own next N steps and
the bound they must match within.

For each case: the model, optimizer and scheduler are built as pt_resume.py builds them,
the file is read with torch.load (PyTorch 1.13's weights_only=True has no BINFLOAT, and
these files hold floats: plain torch.load here), loaded with PyTorch's own
model.load_state_dict (strict), optimizer.load_state_dict and scheduler.load_state_dict,
and trained N more steps on the case's batches; every parameter must match stepwise's
(the case's tolerance: rtol 1e-5 in float32, 1e-4 for LBFGS in float32, 1e-10 in float64)
and every lr. The loaded state dicts must also
have the layout of PyTorch's own checkpoint of the same run (fixtures/pt_resume/<case>.pt):
the same param-group keys, the same scheduler keys, and per state entry
the same kind (tensor or number), dtype and shape. Prints `ok <case>` per case; exits 1 on
the first mismatch.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pt_resume as R  # noqa: E402


class Mismatch(Exception):
    pass


def check(cond, where, msg):
    if not cond:
        raise Mismatch(f'{where}: {msg}')


def close(a, e, rtol, atol, where):
    check(len(a) == len(e), where, f'{len(a)} values, expected {len(e)}')
    for i, (x, y) in enumerate(zip(a, e)):
        check(abs(x - y) <= atol + rtol * abs(y), where, f'[{i}] PyTorch {x!r}, stepwise {y!r}')


def kind(v):
    if torch.is_tensor(v):
        return ('tensor', str(v.dtype), tuple(v.shape))
    if isinstance(v, bool) or v is None:
        return (type(v).__name__,)
    if isinstance(v, (int, float)):
        return ('number',)
    if isinstance(v, (list, tuple)):
        return ('list', len(v)) + tuple(kind(x) for x in v)
    return (type(v).__name__,)


def value_kind(v):
    """A group value's kind: numbers are numbers (1 or 1.0), lists and tuples sequences."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return type(v).__name__
    if isinstance(v, (int, float)):
        return 'number'
    if isinstance(v, (list, tuple)):
        return ('sequence',) + tuple(value_kind(x) for x in v)
    return type(v).__name__


def same_layout(name, mine, theirs):
    """The optimizer and scheduler dicts stepwise wrote against PyTorch's own checkpoint."""
    mo, to = mine['optimizer'], theirs['optimizer']
    check(list(mo.keys()) == list(to.keys()), name, f'optimizer keys {list(mo.keys())}')
    for gi, (a, b) in enumerate(zip(mo['param_groups'], to['param_groups'])):
        # PyTorch's order is the user's keys, then the defaults: compare the sets. stepwise's
        # CyclicLR also keeps max_momentum/base_momentum in the groups, as PyTorch 2.x's does
        # (1.13 keeps them in the scheduler only, and ignores them here).
        later = {'max_momentum', 'base_momentum'} if (mine['scheduler'] or {}).get('total_size') else set()
        check(set(b.keys()) <= set(a.keys()) <= set(b.keys()) | later, f'{name} param_groups[{gi}]',
              f'keys {list(a.keys())}, PyTorch writes {list(b.keys())}')
        for k in b:
            check(value_kind(a[k]) == value_kind(b[k]), f'{name} param_groups[{gi}].{k}',
                  f'{type(a[k]).__name__}, PyTorch writes {type(b[k]).__name__}')
    check(sorted(mo['state'].keys()) == sorted(to['state'].keys()), name,
          f"state keys {sorted(mo['state'].keys())}, PyTorch's {sorted(to['state'].keys())}")
    check(all(isinstance(k, int) for k in mo['state']), name, 'state keys must be ints')
    for k in to['state']:
        a, b = mo['state'][k], to['state'][k]
        check(list(a.keys()) == list(b.keys()) or set(a.keys()) == set(b.keys()), f'{name} state[{k}]',
              f'keys {list(a.keys())}, PyTorch writes {list(b.keys())}')
        for e in b:
            ka, kb = kind(a[e]), kind(b[e])
            # LBFGS's `al` holds None where PyTorch has not filled it yet: compare what both have.
            if e == 'al':
                check(len(a[e]) == len(b[e]), f'{name} state[{k}].al', 'length')
                continue
            check(ka == kb, f'{name} state[{k}].{e}', f'{ka}, PyTorch writes {kb}')
    ms, ts = mine['scheduler'], theirs['scheduler']
    check((ms is None) == (ts is None), name, 'scheduler presence')
    if ts is not None:
        def keys(d):
            return sorted(k for k in d.keys() if k not in ('_anneal_func_type',))

        def cmp(a, b, where):
            check(keys(a) == keys(b), where, f'scheduler keys {keys(a)}, PyTorch writes {keys(b)}')
            for x, y in zip(a.get('_schedulers', []), b.get('_schedulers', [])):
                cmp(x, y, where + '._schedulers')
        cmp(ms, ts, f'{name} scheduler')


def main(d):
    fixture = json.load(open(os.path.join(R.OUT, 'pt_resume.json')))
    cases = {c['name']: c for c in fixture['cases']}
    manifest = json.load(open(os.path.join(d, 'manifest.json')))
    for entry in manifest['cases']:
        name = entry['name']
        case = cases[name]
        ck = torch.load(os.path.join(d, entry['file']))
        own = torch.load(os.path.join(R.DIR, case['file']))
        same_layout(name, ck, own)
        model = R.build_model(case)
        opt = R.build_optimizer(case, model)
        sched = R.build_scheduler(case['scheduler'], opt)
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['optimizer'])
        if sched is not None:
            sched.load_state_dict(ck['scheduler'])
        rtol, atol = entry['tolerance']['rtol'], entry['tolerance']['atol']
        for j, want in enumerate(entry['trajectory']):
            t = case['steps'] + j
            R.train_step(case, model, opt, sched, t)
            for n, p in model.named_parameters():
                close(p.detach().reshape(-1).tolist(), want['params'][n], rtol, atol, f'{name} step {t + 1}: {n}')
            close([float(g['lr']) for g in opt.param_groups], want['lrs'], 1e-12, 0, f'{name} step {t + 1}: lrs')
        for v in opt.state_dict()['state'].values():
            for x in v.values():
                if torch.is_tensor(x):
                    check(bool(torch.isfinite(x).all()), name, 'non-finite state after resuming')
        print('ok', name)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1]))
    except Mismatch as e:
        print('MISMATCH', e)
        sys.exit(1)
