"""Checks, with real PyTorch, the .pt and safetensors files stepwise wrote.

Run by the conformance suite (packages/conformance/src/suites/pytorchFiles.ts) as
  /usr/bin/python3 tooling/golden/check_pt.py <dir>
where <dir> holds the files and manifest.json:
  {"cases": [{"file": "a.pt", "weightsOnly": bool, "value": <value>, "metadata"?: {...},
              "loadInto"?: "linear_4_3"}]}
Values are encoded as in pt_files.py's sidecar ($tensor with storage and id, $dict with
[key, isIntKey, value] entries and `ordered`, $list, $float, $bigint). A .pt file is read
with torch.load (weights_only=True when the case says PyTorch's restricted unpickler must
accept it: PyTorch 1.13's has no BINFLOAT, so files holding floats are read without it);
a .safetensors file with the small reader below (the safetensors package is not needed).
`loadInto: linear_4_3` also loads the value into torch.nn.Linear(4, 3) with
load_state_dict (strict). Prints one line per file; exits 1 on the first mismatch.
"""
import collections
import json
import math
import os
import struct
import sys

import torch

DTYPES = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int32, 'bool': torch.bool}
ST_DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I32': torch.int32, 'I64': torch.int64,
             'BOOL': torch.bool, 'U8': torch.uint8}


class Mismatch(Exception):
    pass


def check(cond, where, msg):
    if not cond:
        raise Mismatch(f'{where}: {msg}')


def same_number(a, e):
    if isinstance(e, dict) and '$float' in e:
        check(isinstance(a, float), '', f'expected a float, got {type(a).__name__}')
        f = e['$float']
        if f == 'nan':
            return math.isnan(a)
        if f == '-0':
            return a == 0 and math.copysign(1, a) < 0
        return a == (math.inf if f == 'inf' else -math.inf)
    if isinstance(e, float):
        return isinstance(a, float) and a == e
    return a == e


class Checker:
    def __init__(self):
        self.storages = {}
        self.ids = {}

    def tensor(self, a, e, where):
        check(isinstance(a, torch.Tensor), where, f'expected a tensor, got {type(a).__name__}')
        check(a.dtype == DTYPES[e['dtype']], where, f'dtype {a.dtype}, expected {e["dtype"]}')
        check(list(a.shape) == e['shape'], where, f'shape {list(a.shape)}, expected {e["shape"]}')
        if 'stride' in e:
            check(list(a.stride()) == e['stride'], where, f'stride {list(a.stride())}, expected {e["stride"]}')
            check(a.storage_offset() == e['offset'], where, f'offset {a.storage_offset()}, expected {e["offset"]}')
        check(a.requires_grad == e.get('requiresGrad', False), where, f'requires_grad {a.requires_grad}')
        got = a.detach().reshape(-1).tolist()
        want = e['data']
        check(len(got) == len(want), where, f'{len(got)} values, expected {len(want)}')
        for i, (x, y) in enumerate(zip(got, want)):
            if isinstance(y, str):
                ok = math.isnan(x) if y == 'nan' else x == (math.inf if y == 'inf' else -math.inf)
            else:
                ok = x == y
            check(ok, where, f'value {i} is {x}, expected {y}')
        if 'storage' in e and a.numel() > 0:
            ptr = a.storage().data_ptr()
            had = self.storages.setdefault(e['storage'], ptr)
            check(had == ptr, where, f'does not share storage {e["storage"]} with the tensors saved with it')
            others = [k for k, p in self.storages.items() if p == ptr and k != e['storage']]
            check(not others, where, f'shares a storage with storage group {others}, which it should not')
        if 'id' in e:
            had = self.ids.setdefault(e['id'], a)
            check(had is a, where, f'is not the same object as the other tensor {e["id"]}')

    def value(self, a, e, where):
        if isinstance(e, dict) and '$tensor' in e:
            return self.tensor(a, e['$tensor'], where)
        if isinstance(e, dict) and '$dict' in e:
            want_type = collections.OrderedDict if e.get('ordered') else dict
            check(type(a) is want_type, where, f'a {type(a).__name__}, expected {want_type.__name__}')
            keys = [int(k) if is_int else k for k, is_int, _ in e['$dict']]
            check(list(a.keys()) == keys, where, f'keys {list(a.keys())}, expected {keys}')
            got_types = [type(k).__name__ for k in a.keys()]
            want_types = [type(k).__name__ for k in keys]
            check(got_types == want_types, where, f'key types {got_types}, expected {want_types}')
            for (_k, _is_int, v), key in zip(e['$dict'], keys):
                self.value(a[key], v, f'{where}[{key!r}]')
            if 'metadata' in e:
                check(hasattr(a, '_metadata'), where, 'has no _metadata')
                self.value(a._metadata, e['metadata'], f'{where}._metadata')
            return
        if isinstance(e, dict) and '$list' in e:
            check(type(a) is list, where, f'a {type(a).__name__}, expected a list')
            check(len(a) == len(e['$list']), where, f'length {len(a)}, expected {len(e["$list"])}')
            for i, (x, y) in enumerate(zip(a, e['$list'])):
                self.value(x, y, f'{where}[{i}]')
            return
        if isinstance(e, dict) and '$bigint' in e:
            check(type(a) is int and a == int(e['$bigint']), where, f'{a!r}, expected {e["$bigint"]}')
            return
        if e is None or isinstance(e, (bool, str)):
            check(type(a) is type(e) and a == e, where, f'{a!r}, expected {e!r}')
            return
        if isinstance(e, int):
            check(type(a) is int and a == e, where, f'{a!r} ({type(a).__name__}), expected the int {e}')
            return
        check(same_number(a, e), where, f'{a!r}, expected {e!r}')


