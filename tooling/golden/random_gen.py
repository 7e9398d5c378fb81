"""Golden values of PyTorch's CPU generator and samplers: torch.Generator, get/set_rng_state,
randn/normal (vectorised and scalar paths, the cached second value), in-place fills,
bernoulli, multinomial, normal with tensor mean/std, randint/randperm/random_, the other
distributions, nn.init's random initialisers, dropout and DataLoader shuffling.

Run: /usr/bin/python3 tooling/golden/random_gen.py  (PyTorch 1.13, Debian's python3-torch)
Writes packages/conformance/fixtures/random_gen.json.

Each case is a small program replayed by packages/conformance/src/suites/random.ts:
`torch.manual_seed(seed)`, generators `gens` ({name: seed}) made with
`torch.Generator().manual_seed(s)`, then `steps` in order; `outs[i]` is step i's result
({shape, dtype, data}, or a list for DataLoader orders and states). `exact` says the values
are compared bit for bit (float32 everywhere; float64 where no libm function is involved);
otherwise float64 values agree to a few ulps (the JS engine's log/sin/cos against glibc's).

The values are those of x86-64 with PyTorch's default AVX2 kernels (this machine's
`torch.__config__.show()`: "CPU capability usage: AVX2"); float32 normals of 16 or more
elements differ in the last bit on machines without AVX2 (ATEN_CPU_CAPABILITY=default).
"""
import torch
import torch.nn.functional as F

from common import flat, meta, tens, write

assert 'CPU capability usage: AVX2' in torch.__config__.show() or 'AVX512' in torch.__config__.show(), \
    'run on x86-64 with AVX2: the float32 normals differ without it'

DT = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int32, 'bool': torch.bool}


def make(spec):
    """A tensor from a fixture spec {data, shape, dtype} (a number stays a number)."""
    if isinstance(spec, dict):
        return torch.tensor(spec['data'], dtype=DT[spec['dtype']]).reshape(spec['shape'])
    return spec


def run(step, gens):
    op, args = step[0], step[1:]
    kw = dict(args[-1]) if args and isinstance(args[-1], dict) and 'data' not in args[-1] else {}
    if kw:
        args = args[:-1]
    g = gens.get(kw.pop('gen', None))
    dtype = DT[kw.pop('dtype', 'float32')]
    if op in ('rand', 'randn'):
        return getattr(torch, op)(*args[0], dtype=dtype, generator=g)
    if op == 'normal':  # numbers mean, std, size
        return torch.normal(args[0], args[1], tuple(args[2]), dtype=dtype, generator=g)
    if op == 'normalT':  # tensor (or number) mean, std
        return torch.normal(make(args[0]), make(args[1]), generator=g)
    if op == 'randint':
        has_dtype = isinstance(step[-1], dict) and 'dtype' in step[-1]
        return torch.randint(args[0], args[1], tuple(args[2]), dtype=dtype if has_dtype else torch.int64,
                             generator=g)
    if op == 'randperm':
        return torch.randperm(args[0], generator=g)
    if op == 'fill':  # in-place method on empty(shape) (or a transposed view of one)
        method, shape, margs = args[0], args[1], args[2]
        if kw.pop('transposed', False):
            t = torch.zeros(shape[::-1], dtype=dtype).t()
        else:
            t = torch.zeros(shape, dtype=dtype)
        margs = [make(a) for a in margs]
        getattr(t, method)(*margs, generator=g)
        return t
    if op == 'bernoulli':  # tensor of probabilities, or zeros(shape) with a number p
        if len(args) == 2:
            return torch.bernoulli(torch.zeros(args[0], dtype=dtype), args[1], generator=g)
        return torch.bernoulli(make(args[0]), generator=g)
    if op == 'multinomial':
        return torch.multinomial(make(args[0]), args[1], replacement=args[2], generator=g)
    if op == 'state':
        return (g.get_state() if g is not None else torch.get_rng_state()).tolist()
    if op == 'init':  # nn.init.<fn>(empty(shape, dtype), **kwargs)
        t = torch.empty(args[1], dtype=dtype)
        getattr(torch.nn.init, args[0])(t, **kw)
        return t
    if op == 'dropout':  # F.dropout(arange(n) + 1, p)
        return F.dropout(torch.arange(1, args[0] + 1, dtype=dtype), args[1])
    if op == 'linear':  # nn.Linear(in, out) default init: [weight, bias]
        m = torch.nn.Linear(args[0], args[1], dtype=dtype)
        return [tens(m.weight), tens(m.bias)]
    if op == 'embedding':
        return torch.nn.Embedding(args[0], args[1], dtype=dtype).weight
    if op == 'loader':  # one epoch's order of DataLoader(TensorDataset(arange(n)), ...)
        n, batch, shuffle = args
        ds = torch.utils.data.TensorDataset(torch.arange(n))
        loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=shuffle, generator=g)
        return [int(i) for (b,) in loader for i in b]
    raise ValueError(op)


