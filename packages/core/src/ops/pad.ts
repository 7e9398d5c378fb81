/**
 * `torch.nn.functional.pad` (constant, reflect, replicate, circular) and
 * `torch.nn.functional.one_hot`.
 *
 * Constant padding is one fill and one strided write of the (possibly cropped, for negative
 * padding) input into the output; its backward is the same op with the padding negated.
 * The other modes are one `indexSelect` per padded dim with the source positions computed
 * on the host, and `indexAdd` in reverse order for the backward.
 */
import { needsGrad, recordOp } from '../autograd/graph.js';
import { noGrad } from '../engine.js';
import { DTypeError, ShapeError, shapeStr, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { fromHost } from './creation.js';
import { arangeIndex } from './indexing.js';
import { slice } from './shape.js';
import { alloc, numelOf } from './util.js';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** `F.pad` options (PyTorch's `mode='constant'`, `value=None`). */
export interface PadOptions {
  /** `'constant'`, `'reflect'`, `'replicate'` or `'circular'` (PyTorch's `mode`). */
  mode?: PadMode;
  /** The fill of constant padding (default 0). */
  value?: number | null;
}

/** Per padded dim (last dim first, PyTorch's order): [dim, before, after]. */
function padPairs(t: Tensor, padding: readonly number[]): [number, number, number][] {
  const pairs: [number, number, number][] = [];
  for (let i = 0; i < padding.length / 2; i++)
    pairs.push([t.dim() - 1 - i, padding[2 * i]!, padding[2 * i + 1]!]);
  return pairs;
}

function constantPad(t: Tensor, padding: readonly number[], value: number): Tensor {
  const pairs = padPairs(t, padding);
  const shape = [...t.shape];
  for (const [d, l, r] of pairs) {
    shape[d] = t.shape[d]! + l + r;
    if (shape[d]! < 0) {
      throw new ShapeError(
        `The input size ${t.shape[d]}, plus negative padding ${l} and ${r} resulted in a negative output size, which is invalid. Check dimension ${d} of your input (shape ${shapeStr(t.shape)}).`,
      );
    }
  }
  const out = alloc(shape, t.dtype, t.backend);
  if (value !== 0) t.backend.fill(out.storage, value);
  noGrad(() => {
    let src = t;
    let dst = out;
    let empty = false;
    for (const [d, l, r] of pairs) {
      const len = t.shape[d]! + Math.min(0, l) + Math.min(0, r);
      if (len <= 0) {
        empty = true;
        break;
      }
      src = slice(src, d, Math.max(0, -l), len, 1);
      dst = slice(dst, d, Math.max(0, l), len, 1);
    }
    if (!empty && src.numel() > 0) t.backend.copyToView(src.storage, dst._strided());
    if (src !== t) src.dispose();
    if (dst !== out) dst.dispose();
  });
  return recordOp(out, 'ConstantPadNdBackward0', [t], (g) => [
    constantPad(
      g,
      padding.map((p) => -p),
      0,
    ),
  ]);
}

/** Source position of output position `j` along a dim of size `n` padded by `l` before. */
function sourceOf(mode: Exclude<PadMode, 'constant'>, j: number, l: number, n: number): number {
  let s = j - l;
  if (mode === 'replicate') return Math.min(n - 1, Math.max(0, s));
  if (mode === 'circular') return ((s % n) + n) % n;
  if (s < 0) s = -s;
  if (s >= n) s = 2 * (n - 1) - s;
  return s;
}

function indexPad(t: Tensor, padding: readonly number[], mode: Exclude<PadMode, 'constant'>): Tensor {
  const pairs = padPairs(t, padding);
  const m = pairs.length;
  if (m < 1 || m > 3 || (t.dim() !== m + 1 && t.dim() !== m + 2)) {
    throw new ShapeError(
      `Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now: ${mode} padding of ${m} dim(s) takes a ${m + 1}-D or ${m + 2}-D input, got shape ${shapeStr(t.shape)}`,
    );
  }
  for (const [d, l, r] of pairs) {
    const n = t.shape[d]!;
    if (mode === 'reflect' && (l >= n || r >= n)) {
      throw new ShapeError(
        `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${d} of input ${shapeStr(t.shape)}`,
      );
    }
    if (mode === 'circular' && (l > n || r > n)) {
      throw new ShapeError(
        `Padding value causes wrapping around more than once: padding (${l}, ${r}) at dimension ${d} of input ${shapeStr(t.shape)}`,
      );
    }
    if (n === 0 || n + l + r < 0) {
      throw new ShapeError(
        `${mode} padding (${l}, ${r}) cannot be applied to dimension ${d} of input ${shapeStr(t.shape)}`,
      );
    }
  }
  // One gather per padded dim: the source positions of every output position.
  const steps = pairs.map(([d, l, r]) => {
    const n = t.shape[d]!;
    const len = n + l + r;
    const pos = new Int32Array(len);
    for (let j = 0; j < len; j++) pos[j] = sourceOf(mode, j, l, n);
    return { d, n, len, index: fromHost(pos, [len], { dtype: 'int32', backend: t.backend }) };
  });
  let cur = t;
  for (const { d, n, len, index } of steps) {
    const shape = [...cur.shape];
    shape[d] = len;
    const out = alloc(shape, t.dtype, t.backend);
    if (out.numel() > 0) {
      t.backend.indexSelect(
        cur.storage,
        index.storage,
        out.storage,
        numelOf(shape.slice(0, d)),
        n,
        numelOf(shape.slice(d + 1)),
      );
    }
    if (cur !== t) cur.dispose();
    cur = out;
  }
  const name =
    mode === 'circular'
      ? 'CopySlices'
      : `${mode === 'reflect' ? 'Reflection' : 'Replication'}Pad${m}DBackward0`;
  if (!needsGrad(t)) {
    for (const s of steps) s.index.dispose();
    return cur;
  }
  return recordOp(
    cur,
    name,
    [t],
    (g) => {
      let gc = g;
      for (let k = steps.length - 1; k >= 0; k--) {
        const { d, n, index } = steps[k]!;
        const shape = [...gc.shape];
        shape[d] = n;
        const gx = alloc(shape, g.dtype, g.backend);
        if (gc.numel() > 0) {
          g.backend.indexAdd(
            gx.storage,
            index.storage,
            gc.storage,
            numelOf(shape.slice(0, d)),
            n,
            numelOf(shape.slice(d + 1)),
          );
        }
        if (gc !== g) gc.dispose();
        gc = gx;
      }
      return [gc];
    },
    steps.map((s) => s.index),
  );
}

/**
 * `torch.nn.functional.pad(input, pad, { mode = 'constant', value = 0 })`. `pad` lists
 * (before, after) pairs starting from the last dim, as PyTorch: `[1, 2]` pads the last dim
 * by 1 before and 2 after, `[1, 1, 2, 0]` also the dim before it. Negative values crop.
 * reflect/replicate/circular pad the last 1, 2 or 3 dims of a (batched) input.
 */
export function pad(input: Tensor, padding: readonly number[], opts: PadOptions | PadMode = {}): Tensor {
  const o: PadOptions = typeof opts === 'string' ? { mode: opts } : (opts ?? {});
  for (const k of Object.keys(o)) {
    if (k !== 'mode' && k !== 'value')
      throw new TypeError(`pad(): unknown option '${k}' (expected mode, value)`);
  }
  const mode = o.mode ?? 'constant';
  if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode)) {
    throw new ValueError(
      `pad(): mode must be 'constant', 'reflect', 'replicate' or 'circular', got '${String(mode)}'`,
    );
  }
  if (!Array.isArray(padding) || padding.some((p) => !Number.isInteger(p))) {
    throw new TypeError(`pad(): pad must be an array of integers, got ${JSON.stringify(padding)}`);
  }
  if (padding.length % 2 !== 0)
    throw new ShapeError(`Padding length must be divisible by 2, got ${shapeStr(padding)}`);
  if (padding.length / 2 > input.dim()) {
    throw new ShapeError(
      `Padding length should be less than or equal to two times the input dimension but got padding length ${padding.length} and input of dimension ${input.dim()}`,
    );
  }
  if (mode === 'constant') return constantPad(input, padding, o.value ?? 0);
  if (o.value !== undefined && o.value !== null) {
    throw new ValueError(`Padding mode "${mode}" doesn't take in value argument`);
  }
  return indexPad(input, padding, mode);
}

