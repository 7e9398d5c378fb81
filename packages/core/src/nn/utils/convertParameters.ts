/** `torch.nn.utils.parameters_to_vector` and `vector_to_parameters`. */
import { noGrad } from '../../engine.js';
import { ShapeError, shapeStr } from '../../errors.js';
import { cat } from '../../ops/shape.js';
import { Tensor } from '../../tensor.js';
import { describe } from '../module.js';

function listOf(what: string, parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : [...parameters];
  for (const p of list) {
    if (!(p instanceof Tensor)) throw new TypeError(`${what}: expected Tensors, got ${describe(p)}`);
  }
  if (list.length > 1) {
    const b = list[0]!.backend;
    for (const p of list) {
      if (p.backend !== b) {
        throw new TypeError(
          `${what}: Found two parameters on different backends, this is currently not supported ('${b.name}' and '${p.backend.name}').`,
        );
      }
    }
  }
  return list;
}

/**
 * `parameters_to_vector(parameters)`: every parameter flattened and concatenated into one
 * 1-D tensor (differentiable, as PyTorch's `torch.cat([p.view(-1) ...])`).
 */
export function parametersToVector(parameters: Tensor | Iterable<Tensor>): Tensor {
  const list = listOf('parameters_to_vector', parameters);
  if (list.length === 0) throw new ShapeError('parameters_to_vector: expected at least one parameter');
  return cat(
    list.map((p) => p.reshape([-1])),
    0,
  );
}

/**
 * `vector_to_parameters(vec, parameters)`: copies consecutive slices of the 1-D `vec` into
 * the parameters, in place (PyTorch's `param.data = vec[...].view_as(param)`; here a
 * `copy_` under noGrad, so the parameters stay the same tensors and the optimizer keeps them).
 */
export function vectorToParameters(vec: Tensor, parameters: Tensor | Iterable<Tensor>): void {
  if (!(vec instanceof Tensor)) throw new TypeError(`expected torch.Tensor, but got: ${describe(vec)}`);
  const list = listOf('vector_to_parameters', parameters);
  const total = list.reduce((n, p) => n + p.numel(), 0);
  if (vec.dim() !== 1 || vec.numel() !== total) {
    throw new ShapeError(
      `vector_to_parameters: vec must be 1-D with ${total} elements (the parameters' total), got shape ${shapeStr(vec.shape)}`,
    );
  }
  noGrad(() => {
    let at = 0;
    for (const p of list) {
      const n = p.numel();
      p.copy_(vec.narrow(0, at, n).reshape(p.shape));
      at += n;
    }
  });
}