def out(v):
    if isinstance(v, torch.Tensor):
        return tens(v.detach())
    return v


cases = []


def case(name, seed, steps, gens=None, exact=True):
    torch.manual_seed(seed)
    made = {k: torch.Generator().manual_seed(s) for k, s in (gens or {}).items()}
    outs = [out(run(s, made)) for s in steps]
    cases.append({'name': name, 'seed': seed, 'gens': gens or {}, 'steps': steps, 'outs': outs, 'exact': exact})


def T(data, dtype='float32', shape=None):
    return {'data': data, 'dtype': dtype, 'shape': shape if shape is not None else [len(data)]}


# randn: the scalar path (< 16) and the vectorised one (>= 16, the tail redrawn).
for seed in (0, 42):
    for n in (1, 7, 15, 16, 17, 31, 32, 100, 1000):
        case(f'randn({n}) float32', seed, [['randn', [n], {'dtype': 'float32'}]])
        case(f'randn({n}) float64', seed, [['randn', [n], {'dtype': 'float64'}]], exact=False)
case('randn([4, 5]) float32 (20 elements: vectorised)', 3, [['randn', [4, 5]]])
case('randn([2, 3]) float32', 3, [['randn', [2, 3]]])
# The scalar path caches its second value on the generator, across calls; the vectorised
# path neither uses nor clears it; manual_seed clears it.
case('randn(3) twice: the cached value starts the second call', 5,
     [['randn', [3], {'dtype': 'float64'}], ['randn', [3], {'dtype': 'float64'}]], exact=False)
case('randn(1), randn(20), randn(1): the vectorised call keeps the cache', 6,
     [['randn', [1]], ['randn', [20]], ['randn', [1]]])
case('randn(5) then the state (the cached value is in it)', 5,
     [['randn', [5], {'dtype': 'float64'}], ['state']], exact=False)
case('state after manual_seed', 123, [['state']])
case('state after rand(700) (past the first twist)', 9, [['rand', [700]], ['state']])
case('normal(0.3, 1.7, [40]) float32', 1, [['normal', 0.3, 1.7, [40]]])
case('normal(2, 0.5, [5]) float32', 1, [['normal', 2.0, 0.5, [5]]])
case('normal(-1, 3, [24]) float64', 1, [['normal', -1.0, 3.0, [24], {'dtype': 'float64'}]], exact=False)
# Generators: their own streams, the default one untouched.
case('rand with a generator, the default stream independent', 0,
     [['rand', [5], {'gen': 'g'}], ['rand', [3]], ['rand', [4], {'gen': 'g'}], ['randn', [17], {'gen': 'g'}],
      ['state', {'gen': 'g'}]], gens={'g': 7})
case('two generators with one seed agree', 0,
     [['randn', [6], {'gen': 'a'}], ['randn', [6], {'gen': 'b'}], ['randperm', 10, {'gen': 'a'}]],
     gens={'a': 2024, 'b': 2024})