/** `F.oneHot` options (PyTorch's `num_classes=-1`). */
export interface OneHotOptions {
  /** Number of classes; by default one more than the largest value (PyTorch's `num_classes`). */
  numClasses?: number;
}

/**
 * `torch.nn.functional.one_hot(tensor, num_classes=-1)`: int32 `[..., numClasses]` with a 1
 * at each value. `numClasses` -1 (the default) means max + 1, which reads the values: on a
 * backend without synchronous reads (webgpu) pass it.
 */
export function oneHot(t: Tensor, numClassesOrOpts: number | OneHotOptions = -1): Tensor {
  const numClasses =
    typeof numClassesOrOpts === 'number' ? numClassesOrOpts : (numClassesOrOpts?.numClasses ?? -1);
  if (t.dtype !== 'int32') {
    throw new DTypeError(
      `one_hot is only applicable to index tensor (int32, PyTorch's int64), got dtype ${t.dtype}`,
    );
  }
  if (!Number.isInteger(numClasses) || numClasses < -1) {
    throw new ValueError(`one_hot(): numClasses must be a non-negative integer or -1, got ${numClasses}`);
  }
  const sync = t.backend.syncReads && t.backend.readSync;
  let c = numClasses;
  if (c === -1) {
    if (!sync) {
      throw new ValueError(
        `one_hot(): numClasses = -1 reads the largest value, which the '${t.backend.name}' backend cannot do synchronously: pass { numClasses }`,
      );
    }
    if (t.numel() === 0) throw new ValueError('Can not infer total number of classes from empty tensor.');
  }
  if (sync && t.numel() > 0) {
    const data = t.backend.readSync!(t.storage);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < data.length; i++) {
      lo = Math.min(lo, data[i]!);
      hi = Math.max(hi, data[i]!);
    }
    if (lo < 0) throw new RangeError(`Class values must be non-negative (one_hot() got ${lo}).`);
    if (c === -1) c = hi + 1;
    else if (hi >= c)
      throw new RangeError(
        `Class values must be smaller than num_classes (one_hot() got ${hi} with numClasses ${c}).`,
      );
  }
  return noGrad(() => {
    const classes = arangeIndex(0, c, t.backend);
    const hit = t.unsqueeze(-1).eq(classes);
    const out = hit.to('int32');
    classes.dispose();
    hit.dispose();
    return out;
  });
}
