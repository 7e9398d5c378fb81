"""Golden fixtures for stepwise's autograd behaviours.

Run by hand:  /usr/bin/python3 tooling/golden/autograd.py
Writes packages/conformance/fixtures/autograd.json: the values every scenario of
packages/conformance/src/suites/autograd.ts must reproduce, plus PyTorch's error messages
(the suite checks our messages contain the key phrase).
"""
import torch

from common import error_message, flat, meta, tens, write

D = torch.float64
x0 = [0.5, -1.25, 2.0]
out = {}

# 1. accumulation over two backward calls (two separate graphs)
x = torch.tensor(x0, dtype=D, requires_grad=True)
(x * x).sum().backward()
g1 = flat(x.grad)
(x * x).sum().backward()
out['accumulate'] = {'x': x0, 'afterFirst': g1, 'afterSecond': flat(x.grad), 'program': 'sum(x*x) twice'}

# 2. retain_graph: a second backward through the same graph
x = torch.tensor(x0, dtype=D, requires_grad=True)
y = x.exp().mul(x).sum()
y.backward(retain_graph=True)
first = flat(x.grad)
y.backward()
second = flat(x.grad)
x = torch.tensor(x0, dtype=D, requires_grad=True)
y = x.exp().mul(x).sum()
y.backward()
cls, msg = error_message(lambda: y.backward())
out['retainGraph'] = {
    'x': x0, 'program': 'sum(exp(x)*x)', 'afterFirst': first, 'afterSecond': second,
    'error': {'type': cls, 'message': msg, 'keyPhrase': 'second time'},
}

# 3. no_grad / enable_grad
x = torch.tensor(x0, dtype=D, requires_grad=True)
with torch.no_grad():
    y = x * 2
    with torch.enable_grad():
        z = x * 3
out['noGrad'] = {
    'x': x0, 'y': flat(y), 'yRequiresGrad': y.requires_grad, 'yGradFn': None if y.grad_fn is None else y.grad_fn.name(),
    'yIsLeaf': y.is_leaf, 'zRequiresGrad': z.requires_grad, 'zGradFn': z.grad_fn.name(),
}

# 4. non-leaf .grad is None; leaf flags
x = torch.tensor(x0, dtype=D, requires_grad=True)
c = torch.tensor([1.0, 2.0, 3.0], dtype=D)
y = x * c
z = y.sum()
z.backward()
out['nonLeaf'] = {
    'x': x0, 'c': [1.0, 2.0, 3.0], 'program': 'sum(x*c)', 'xGrad': flat(x.grad),
    'yGradIsNone': y.grad is None, 'yIsLeaf': y.is_leaf, 'xIsLeaf': x.is_leaf, 'cIsLeaf': c.is_leaf,
    'cRequiresGrad': c.requires_grad, 'yRequiresGrad': y.requires_grad, 'cGradIsNone': c.grad is None,
}

# 5. autograd.grad: returns gradients, leaves .grad untouched
x = torch.tensor(x0, dtype=D, requires_grad=True)
w = torch.tensor([2.0, -1.0, 0.25], dtype=D, requires_grad=True)
L = (x.pow(3) * w).sum()
gx, gw = torch.autograd.grad(L, [x, w])
out['autogradGrad'] = {
    'x': x0, 'w': [2.0, -1.0, 0.25], 'program': 'sum(x^3 * w)', 'gx': flat(gx), 'gw': flat(gw),
    'xGradIsNone': x.grad is None, 'wGradIsNone': w.grad is None,
}

# 6. detach
x = torch.tensor(x0, dtype=D, requires_grad=True)
y = (x * 2).detach()
out['detach'] = {'x': x0, 'y': flat(y), 'requiresGrad': y.requires_grad, 'isLeaf': y.is_leaf, 'gradFnIsNone': y.grad_fn is None}

# 7. in-place on a leaf that requires grad
x = torch.tensor(x0, dtype=D, requires_grad=True)
cls, msg = error_message(lambda: x.add_(1))
out['leafInPlace'] = {'error': {'type': cls, 'message': msg, 'keyPhrase': 'a leaf Variable that requires grad is being used in an in-place operation'}}
# allowed under no_grad
x = torch.tensor(x0, dtype=D, requires_grad=True)
with torch.no_grad():
    x.mul_(2)
out['leafInPlaceNoGrad'] = {'x': x0, 'after': flat(x), 'requiresGrad': x.requires_grad, 'isLeaf': x.is_leaf}