case('rand float64 with a generator', 0, [['rand', [6], {'gen': 'g', 'dtype': 'float64'}]], gens={'g': 99})
# In-place fills.
case('uniform_(-0.37, 2.9) float32', 2, [['fill', 'uniform_', [50], [-0.37, 2.9]]])
case('uniform_(-3, 5) float64', 2, [['fill', 'uniform_', [10], [-3.0, 5.0], {'dtype': 'float64'}]])
case('normal_(0.3, 1.7) float32, 33 elements', 2, [['fill', 'normal_', [33], [0.3, 1.7]]])
case('normal_(0.3, 1.7) float32, 9 elements', 2, [['fill', 'normal_', [9], [0.3, 1.7]]])
case('normal_(-1, 2) float64, 20 elements', 2, [['fill', 'normal_', [20], [-1.0, 2.0], {'dtype': 'float64'}]],
     exact=False)
case('normal_ on a transposed view (scalar path, storage order)', 4,
     [['fill', 'normal_', [8, 5], [0.0, 1.0], {'transposed': True}]])
case('uniform_ on a transposed view (storage order)', 4, [['fill', 'uniform_', [3, 4], [0.0, 1.0], {'transposed': True}]])
case('bernoulli_(0.3) float32', 8, [['fill', 'bernoulli_', [25], [0.3]]])
case('bernoulli_(p tensor) float32', 8, [['fill', 'bernoulli_', [2, 6], [T([0.1, 0.5, 0.9, 0.0, 1.0, 0.25])]]])
case('random_() float32, float64, int32, bool', 8,
     [['fill', 'random_', [5], []], ['fill', 'random_', [4], [], {'dtype': 'float64'}],
      ['fill', 'random_', [5], [], {'dtype': 'int32'}], ['fill', 'random_', [6], [], {'dtype': 'bool'}]])
case('random_(5, 15), random_(10)', 8, [['fill', 'random_', [7], [5, 15]], ['fill', 'random_', [7], [10]]])
case('exponential_(2.5) float32', 10, [['fill', 'exponential_', [20], [2.5]]])
case('exponential_(0.5) float64', 10, [['fill', 'exponential_', [8], [0.5], {'dtype': 'float64'}]], exact=False)
case('cauchy_(0.5, 2) float32', 10, [['fill', 'cauchy_', [12], [0.5, 2.0]]])
case('log_normal_(0.2, 0.5) float32', 10, [['fill', 'log_normal_', [12], [0.2, 0.5]]])
case('geometric_(0.3) float32', 10, [['fill', 'geometric_', [12], [0.3]]])
# bernoulli
case('bernoulli(p) float32', 11, [['bernoulli', T([0.1, 0.2, 0.5, 0.7, 0.9, 0.99, 0.0, 1.0] * 3)]])
case('bernoulli(p) float64', 11, [['bernoulli', T([0.1, 0.2, 0.5, 0.7, 0.9, 0.99, 0.0, 1.0] * 3, 'float64')]])
case('bernoulli(zeros, 0.4)', 11, [['bernoulli', [3, 5], 0.4]])
# multinomial
P1 = T([0.1, 0.2, 0.3, 0.4, 0.0, 1.5])
P2 = T([0.1, 0.2, 0.3, 0.4, 0.0, 1.5, 1, 1, 1, 1, 1, 1], shape=[2, 6])
case('multinomial without replacement', 12,
     [['multinomial', P1, 3, False], ['multinomial', P2, 4, False], ['multinomial', P2, 1, False],
      ['multinomial', P1, 1, True]])
case('multinomial with replacement', 12,
     [['multinomial', P1, 10, True], ['multinomial', P2, 7, True],
      ['multinomial', T([0.3, 0.3, 0.4, 2.0], 'float64'), 12, True]])
case('multinomial with a generator', 0, [['multinomial', P2, 5, True, {'gen': 'g'}],
                                         ['multinomial', P1, 4, False, {'gen': 'g'}]], gens={'g': 31})
