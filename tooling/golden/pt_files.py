"""Golden PyTorch files: .pt checkpoints written by real PyTorch's torch.save, and
safetensors files, for `torch.load` (packages/conformance/src/suites/pytorchFiles.ts).

Run by hand:  /usr/bin/python3 tooling/golden/pt_files.py
Writes packages/conformance/fixtures/pytorch_files/*.pt, *.safetensors and the sidecar
packages/conformance/fixtures/pytorch_files.json, which says for every file either what
it holds (`value`) or what stepwise must refuse (`error`: a regular expression its
CheckpointError message must match). Deterministic: re-running writes the same bytes.

A value in the sidecar:
  {"$tensor": {shape, dtype, data, stride, offset, requiresGrad, storage, id}}
      dtype is stepwise's (int64, int16, int8 and uint8 load as int32); data flat and
      row-major (common.flat); stride and offset as PyTorch has them; tensors with equal
      `storage` share one storage (they must share one after loading too: a write through
      one shows in the other); tensors with equal `id` are one Python object (one JS object);
  {"$dict": [[key, isIntKey, value], ...], "ordered": bool, "metadata": value?}
      a dict / OrderedDict; metadata is an OrderedDict's `_metadata` attribute;
  {"$list": [...]}, {"$tuple": [...]}   both load as arrays;
  {"$float": "nan" | "inf" | "-inf" | "-0"}, {"$bigint": "<decimal>"}, {"$dtype": name};
  numbers, strings, booleans and null as themselves.

The safetensors files are written by `write_safetensors` below (the safetensors package is
not installed; the format is an 8-byte little-endian header length, a JSON header padded
with spaces to a multiple of 8, and the data, laid out as the reference writer lays it out:
largest element size first, then by name).
"""
import collections
import io
import json
import math
import os
import pickle
import struct
import zipfile

import torch
import torch.nn as nn

from common import OUT, flat, meta, write

DIR = os.path.join(OUT, 'pytorch_files')

TARGET_DTYPE = {
    torch.float32: 'float32',
    torch.float64: 'float64',
    torch.int64: 'int32',
    torch.int32: 'int32',
    torch.int16: 'int32',
    torch.int8: 'int32',
    torch.uint8: 'int32',
    torch.bool: 'bool',
}


class Encoder:
    """Encodes a Python value for the sidecar, numbering storages and tensor objects."""

    def __init__(self):
        self.storages = {}
        self.ids = {}

    def tensor(self, t):
        ptr = t.storage().data_ptr()
        # Empty storages all have data_ptr 0: each is its own.
        storage = self.storages.setdefault(ptr if ptr else ('empty', id(t)), len(self.storages))
        ident = self.ids.setdefault(id(t), len(self.ids))
        c = t.detach().contiguous()
        if t.dtype in (torch.int16, torch.int8, torch.uint8):
            data = [int(x) for x in c.reshape(-1).tolist()]
        else:
            data = flat(c)
        return {'$tensor': {
            'shape': list(t.shape),
            'dtype': TARGET_DTYPE[t.dtype],
            'data': data,
            'stride': list(t.stride()),
            'offset': t.storage_offset(),
            'requiresGrad': t.requires_grad,
            'storage': storage,
            'id': ident,
        }}

    def value(self, v):
        if isinstance(v, torch.Tensor):
            return self.tensor(v)
        if isinstance(v, torch.dtype):
            return {'$dtype': str(v).replace('torch.', '')}
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v if abs(v) <= 2 ** 53 else {'$bigint': str(v)}
        if isinstance(v, float):
            if math.isnan(v):
                return {'$float': 'nan'}
            if math.isinf(v):
                return {'$float': 'inf' if v > 0 else '-inf'}
            if v == 0 and math.copysign(1, v) < 0:
                return {'$float': '-0'}
            return v
        if isinstance(v, dict):
            out = {
                '$dict': [[str(k), isinstance(k, int), self.value(x)] for k, x in v.items()],
                'ordered': isinstance(v, collections.OrderedDict),
            }
            if hasattr(v, '_metadata'):
                out['metadata'] = self.value(v._metadata)
            return out
        if isinstance(v, list):
            return {'$list': [self.value(x) for x in v]}
        if isinstance(v, tuple):
            return {'$tuple': [self.value(x) for x in v]}
        raise TypeError(type(v))


cases = []


def path(name):
    return os.path.join(DIR, name)


