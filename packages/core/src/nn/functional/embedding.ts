import { recordOp } from '../../autograd/graph.js';
import { noGrad } from '../../engine.js';
import { DTypeError, ShapeError, shapeStr, ValueError } from '../../errors.js';
import { fromHost } from '../../ops/creation.js';
import { indexSelect } from '../../ops/indexing.js';
import { alloc, checkSameBackend } from '../../ops/util.js';
import { Tensor } from '../../tensor.js';

/**
 * `torch.nn.functional.embedding(input, weight, { paddingIdx })`: row `input[i]` of
 * `weight` [num, dim] for every index, shape `[...input.shape, dim]`. Rows at `paddingIdx`
 * get no gradient, as in PyTorch. (`max_norm` is not supported.) Gradient node:
 * `EmbeddingBackward0`; the gradient is dense (stepwise has no sparse tensors).
 */
export function embedding(input: Tensor, weight: Tensor, opts: { paddingIdx?: number | null } = {}): Tensor {
  if (!(input instanceof Tensor) || !(weight instanceof Tensor)) {
    throw new TypeError('embedding(input, weight): input and weight must be Tensors');
  }
  if (input.dtype !== 'int32') {
    throw new DTypeError(`embedding: indices must be int32 (PyTorch's Long), got dtype ${input.dtype}`);
  }
  if (weight.dim() !== 2)
    throw new ShapeError(`embedding: weight must be 2-D [num, dim], got ${shapeStr(weight.shape)}`);
  const backend = checkSameBackend('embedding', input, weight);
  const [num, dim] = weight.shape as [number, number];
  let pad = opts.paddingIdx ?? null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad < -num || pad >= num) {
      throw new ValueError(`embedding: paddingIdx must be within num_embeddings (${num}), got ${pad}`);
    }
    if (pad < 0) pad += num;
  }
  const flat = input.reshape([-1]);
  const rows = noGrad(() => indexSelect(weight, 0, flat));
  const out = rows.reshape([...input.shape, dim]);
  if (rows !== out) rows.dispose();
  return recordOp(
    out,
    'EmbeddingBackward0',
    [weight],
    (grad) => {
      const gw = alloc(weight.shape, grad.dtype, backend);
      backend.indexAdd(gw.storage, flat.storage, grad.storage, 1, num, dim);
      if (pad === null) return [gw];
      const keep = new Float64Array(num).fill(1);
      keep[pad] = 0;
      const mask = fromHost(keep, [num, 1], { dtype: grad.dtype, backend });
      return [gw.mul(mask)];
    },
    [],
  );
}