# normal with tensor mean / std
case('normal(mean [3,1], std [4]) float32', 13,
     [['normalT', T([0.0, 10.0, -5.0], shape=[3, 1]), T([1.0, 0.5, 2.0, 0.1])]])
case('normal(mean [20], 2.5) float32', 13, [['normalT', T([float(i) for i in range(20)]), 2.5]])
case('normal(1.5, std [18]) float32', 13, [['normalT', 1.5, T([0.1 * i for i in range(18)])]])
case('normal(mean float32 [20], std float64 [20])', 13,
     [['normalT', T([float(i) for i in range(20)]), T([0.3] * 20, 'float64')]])
# integers
case('randint', 14, [['randint', 3, 10, [20]], ['randint', 0, 10, [5]], ['randint', -4, 4, [6], {'dtype': 'float32'}],
                     ['randint', 0, 2 ** 33, [3], {'dtype': 'float64'}]])
case('randperm', 14, [['randperm', 20], ['randperm', 1], ['randperm', 33, {'gen': 'g'}]], gens={'g': 5})
# nn.init
case('nn.init normal_, kaiming_normal_, xavier_normal_', 15,
     [['init', 'normal_', [3, 4], {'mean': 0.5, 'std': 2.0}], ['init', 'kaiming_normal_', [6, 5]],
      ['init', 'xavier_normal_', [10, 8], {'gain': 0.5}], ['init', 'normal_', [4, 5], {'dtype': 'float64'}]], exact=False)
case('nn.init uniform_, kaiming_uniform_, xavier_uniform_', 15,
     [['init', 'uniform_', [3, 4], {'a': -2.0, 'b': 0.5}], ['init', 'kaiming_uniform_', [6, 5], {'a': 2.236}],
      ['init', 'xavier_uniform_', [10, 8], {'gain': 1.5}], ['init', 'uniform_', [5], {'dtype': 'float64'}]])
case('nn.init orthogonal_ (QR to rounding)', 16,
     [['init', 'orthogonal_', [4, 6]], ['init', 'orthogonal_', [5, 3], {'gain': 2.0}]], exact=False)
case('nn.init trunc_normal_ (erfinv to rounding)', 16, [['init', 'trunc_normal_', [20], {'std': 0.5}]], exact=False)
case('nn.Linear and nn.Embedding default init', 17,
     [['linear', 5, 3], ['linear', 4, 2, {'dtype': 'float64'}], ['embedding', 4, 6]])
# dropout
case('F.dropout(p=0.3) float32', 18, [['dropout', 40, 0.3]])
case('F.dropout(p=0.5) float64', 18, [['dropout', 12, 0.5, {'dtype': 'float64'}]])
# DataLoader: every epoch draws a base seed; RandomSampler seeds a generator of its own.
case('DataLoader shuffle: two epochs, then the global stream', 19,
     [['loader', 10, 3, True], ['loader', 10, 3, True], ['rand', [2]]])
case('DataLoader without shuffle still draws its base seed', 19, [['loader', 5, 2, False], ['rand', [2]]])
case('DataLoader with a generator', 0,
     [['loader', 12, 4, True, {'gen': 'g'}], ['loader', 12, 4, True, {'gen': 'g'}], ['rand', [2]]], gens={'g': 77})

g = torch.Generator()
generator_facts = {
    'defaultSeed': g.initial_seed(),
    'afterManualSeed12345': torch.Generator().manual_seed(12345).initial_seed(),
    'stateBytes': len(torch.get_rng_state()),
}

write('random_gen', {
    'meta': meta('random_gen.py', 'the CPU generator and samplers: programs of random calls after manual_seed, '
                  'with torch.Generator streams; outs[i] is step i\'s result',
                  notes=['x86-64, AVX2 kernels (PyTorch\'s default there)',
                         'no MKL (Debian): bernoulli_ with a number p and dropout draw from the MT19937 stream']),
    'generator': generator_facts,
    'cases': cases,
})
