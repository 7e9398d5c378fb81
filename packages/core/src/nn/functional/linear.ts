import { ShapeError, shapeStr } from '../../errors.js';
import { linearWithBias, matmulWeightT } from '../../ops/linalg.js';
import { Tensor } from '../../tensor.js';

/**
 * `torch.nn.functional.linear`: `input @ weight.T + bias`, input [..., in], weight [out, in].
 * The bias goes positionally or as `{ bias }` (PyTorch's `bias=None` keyword).
 */
export function linear(
  input: Tensor,
  weight: Tensor,
  biasOrOpts: Tensor | null | { bias?: Tensor | null } = null,
): Tensor {
  return linearThen(input, weight, biasOrOpts, false);
}

/**
 * @internal `relu(linear(input, weight, bias))`: ReLU in the same backend call where the
 * linear is an addmm (nn.Sequential's Linear followed by ReLU), the values and graph nodes
 * (`ReluBackward0` over `AddmmBackward0`) those of the two ops.
 */
export function linearRelu(input: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  return linearThen(input, weight, bias, true);
}

function linearThen(
  input: Tensor,
  weight: Tensor,
  biasOrOpts: Tensor | null | { bias?: Tensor | null },
  relu: boolean,
): Tensor {
  const bias = biasOrOpts instanceof Tensor || biasOrOpts === null ? biasOrOpts : (biasOrOpts.bias ?? null);
  if (!(input instanceof Tensor) || !(weight instanceof Tensor)) {
    throw new TypeError('linear(input, weight, bias): input and weight must be Tensors');
  }
  if (weight.dim() !== 2)
    throw new ShapeError(`linear: weight must be 2-D [out, in], got ${shapeStr(weight.shape)}`);
  const inF = weight.shape[1]!;
  if (input.dim() === 0 || input.shape[input.dim() - 1] !== inF) {
    throw new ShapeError(
      `linear: mat1 and mat2 shapes cannot be multiplied (input ${shapeStr(input.shape)}, weight ${shapeStr(weight.shape)}: the input's last dimension must be ${inF})`,
    );
  }
  if (bias && (bias.dim() !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError(`linear: bias must have shape [${weight.shape[0]}], got ${shapeStr(bias.shape)}`);
  }
  // A 2-D input takes PyTorch's addmm path (one kernel, `AddmmBackward0`), as in PyTorch;
  // other ranks a product and a broadcast add, as PyTorch's matmul + add_.
  if (bias && input.dim() === 2 && bias.dtype === input.dtype && bias.backend === input.backend) {
    return linearWithBias(input, weight, bias, relu);
  }
  const y = matmulWeightT(input, weight);
  const z = bias ? y.add(bias) : y;
  return relu ? z.relu() : z;
}
