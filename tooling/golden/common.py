"""Shared helpers for the tensor/autograd/SGD/seed golden generators (ops.py, autograd.py,
sgd.py, seeds.py). Run each generator by hand with Debian's PyTorch 1.13 (/usr/bin/python3);
they write JSON into packages/conformance/fixtures/.

Number encoding (read back by packages/conformance/src/assert.ts `fromFixture`):
- float64 values: repr, full precision;
- float32 values: the shortest decimal that round-trips the float32 (numpy's repr), so a
  reader recovers the exact float32 with Math.fround and the files stay small;
- NaN and infinities: the strings 'nan', 'inf', '-inf' (JSON has no such numbers);
- PyTorch's int64 (indices, labels) is written as dtype 'int32', stepwise's integer dtype.
"""
import json
import math
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, '..', '..', 'packages', 'conformance', 'fixtures'))

DTYPE_NAMES = {
    torch.float32: 'float32',
    torch.float64: 'float64',
    torch.int32: 'int32',
    torch.int64: 'int32',
    torch.bool: 'bool',
}
TORCH_DTYPES = {'float32': torch.float32, 'float64': torch.float64}


def dtype_name(d):
    return DTYPE_NAMES[d]


def num(v, dtype='float64'):
    """One float as JSON: shortest float32 text for float32 data, repr otherwise."""
    v = float(v)
    if math.isnan(v):
        return 'nan'
    if math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    if dtype == 'float32':
        return float(repr(np.float32(v)))
    return v


def flat(t):
    """A tensor's values, row-major, encoded for JSON according to its dtype."""
    t = t.detach()
    name = dtype_name(t.dtype)
    values = t.reshape(-1).tolist()
    if name == 'bool':
        return [bool(x) for x in values]
    if name == 'int32':
        return [int(x) for x in values]
    return [num(x, name) for x in values]


def tens(t):
    """{shape, dtype, data} for a tensor, or None."""
    if t is None:
        return None
    return {'shape': list(t.shape), 'dtype': dtype_name(t.dtype), 'data': flat(t)}


def meta(generator, what, patches=None, notes=None):
    m = {
        'torch': torch.__version__,
        'generator': 'tooling/golden/' + generator,
        'regenerate': '/usr/bin/python3 tooling/golden/' + generator,
        'what': what,
        'patches': patches or [],
    }
    if notes:
        m['notes'] = notes
    return m


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + '.json')
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'), allow_nan=False)
        f.write('\n')
    print('wrote', os.path.relpath(path), os.path.getsize(path), 'bytes')


def error_message(fn):
    """Runs fn, which must raise; returns (exception class name, message)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - we record whatever PyTorch raises
        return type(e).__name__, str(e)
    raise AssertionError('expected an error')
