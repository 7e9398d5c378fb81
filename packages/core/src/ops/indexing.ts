/** indexSelect and gather, with their adjoints (indexAdd, scatterAdd) as backward. */
import { recordOp } from '../autograd/graph.js';
import type { Backend } from '../backend.js';
import { ShapeError, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { alloc, checkSameBackend, normDim, numelOf } from './util.js';

/** An int32 tensor [start, start + 1, ..., start + len - 1] (internal). */
export function arangeIndex(start: number, len: number, backend: Backend): Tensor {
  const t = alloc([len], 'int32', backend);
  const data = new Int32Array(len);
  for (let i = 0; i < len; i++) data[i] = start + i;
  backend.write(t.storage, data);
  return t;
}

function checkIndexDType(index: Tensor, op: string): void {
  if (index.dtype !== 'int32') {
    throw new TypeError(`${op}(): Expected dtype int32 for index (PyTorch's int64), but got ${index.dtype}`);
  }
}

/**
 * Index values are checked on the host where the backend reads synchronously; on webgpu
 * an out-of-range index is clamped by the kernel instead (a read-back per op would stall).
 */
function checkIndexRange(index: Tensor, size: number, op: string): void {
  const b = index.backend;
  if (!b.syncReads || !b.readSync) return;
  const data = b.readSync(index.storage);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= size)
      throw new RangeError(`${op}(): index ${v} is out of bounds for dimension with size ${size}`);
  }
}

/** `torch.index_select(t, dim, index)`: index is a 1-D int32 tensor. */
export function indexSelect(t: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexDType(index, 'index_select');
  if (index.dim() > 1)
    throw new ShapeError(
      `index_select(): Index is supposed to be a vector, got shape ${shapeStr(index.shape)}`,
    );
  const backend = checkSameBackend('index_select', t, index);
  const d = t.dim() === 0 ? 0 : normDim(dim, t.dim());
  const len = t.dim() === 0 ? 1 : t.shape[d]!;
  checkIndexRange(index, len, 'index_select');
  const outer = numelOf(t.shape.slice(0, d));
  const inner = numelOf(t.shape.slice(d + 1));
  const n = index.numel();
  const shape = t.dim() === 0 ? [] : [...t.shape];
  if (t.dim() > 0) shape[d] = n;
  const out = alloc(shape, t.dtype, backend);
  backend.indexSelect(t.storage, index.storage, out.storage, outer, len, inner);
  return recordOp(
    out,
    'IndexSelectBackward0',
    [t],
    (g) => {
      const gx = alloc(t.shape, g.dtype, backend);
      backend.indexAdd(gx.storage, index.storage, g.storage, outer, len, inner);
      return [gx];
    },
    [index],
  );
}

/** `torch.gather(t, dim, index)`: index has t's rank and t's sizes except along `dim`. */
export function gather(t: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexDType(index, 'gather');
  const backend = checkSameBackend('gather', t, index);
  const d = normDim(dim, t.dim());
  if (index.dim() !== t.dim() || index.shape.some((s, i) => i !== d && s !== t.shape[i])) {
    throw new ShapeError(
      `gather(): index ${shapeStr(index.shape)} must have the input's shape ${shapeStr(t.shape)} except in dimension ${d}`,
    );
  }
  const lenX = t.shape[d]!;
  checkIndexRange(index, lenX, 'gather');
  const outer = numelOf(t.shape.slice(0, d));
  const inner = numelOf(t.shape.slice(d + 1));
  const out = alloc(index.shape, t.dtype, backend);
  backend.gather(t.storage, index.storage, out.storage, outer, lenX, inner);
  return recordOp(
    out,
    'GatherBackward0',
    [t],
    (g) => {
      const gx = alloc(t.shape, g.dtype, backend);
      backend.scatterAdd(gx.storage, index.storage, g.storage, outer, lenX, inner);
      return [gx];
    },
    [index],
  );
}
