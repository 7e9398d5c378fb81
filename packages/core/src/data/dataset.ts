import { ShapeError, shapeStr, ValueError } from '../errors.js';
import { alloc, checkSameBackend } from '../ops/util.js';
import { Tensor } from '../tensor.js';

/** `torch.utils.data.Dataset`: anything with a length and items by index. */
export interface Dataset<T> {
  /** Number of samples. */
  readonly length: number;
  /** The sample at `index`. */
  get(index: number): T;
  /** Optional fast path: a whole batch at once (TensorDataset gathers it with one indexSelect per tensor). */
  getBatch?(indices: Int32Array): T;
}

/**
 * `torch.utils.data.TensorDataset`: item i is `[t0[i], t1[i], ...]` over tensors that share
 * their first dimension.
 */
export class TensorDataset implements Dataset<Tensor[]> {
  /** The tensors, indexed along their first dimension together. */
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new ValueError('TensorDataset needs at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.dim() === 0)
        throw new ShapeError(
          `TensorDataset: tensor ${i} is 0-dimensional; it needs a first (sample) dimension`,
        );
    });
    const n = tensors[0]!.shape[0]!;
    const bad = tensors.findIndex((t) => t.shape[0] !== n);
    if (bad >= 0) {
      throw new ShapeError(
        `Size mismatch between tensors: tensor 0 has shape ${shapeStr(tensors[0]!.shape)} but tensor ${bad} has shape ${shapeStr(tensors[bad]!.shape)} (the first dimensions must be equal)`,
      );
    }
    checkSameBackend('TensorDataset', ...tensors);
    this.tensors = tensors;
  }

  /** Number of samples. */
  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  /** The sample at `index`. */
  get(index: number): Tensor[] {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new RangeError(`TensorDataset: index ${index} is out of range for a dataset of ${n} samples`);
    }
    const i = index < 0 ? index + n : index;
    return this.tensors.map((t) => t.narrow(0, i, 1).reshape(t.shape.slice(1)));
  }

  getBatch(indices: Int32Array): Tensor[] {
    const backend = this.tensors[0]!.backend;
    const idx = alloc([indices.length], 'int32', backend);
    backend.write(idx.storage, indices);
    const out = this.tensors.map((t) => t.indexSelect(0, idx));
    // A batch of a tensor that requires grad keeps the index for its backward (loop memory
    // releases it once no graph can reach it); otherwise it is done with now.
    if (!out.some((t) => t.requiresGrad)) idx.dispose();
    return out;
  }
}