# 8. version counter: a saved tensor modified in place
x = torch.tensor(x0, dtype=D, requires_grad=True)
a = x * 2
b = a * a  # saves a
a.add_(1)
cls, msg = error_message(lambda: b.sum().backward())
out['versionCounter'] = {'error': {'type': cls, 'message': msg, 'keyPhrase': 'modified by an inplace operation'}}
x = torch.tensor(x0, dtype=D, requires_grad=True)
e = x.exp()  # saves its result
e.mul_(2)
cls, msg = error_message(lambda: e.sum().backward())
out['versionCounterOutput'] = {'error': {'type': cls, 'message': msg, 'keyPhrase': 'modified by an inplace operation'}}

# 9. in-place on a non-leaf that nothing saved: fine, gradient flows through
x = torch.tensor(x0, dtype=D, requires_grad=True)
a = x * 2
a.mul_(3)
a.add_(1)
a.sum().backward()
out['nonLeafInPlace'] = {'x': x0, 'program': '((x*2).mul_(3).add_(1)).sum()', 'a': flat(a), 'xGrad': flat(x.grad), 'gradFn': a.grad_fn.name()}

# 10. a leaf used twice in one graph
x = torch.tensor(x0, dtype=D, requires_grad=True)
(x * x + x).sum().backward()
out['usedTwice'] = {'x': x0, 'program': 'sum(x*x + x)', 'xGrad': flat(x.grad)}

# 11. backward of a non-scalar without gradient; and with an explicit gradient
x = torch.tensor(x0, dtype=D, requires_grad=True)
y = x * x
cls, msg = error_message(lambda: y.backward())
out['nonScalar'] = {'error': {'type': cls, 'message': msg, 'keyPhrase': 'scalar outputs'}}
gv = [1.0, 0.5, -2.0]
y.backward(torch.tensor(gv, dtype=D))
out['explicitGradient'] = {'x': x0, 'gradient': gv, 'program': '(x*x).backward(gradient)', 'xGrad': flat(x.grad)}

# 12. assignable .grad, then backward accumulates into it
x = torch.tensor(x0, dtype=D, requires_grad=True)
x.grad = torch.ones_like(x)
(x * 3).sum().backward()
out['assignGrad'] = {'x': x0, 'program': 'x.grad = onesLike(x); sum(3x).backward()', 'xGrad': flat(x.grad)}

# 13. requires_grad propagation through mixed inputs; a graph with no grad leaves
x = torch.tensor(x0, dtype=D)
w = torch.tensor([1.0, 1.0, 1.0], dtype=D, requires_grad=True)
y = x + w
out['propagation'] = {'mixedRequiresGrad': y.requires_grad, 'mixedGradFn': y.grad_fn.name(),
                      'plainRequiresGrad': (x + x).requires_grad}
x = torch.tensor(x0, dtype=D)
cls, msg = error_message(lambda: x.sum().backward())
out['noGradBackward'] = {'error': {'type': cls, 'message': msg, 'keyPhrase': 'does not require grad'}}

# 14. requires_grad_ on an int tensor is an error (only floating point tensors)
cls, msg = error_message(lambda: torch.tensor([1, 2], dtype=torch.int32).requires_grad_())
out['intRequiresGrad'] = {'error': {'type': cls, 'message': msg, 'keyPhrase': 'floating point'}}

# 15. detach_ and zero_ of a grad
x = torch.tensor(x0, dtype=D, requires_grad=True)
y = x * 2
y.detach_()
out['detachInPlace'] = {'y': flat(y), 'requiresGrad': y.requires_grad, 'isLeaf': y.is_leaf}

# 16. deeper chain: the seed's loss, gradient wrt w and b (float64)
X = torch.tensor([[2.5, 1.3, 6.2, 1.3, 5.4, 6, 4.3, 8.2], [-1.2, 2.5, 3.6, 4, 3.4, 2.3, 7.2, 3.9]], dtype=D).T
Y = torch.tensor([0, 0, 1, 0, 1, 1, 1, 1])
w = torch.tensor([2.0, 2.0], dtype=D, requires_grad=True)
b = torch.tensor([1.0], dtype=D, requires_grad=True)
z = X.matmul(w).add(b)
L = torch.log(torch.exp(z).add(1)).sub(Y.mul(z)).sum()
L.backward()
out['seedGradient'] = {'loss': float(L), 'wGrad': flat(w.grad), 'bGrad': flat(b.grad), 'lossGradFn': L.grad_fn.name(), 'zGradFn': z.grad_fn.name()}

write('autograd', {'meta': meta('autograd.py', 'autograd behaviours: accumulation, retainGraph, noGrad, non-leaf grads, autograd.grad, detach, in-place errors'), **out})
