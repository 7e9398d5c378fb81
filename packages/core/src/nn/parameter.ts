import { keep } from '../engine.js';
import { Tensor } from '../tensor.js';

/**
 * `torch.nn.Parameter`: a tensor that a `Module` registers as one of its parameters when it
 * is assigned to a field (or passed to `registerParameter`). It shares the storage of the
 * tensor it wraps, as PyTorch's does, and requires grad unless told otherwise. `tidy` never
 * disposes a parameter.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) {
      throw new TypeError(
        `Parameter(data): data must be a Tensor, got ${data === null ? 'null' : typeof data}`,
      );
    }
    const ref = data._liveRef();
    ref.refs++;
    super(ref, data.shape, data.dtype);
    // A parameter outlives any tidy scope it was made in (a model built inside `tidy`).
    keep(this);
    if (requiresGrad) this.requiresGrad_(true);
  }

  /** PyTorch's `repr` of a parameter: `Parameter containing:\ntensor([...], requires_grad=True)`. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }

  override async toStringAsync(): Promise<string> {
    return `Parameter containing:\n${await super.toStringAsync()}`;
  }
}