def save_pt(name, obj, what, buffer=False):
    """torch.save to a path (the zip's folder is the file's stem) or to a buffer ('archive')."""
    if buffer:
        b = io.BytesIO()
        torch.save(obj, b)
        with open(path(name), 'wb') as f:
            f.write(b.getvalue())
    else:
        torch.save(obj, path(name))
    back = torch.load(path(name))  # PyTorch reads back what it wrote
    cases.append({'file': name, 'what': what, 'value': Encoder().value(back)})


def refused(name, error, what):
    cases.append({'file': name, 'what': what, 'error': error})


def st_bytes(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes()


ST_CODE = {
    torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.bfloat16: 'BF16',
    torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8',
    torch.uint8: 'U8', torch.bool: 'BOOL',
}


def write_safetensors(name, tensors, metadata=None):
    order = sorted(tensors.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header = {}
    if metadata is not None:
        header['__metadata__'] = metadata
    data = b''
    for k, t in order:
        b = st_bytes(t)
        header[k] = {'dtype': ST_CODE[t.dtype], 'shape': list(t.shape),
                     'data_offsets': [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * (-len(h) % 8)
    with open(path(name), 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + data)
    return [k for k, _ in order]


class Exploit:
    """What a hostile file holds: unpickling it (PyTorch without weights_only) runs a shell command."""

    def __reduce__(self):
        return (os.system, ('echo stepwise-was-exploited',))


def main():
    os.makedirs(DIR, exist_ok=True)
    for f in os.listdir(DIR):
        os.remove(os.path.join(DIR, f))
    g = torch.Generator().manual_seed(14)

    def randn(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=g, dtype=dtype)

    # Single tensors.
    save_pt('float32.pt', randn(3, 4), 'one float32 tensor [3, 4]')
    save_pt('float64.pt', randn(2, 3, dtype=torch.float64), 'one float64 tensor [2, 3]')
    save_pt('int64.pt', torch.tensor([0, -1, 2 ** 31 - 1, -2 ** 31, 42]), 'int64 within int32: loads as int32')
    save_pt('int32.pt', torch.tensor([[1, -2], [3, 2 ** 30]], dtype=torch.int32), 'one int32 tensor')
    save_pt('bool.pt', torch.tensor([True, False, True]), 'one bool tensor')
    save_pt('special.pt', torch.tensor([math.nan, math.inf, -math.inf, -0.0, 1e-45, 3.4028234663852886e38, 1.5]),
            'float32 NaN, infinities, -0, the smallest subnormal, the largest float')
    save_pt('scalar.pt', {'f': torch.tensor(3.5), 'i': torch.tensor(7)}, '0-dim float32 and int64 tensors')
    save_pt('empty.pt', {'e0': torch.zeros(0), 'e03': torch.zeros(0, 3), 'e30': torch.zeros(3, 0, dtype=torch.float64)},
            'empty tensors')
    save_pt('small_ints.pt', {'u8': torch.tensor([0, 7, 255], dtype=torch.uint8),
                              'i8': torch.tensor([-128, 0, 127], dtype=torch.int8),
                              'i16': torch.tensor([-32768, 1, 32767], dtype=torch.int16)},
            'uint8, int8 and int16 tensors: widened to int32')

    # Layouts and sharing.
    save_pt('transposed.pt', torch.arange(12.).reshape(3, 4).t(), 'a transposed (non-contiguous) tensor: stride (1, 4)')
    base = torch.arange(10.)
    save_pt('shared_views.pt', {'base': base, 'a': base[2:5], 'b': base.view(2, 5), 'c': base[::3],
                                'd': base.view(2, 5).t(), 'again': base},
            'views of one storage (offset, stepped, transposed) and one tensor saved twice')
    save_pt('offset_view.pt', torch.arange(10.)[3:7], 'a view at storage offset 3: the whole storage is saved')
    save_pt('expanded.pt', torch.tensor([1., 2., 3.]).expand(4, 3), 'an expanded tensor: stride (0, 1)')
    save_pt('requires_grad.pt', {'param': nn.Parameter(randn(3)), 'leaf': randn(2).requires_grad_(),
                                 'plain': randn(2)},
            'an nn.Parameter (_rebuild_parameter), a leaf requiring grad, a plain tensor')

    # Containers and Python values.
    containers = {
        'list': [1, -2, 2 ** 40, 2.5, 'text', None, True, False],
        'tuple': (1, 'a', (2, 3)),
        'int_keys': {0: 'zero', 1: 'one', 10: 'ten'},
        'ordered': collections.OrderedDict([('b', 1), ('a', [{'x': torch.tensor([1., 2.])}])]),
        'empty_list': [],
        'empty_dict': {},
        'empty_tuple': (),
        'unicode': 'h\u00e9llo \u2713 \U0001d518',
        'neg': -5,
        'min_int32': -2 ** 31,
        'huge': 2 ** 70,
        'neg_huge': -(2 ** 70),
        'floats': [0.1, -0.0, math.nan, math.inf, -math.inf, 1e-310],
        'dtype': torch.float32,
        'size': torch.Size([2, 3]),
        'dotted.key': 1,
        'shared_list': None,
    }
    shared = [1, 2]
    containers['shared_list'] = [shared, shared]
    save_pt('containers.pt', containers, 'nested dict/OrderedDict/list/tuple, int keys, numbers, strings, None, '
            'a dtype, a torch.Size; saved to a buffer (folder archive/)', buffer=True)
    save_pt('prototype_keys.pt', {'__proto__': {'polluted': True}, 'constructor': {'polluted': True},
                                  'prototype': 1, 'hasOwnProperty': 2},
            'keys that name JS prototype properties: loaded as plain data, nothing polluted')

    # A module's state dict and a training checkpoint.
    torch.manual_seed(14)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Linear(3, 2))
    model.train()
    model(torch.randn(5, 4))
    save_pt('state_dict.pt', model.state_dict(), 'nn.Sequential(Linear, ReLU, BatchNorm1d, Linear).state_dict() '
            'after one training forward: OrderedDict with _metadata, int64 num_batches_tracked')
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(2):
        opt.zero_grad()
        model(torch.randn(5, 4)).square().sum().backward()
        opt.step()
    save_pt('checkpoint.pt', {'model': model.state_dict(), 'optimizer': opt.state_dict(), 'epoch': 3, 'loss': 0.25},
            "a training checkpoint: model and Adam state dicts (PyTorch's layout: int keys, snake_case), epoch, loss")

    # What stepwise refuses, with the words it must use.
    torch.save({'ok': torch.tensor([1]), 'big': torch.tensor([1, 2 ** 31])}, path('int64_overflow.pt'))
    refused('int64_overflow.pt', r'int64 tensor at obj\.big holds 2147483648', 'an int64 value outside int32')
    torch.save({'h': randn(3).half()}, path('float16.pt'))
    refused('float16.pt', r'float16 tensor at obj\.h', 'a float16 tensor')
    torch.save({'w': randn(2).to(torch.bfloat16)}, path('bfloat16.pt'))
    refused('bfloat16.pt', r'bfloat16 tensor at obj\.w', 'a bfloat16 tensor')
    # (No tensor in it: the legacy format names storages by their address, which changes every run.)
    torch.save({'w': [1, 2, 3]}, path('legacy.pt'), _use_new_zipfile_serialization=False)
    refused('legacy.pt', r'legacy PyTorch file.*PyTorch >= 1\.6', 'the legacy (pre-1.6) format')
    torch.save({'w': torch.ones(2), 'payload': Exploit()}, path('malicious.pt'))
    refused('malicious.pt', r"global '(posix|os|nt)\.system'.*refused", "a pickle whose __reduce__ calls os.system")
    deep = 1
    for _ in range(300):
        deep = [deep]
    torch.save(deep, path('deep.pt'))
    refused('deep.pt', r'nested deeper than 256', 'lists nested 300 deep')
    # A file from a big-endian machine: PyTorch >= 2 records the byte order; 1.13 cannot
    # write one, so the records of float32.pt are copied with byteorder 'big' added.
    with zipfile.ZipFile(path('float32.pt')) as src, zipfile.ZipFile(path('big_endian.pt'), 'w') as dst:
        for info in src.infolist():
            info.date_time = (1980, 1, 1, 0, 0, 0)
            dst.writestr(info, src.read(info.filename))
            if info.filename.endswith('data.pkl'):
                order = zipfile.ZipInfo('float32/byteorder', (1980, 1, 1, 0, 0, 0))
                dst.writestr(order, b'big')
    refused('big_endian.pt', r'big-endian', "byteorder 'big'")
    # Hand-made damage, each a zip of stored records as PyTorch writes them.
    def rezip(src_name, name, edit):
        with zipfile.ZipFile(path(src_name)) as src, zipfile.ZipFile(path(name), 'w') as dst:
            for info in src.infolist():
                info.date_time = (1980, 1, 1, 0, 0, 0)
                data = edit(info, src.read(info.filename))
                if data is not None:
                    dst.writestr(info, data)

    def pickle_zip(name, pkl):
        with zipfile.ZipFile(path(name), 'w') as dst:
            for rec, data in [('archive/data.pkl', pkl), ('archive/version', b'3\n')]:
                dst.writestr(zipfile.ZipInfo(rec, (1980, 1, 1, 0, 0, 0)), data)

    rezip('float32.pt', 'short_record.pt',
          lambda info, data: data[:40] if info.filename.endswith('data/0') else data)
    refused('short_record.pt', r'declares 12 float32 elements \(48 bytes\), but its record holds 40 bytes',
            "a storage record shorter than its pickle's element count")

    def move_offset(info, data):
        if not info.filename.endswith('data.pkl'):
            return data
        at = data.index(b'Q') + 1  # BINPERSID, then the storage offset: BININT1 3
        assert data[at:at + 2] == b'K\x03'
        return data[:at] + b'K\x09' + data[at + 2:]
    rezip('offset_view.pt', 'view_out_of_bounds.pt', move_offset)
    refused('view_out_of_bounds.pt', r'reaches element 12 of storage .0., which has 10',
            'a view (offset moved from 3 to 9) reaching past its storage')

    def deflate(info, data):
        info.compress_type = zipfile.ZIP_DEFLATED
        return data
    rezip('float32.pt', 'deflated.pt', deflate)
    refused('deflated.pt', r'compressed \(method 8\)', 'records compressed with deflate (PyTorch stores them)')
    pickle_zip('marks.pt', b'\x80\x02' + b'(' * 5000 + b'N.')
    refused('marks.pt', r'MARKs nested deeper than 1024', '5,000 nested MARKs')
    pickle_zip('stack_global.pt', pickle.dumps(eval, protocol=4))
    refused('stack_global.pt', r"global 'builtins\.eval'.*refused", 'a protocol-4 pickle of eval (STACK_GLOBAL)')
    cyclic = []
    cyclic.append(cyclic)
    torch.save(cyclic, path('cycle.pt'))
    refused('cycle.pt', r'obj\[0\] contains itself \(a cycle\)', 'a list that contains itself')

    scripted = torch.jit.script(nn.Linear(2, 2))
    torch.jit.save(scripted, path('torchscript.pt'))
    refused('torchscript.pt', r'TorchScript', 'a TorchScript archive (torch.jit.save)')

    # safetensors.
    st = {
        'w': randn(2, 3), 'd': randn(3, dtype=torch.float64),
        'i64': torch.tensor([1, -2, 2 ** 31 - 1, -2 ** 31]), 'i32': torch.tensor([5, -6], dtype=torch.int32),
        'mask': torch.tensor([True, False, True]), 'scalar': torch.tensor(2.5), 'empty': torch.zeros(0, 2),
        'u8': torch.tensor([0, 200], dtype=torch.uint8), 'i16': torch.tensor([-300, 300], dtype=torch.int16),
    }
    order = write_safetensors('tensors.safetensors', st, {'format': 'pt', 'note': 'h\u00e9llo'})
    enc = Encoder()
    cases.append({'file': 'tensors.safetensors', 'what': 'F32, F64, I64, I32, BOOL, U8, I16; 0-dim, empty; metadata',
                  'value': {'$dict': [[k, False, enc.value(st[k])] for k in order], 'ordered': False},
                  'metadata': {'format': 'pt', 'note': 'h\u00e9llo'}})
    write_safetensors('f16.safetensors', {'h': randn(2).half()})
    refused('f16.safetensors', r'"h" is F16 \(float16\)', 'an F16 tensor')
    write_safetensors('bf16.safetensors', {'b': randn(2).to(torch.bfloat16)})
    refused('bf16.safetensors', r'"b" is BF16 \(bfloat16\)', 'a BF16 tensor')
    write_safetensors('i64_overflow.safetensors', {'ok': torch.tensor([1]), 'big': torch.tensor([-2 ** 31 - 1])})
    refused('i64_overflow.safetensors', r'int64 tensor "big" holds -2147483649', 'an I64 value outside int32')

    for c in cases:
        c['bytes'] = os.path.getsize(path(c['file']))
    write('pytorch_files', {
        'meta': meta('pt_files.py', 'PyTorch .pt and safetensors files (in fixtures/pytorch_files/) and what '
                     'torch.load must make of them; see the docstring for the value encoding'),
        'cases': cases,
    })
    total = sum(c['bytes'] for c in cases)
    print(len(cases), 'files,', total, 'bytes')


if __name__ == '__main__':
    main()
