"""Golden fixtures for nn.utils.clip_grad_norm_ / clip_grad_value_ (run with /usr/bin/python3).

Writes packages/conformance/fixtures/clip_grad.json: three gradients (sizes 1, 7, 33, the
optim.py formula at step t=0), clipped with several norm types and limits; the returned
total norm and the clipped gradients, in float32 and float64.
"""

import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'conformance', 'fixtures')
SIZES = [1, 7, 33]


def grad_value(t, k, i):
    return ((i * 53 + t * 29 + k * 17 + 3) % 97) / 48 - 1


def num(x):
    x = float(x)
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    return x


def grads(dtype, scale):
    out = []
    for k, n in enumerate(SIZES):
        p = torch.zeros(n, dtype=dtype, requires_grad=True)
        p.grad = (torch.tensor([grad_value(0, k, i) for i in range(n)], dtype=torch.float64) * scale).to(dtype)
        out.append(p)
    return out


def main():
    cases = []
    for dname, dtype in (('float32', torch.float32), ('float64', torch.float64)):
        for norm_type in (2.0, 1.0, 'inf', 3.0, 0.5):
            for max_norm, scale in ((1.0, 1.0), (100.0, 1.0), (0.25, 3.0)):
                ps = grads(dtype, scale)
                nt = math.inf if norm_type == 'inf' else norm_type
                total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=nt)
                cases.append({'kind': 'norm', 'dtype': dname, 'normType': norm_type, 'maxNorm': max_norm, 'scale': scale,
                              'total': num(total.item()), 'grads': [[num(v) for v in p.grad.tolist()] for p in ps]})
        for clip in (0.5, 0.05):
            ps = grads(dtype, 1.0)
            torch.nn.utils.clip_grad_value_(ps, clip)
            cases.append({'kind': 'value', 'dtype': dname, 'clipValue': clip, 'scale': 1.0,
                          'grads': [[num(v) for v in p.grad.tolist()] for p in ps]})
    doc = {'meta': {'torch': torch.__version__, 'generator': 'tooling/golden/optim_clip.py', 'sizes': SIZES,
                    'grads': '(((i*53 + k*17 + 3) % 97)/48 - 1) * scale, rounded to dtype', 'patches': None},
           'cases': cases}
    path = os.path.join(OUT, 'clip_grad.json')
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    print(len(cases), 'cases', os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
