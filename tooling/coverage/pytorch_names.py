"""Writes tooling/coverage/pytorch-names.json: the public names of PyTorch's namespaces that
stepwise mirrors, read from the installed PyTorch (Debian's python3-torch, 1.13), plus the
few names of later PyTorch releases that stepwise implements. Checks that every name in
pytorch-common.txt exists. The output is committed; generate.mjs reads it (no Python in CI).

    /usr/bin/python3 tooling/coverage/pytorch_names.py
"""
import inspect
import json
import os
import sys

import torch
import torch.nn.functional as F
import torch.optim.lr_scheduler as lr_scheduler
import torch.optim.swa_utils as swa_utils
import torch.utils.data as data

HERE = os.path.dirname(os.path.abspath(__file__))

# Names added after PyTorch 1.13 that stepwise follows (latest PyTorch's docs).
LATER = {
    'torch.nn.functional': ['scaled_dot_product_attention'],
    'torch.optim': ['Adafactor', 'Muon'],
    'Tensor': ['mT'],
}


def public(names):
    return sorted(n for n in names if not n.startswith('_'))


def callables(mod, classes=None):
    out = []
    for n in public(dir(mod)):
        v = getattr(mod, n, None)
        if inspect.ismodule(v):
            continue
        if classes is True and not inspect.isclass(v):
            continue
        if classes is False and inspect.isclass(v):
            continue
        if callable(v):
            out.append(n)
    return out


def main():
    ns = {
        'torch': [n for n in callables(torch) if not n[0].isupper() or n in ('Tensor', 'Generator', 'Size')],
        'Tensor': public(dir(torch.Tensor)),
        'torch.nn': callables(torch.nn, classes=True),
        'torch.nn.functional': callables(F, classes=False),
        'torch.nn.init': callables(torch.nn.init, classes=False),
        'torch.nn.utils': callables(torch.nn.utils, classes=False),
        'torch.optim': callables(torch.optim, classes=True),
        'torch.optim.lr_scheduler': callables(lr_scheduler, classes=True),
        'torch.optim.swa_utils': callables(swa_utils, classes=True),
        'torch.linalg': callables(torch.linalg, classes=False),
        'torch.autograd': public(n for n in dir(torch.autograd) if callable(getattr(torch.autograd, n))),
        'torch.utils.data': callables(data),
    }
    for k, extra in LATER.items():
        ns[k] = sorted(set(ns[k]) | set(extra))
    # Tensor's dunder-free attributes include properties (shape, grad, T): keep them.
    with open(os.path.join(HERE, 'pytorch-names.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'later': LATER, 'namespaces': ns}, f, indent=1, sort_keys=True)
        f.write('\n')

    def has(q):
        if q.startswith('Tensor.'):
            return q[7:] in ns['Tensor']
        mod, _, name = q.rpartition('.')
        return name in ns.get(mod, [])

    missing = []
    with open(os.path.join(HERE, 'pytorch-common.txt')) as f:
        for line in f:
            q = line.strip()
            if q and not q.startswith('#') and not has(q):
                missing.append(q)
    if missing:
        print('not in PyTorch %s: %s' % (torch.__version__, ', '.join(missing)), file=sys.stderr)
        sys.exit(1)
    print('pytorch-names.json: %d names; pytorch-common.txt checked' % sum(len(v) for v in ns.values()))


main()