def read_safetensors(p):
    with open(p, 'rb') as f:
        b = f.read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n])
    data = b[8 + n:]
    meta = header.pop('__metadata__', None)
    out = {}
    end = 0
    for k, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
        s, e = info['data_offsets']
        check(s == end, k, f'starts at {s}, not at the end of the previous tensor ({end})')
        end = e
        dt = ST_DTYPES[info['dtype']]
        raw = bytearray(data[s:e])
        t = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.zeros(0, dtype=torch.uint8)
        t = (t.to(torch.bool) if dt == torch.bool else t.view(dt)).reshape(info['shape'])
        out[k] = t
    check(end == len(data), 'data', f'{len(data) - end} bytes after the last tensor')
    order = [k for k in json.loads(b[8:8 + n]) if k != '__metadata__']
    return {k: out[k] for k in order}, meta


def main():
    d = sys.argv[1]
    with open(os.path.join(d, 'manifest.json')) as f:
        manifest = json.load(f)
    print('torch', torch.__version__)
    for c in manifest['cases']:
        p = os.path.join(d, c['file'])
        try:
            if c['file'].endswith('.safetensors'):
                obj, meta = read_safetensors(p)
                check(meta == c.get('metadata'), 'metadata', f'{meta}, expected {c.get("metadata")}')
                Checker().value(obj, c['value'], 'obj')
            else:
                obj = torch.load(p, weights_only=True) if c['weightsOnly'] else torch.load(p)
                Checker().value(obj, c['value'], 'obj')
            if c.get('loadInto') == 'linear_4_3':
                torch.nn.Linear(4, 3).load_state_dict(obj)
        except Mismatch as e:
            print(f'MISMATCH {c["file"]}: {e}')
            sys.exit(1)
        except Exception as e:  # noqa: BLE001 - any failure to read is the finding
            print(f'ERROR {c["file"]}: {type(e).__name__}: {e}')
            sys.exit(1)
        print('ok', c['file'], '(weights_only=True)' if c.get('weightsOnly') else '')


if __name__ == '__main__':
    main()
