/**
 * `torch.matmul` in all its forms (dot, mv, mm, batched with broadcasting), and `bmm`, `mv`,
 * `outer`, `addmm`, `baddbmm`, `trace`.
 */
import {
  type BackwardFn,
  type GradNode,
  needsGrad,
  nodeAfter,
  nodeFor,
  recordOp,
} from '../autograd/graph.js';
import type { MatmulOptions } from '../backend.js';
import { isFloat } from '../dtype.js';
import { noGrad, tidy } from '../engine.js';
import { DTypeError, ShapeError, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { resultType } from './elementwise.js';
import { reluBackward } from './math.js';
import { diagonal, placeInto } from './shape.js';
import { alloc, allocOut, broadcastShapes, checkSameBackend, numelOf, sumToShape } from './util.js';

/**
 * What a product does as it is stored, as tensors (`MatmulOptions` has their storages):
 * a bias [n] added to each row, then ReLU, or ReLU's backward against a ReLU output of the
 * product's shape; and op(a)'s row sums written to `rowSumsOfA` [m].
 */
interface Epilogue {
  readonly bias?: Tensor;
  readonly relu?: boolean;
  readonly reluBackwardOf?: Tensor;
  readonly rowSumsOfA?: Tensor;
}

/**
 * `MatmulOptions` for a product, built as one object literal of one shape (the absent
 * extras undefined): spreading optional parts made each call's options a new shape, which
 * cost V8 more than a small layer's kernel.
 */
function matmulOptions(
  transA: boolean,
  transB: boolean,
  aBatchStride: number,
  bBatchStride: number,
  e: Epilogue | undefined,
): MatmulOptions {
  return {
    transA,
    transB,
    aBatchStride,
    bBatchStride,
    bias: e?.bias?.storage,
    relu: e?.relu,
    reluBackwardOf: e?.reluBackwardOf?.storage,
    rowSumsOfA: e?.rowSumsOfA?.storage,
  };
}

/**
 * Batched product of `a` [..., m, k] and `b` [..., k, n] (batch dims broadcast), with an
 * optional `epilogue` (the extras are for two matrices), with no autograd.
 * `transA`/`transB` read a stored [..., k, m] / [..., n, k] transposed, which lets
 * backward avoid materialising transposes.
 */
function bmm(a: Tensor, b: Tensor, transA: boolean, transB: boolean, epilogue?: Epilogue): Tensor {
  const backend = checkSameBackend('matmul', a, b);
  const ar = a.dim();
  const br = b.dim();
  const m = transA ? a.shape[ar - 1]! : a.shape[ar - 2]!;
  const k = transA ? a.shape[ar - 2]! : a.shape[ar - 1]!;
  const kb = transB ? b.shape[br - 1]! : b.shape[br - 2]!;
  const n = transB ? b.shape[br - 2]! : b.shape[br - 1]!;
  if (k !== kb) {
    throw new ShapeError(`mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${kb}x${n})`);
  }
  if (ar === 2 && br === 2) {
    // Two matrices (every Linear layer): no batch shapes to slice and broadcast.
    const out = (k > 0 ? allocOut : alloc)([m, n], a.dtype, backend);
    backend.matmul(
      a.storage,
      b.storage,
      out.storage,
      { batch: 1, m, k, n },
      matmulOptions(transA, transB, 0, 0, epilogue),
    );
    return out;
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchShape = broadcastShapes(aBatch, bBatch);
  const batch = numelOf(batchShape);
  // Every output is written (a dot product over k > 0 terms); k = 0 gives zeros.
  const out = (k > 0 ? allocOut : alloc)([...batchShape, m, n], a.dtype, backend);
  const aN = numelOf(aBatch);
  const bN = numelOf(bBatch);
  if ((aN === batch || aN === 1) && (bN === batch || bN === 1)) {
    backend.matmul(
      a.storage,
      b.storage,
      out.storage,
      { batch, m, k, n },
      matmulOptions(transA, transB, aN === 1 ? 0 : m * k, bN === 1 ? 0 : k * n, epilogue),
    );
    return out;
  }
  // Partial broadcasting of batch dims (e.g. [2,1] with [1,3]): expand to full batches first.
  out.dispose();
  const ae = a.expand([...batchShape, ...a.shape.slice(-2)]);
  const be = b.expand([...batchShape, ...b.shape.slice(-2)]);
  const r = bmm(ae, be, transA, transB, epilogue);
  ae.dispose();
  be.dispose();
  return r;
}

/** `torch.matmul(a, b)` with PyTorch's rules for 1-D operands and gradFn names. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dim() === 0 || b.dim() === 0) {
    throw new ShapeError(
      `both arguments to matmul need to be at least 1D, but they are ${a.dim()}D and ${b.dim()}D`,
    );
  }
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`expected m1 and m2 to have the same dtype, but got: ${a.dtype} != ${b.dtype}`);
  }
  if (!isFloat(resultType(a, b))) {
    throw new DTypeError(
      `matmul(): integer and bool tensors are not supported (got ${a.dtype}); cast with .float()`,
    );
  }
  const a2 = a.dim() === 1 ? a._view([1, a.shape[0]!]) : a;
  const b2 = b.dim() === 1 ? b._view([b.shape[0]!, 1]) : b;
  if (a2.shape[a2.dim() - 1] !== b2.shape[b2.dim() - 2]) {
    if (a.dim() === 1 && b.dim() === 1) {
      throw new ShapeError(
        `inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`,
      );
    }
    throw new ShapeError(
      `mat1 and mat2 shapes cannot be multiplied (${a2.shape.slice(0, -1).reduce((x, y) => x * y, 1)}x${a2.shape[a2.dim() - 1]} and ${b2.shape[b2.dim() - 2]}x${b2.shape[b2.dim() - 1]}): shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`,
    );
  }
  const raw = bmm(a2, b2, false, false);
  // Drop the dims that 1-D operands added.
  let shape = [...raw.shape];
  if (a.dim() === 1) shape.splice(shape.length - 2, 1);
  if (b.dim() === 1) shape = shape.slice(0, -1);
  const out = raw._view(shape);
  raw.dispose();
  if (a2 !== a) a2.dispose();
  if (b2 !== b) b2.dispose();
  const name =
    a.dim() === 1 && b.dim() === 1
      ? 'DotBackward0'
      : a.dim() === 2 && b.dim() === 1
        ? 'MvBackward0'
        : a.dim() === 2 && b.dim() === 2
          ? 'MmBackward0'
          : a.dim() === 3 && b.dim() === 3 && a.shape[0] === b.shape[0]
            ? 'BmmBackward0'
            : 'UnsafeViewBackward0';
  return recordOp(
    out,
    name,
    [a, b],
    (g, needs) => {
      const A = a.dim() === 1 ? a.reshape([1, a.shape[0]!]) : a;
      const B = b.dim() === 1 ? b.reshape([b.shape[0]!, 1]) : b;
      const G = gradShape(g, A, B);
      const gA = needs[0] ? sumToShape(bmm(G, B, false, true), A.shape).reshape(a.shape) : null;
      const gB = needs[1] ? sumToShape(bmm(A, G, true, false), B.shape).reshape(b.shape) : null;
      return [gA, gB];
    },
    [a, b],
  );
}

/** The output gradient reshaped to the 2-D-operand form [..., m, n]. */
function gradShape(g: Tensor, A: Tensor, B: Tensor): Tensor {
  const batch = broadcastShapes(A.shape.slice(0, -2), B.shape.slice(0, -2));
  return g.reshape([...batch, A.shape[A.dim() - 2]!, B.shape[B.dim() - 1]!]);
}

/**
 * `input @ weight.T` for `nn.functional.linear` (input [..., in], weight [out, in]) without
 * materialising `weight.T`: the kernel reads the weight transposed, and backward needs no
 * transpose either.
 */
export function matmulWeightT(input: Tensor, weight: Tensor): Tensor {
  checkLinearDTypes(input, weight);
  const inF = weight.shape[1]!;
  const outF = weight.shape[0]!;
  const lead = input.shape.slice(0, -1);
  const rows = numelOf(lead);
  // A 2-D input is already the [rows, inF] matrix and the product already the result's
  // shape: no views around the kernel (bmm reads whatever layout through `.storage`).
  const flat = input.dim() === 2;
  const x2 = flat ? input : input._view([rows, inF]);
  const raw = bmm(x2, weight, false, true);
  if (!flat) x2.dispose();
  let out = raw;
  if (!flat) {
    out = raw._view([...lead, outF]);
    raw.dispose();
  }
  return recordOp(
    out,
    flat ? 'MmBackward0' : 'UnsafeViewBackward0',
    [input, weight],
    (g, needs) => {
      const g2 = flat ? g : g.reshape([rows, outF]);
      const x = flat ? input : input.reshape([rows, inF]);
      const gx = needs[0] ? bmm(g2, weight, false, false) : null;
      return [gx && !flat ? gx.reshape(input.shape) : gx, needs[1] ? bmm(g2, x, true, false) : null];
    },
    [input, weight],
  );
}

function checkLinearDTypes(input: Tensor, weight: Tensor): void {
  if (input.dtype !== weight.dtype || !isFloat(input.dtype)) {
    throw new DTypeError(
      `linear: expected input and weight of one floating dtype, but got input ${input.dtype} and weight ${weight.dtype}`,
    );
  }
}

/**
 * `F.linear` of a 2-D input with a bias: PyTorch's `addmm(bias, input, weight.T)`, one
 * backend call (the bias added as the product is stored) and one node, `AddmmBackward0`.
 * The values are those of the product followed by the broadcast add. With `relu` (an
 * `nn.Sequential`'s Linear followed by ReLU), ReLU runs in the same call and the graph
 * keeps PyTorch's two nodes: `ReluBackward0`, whose input is `AddmmBackward0`'s output.
 */
export function linearWithBias(input: Tensor, weight: Tensor, bias: Tensor, relu = false): Tensor {
  checkLinearDTypes(input, weight);
  const out = bmm(input, weight, false, true, { bias, relu });
  // An input made by a fused Linear + ReLU (inside nn.Sequential, where no one else sees
  // it) gets its gradient with ReLU's backward already applied, in the product's store;
  // that ReLU node then passes it on (see `reluMasked`).
  const afterRelu = fusedReluNodes.has(input.gradFn as GradNode);
  const addmmBackward: BackwardFn = (g, needs) => {
    // The bias gradient (g summed over the batch) comes out of the weight gradient's pass over g.
    const gb = needs[0] && needs[2] ? allocOut(bias.shape, g.dtype, g.backend) : null;
    return [
      gb ?? (needs[0] ? sumToShape(g, bias.shape) : null),
      needs[1] ? (afterRelu ? reluMaskedProduct(g, weight, input) : bmm(g, weight, false, false)) : null,
      needs[2] ? bmm(g, input, true, false, gb ? { rowSumsOfA: gb } : undefined) : null,
    ];
  };
  if (!relu) return recordOp(out, 'AddmmBackward0', [bias, input, weight], addmmBackward, [input, weight]);
  if (!needsGrad(bias, input, weight)) return out;
  const addmm = nodeFor('AddmmBackward0', [bias, input, weight], addmmBackward, [input, weight]);
  const node = nodeAfter(
    'ReluBackward0',
    addmm,
    (g) => [reluMasked.get(g) === out ? g : reluBackward(g, out)],
    [out],
  );
  fusedReluNodes.add(node);
  out._setGradFn(node);
  return out;
}

/** The ReluBackward0 nodes of fused Linear + ReLU calls: their output is seen by nothing but the next layer. */
const fusedReluNodes = new WeakSet<GradNode>();

/**
 * Gradients that already went through the backward of the ReLU whose output they are
 * keyed to. A gradient summed from several uses is a new tensor, not in here, and gets
 * ReLU's backward in full: masking is linear and idempotent, so a masked part in the sum
 * is still right.
 */
const reluMasked = new WeakMap<Tensor, Tensor>();

/** `threshold_backward(g @ weight, reluOut, 0)` in one backend call, marked as such. */
function reluMaskedProduct(g: Tensor, weight: Tensor, reluOut: Tensor): Tensor {
  const gx = bmm(g, weight, false, false, { reluBackwardOf: reluOut });
  reluMasked.set(gx, reluOut);
  return gx;
}

function checkMatmulDTypes(op: string, ...ts: readonly Tensor[]): void {
  const d = ts[0]!.dtype;
  for (const t of ts) {
    if (t.dtype !== d) {
      throw new DTypeError(
        `${op}(): expected all tensors to have one dtype, but got ${ts.map((x) => x.dtype).join(', ')}`,
      );
    }
  }
  if (!isFloat(d)) {
    throw new DTypeError(
      `${op}(): integer and bool tensors are not supported (got ${d}); cast with .float()`,
    );
  }
}

function checkRank(op: string, what: string, t: Tensor, rank: number): void {
  if (t.dim() !== rank) {
    throw new ShapeError(`${op}(): ${what} must be a ${rank}D tensor, but got shape ${shapeStr(t.shape)}`);
  }
}

/** `torch.bmm(a, b)`: a [B, n, m] @ b [B, m, p], no broadcasting. */
export function bmmOp(a: Tensor, b: Tensor): Tensor {
  checkRank('bmm', 'batch1', a, 3);
  checkRank('bmm', 'batch2', b, 3);
  if (a.shape[0] !== b.shape[0]) {
    throw new ShapeError(
      `bmm(): batch1 and batch2 must have the same number of batches, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`,
    );
  }
  if (a.shape[2] !== b.shape[1]) {
    throw new ShapeError(
      `bmm(): Expected size for first two dimensions of batch2 tensor to be: [${a.shape[0]}, ${a.shape[2]}] but got: [${b.shape[0]}, ${b.shape[1]}] (shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)})`,
    );
  }
  checkMatmulDTypes('bmm', a, b);
  return matmul(a, b);
}

/** `torch.mv(m, v)`: m [n, k] @ v [k]. */
export function mv(m: Tensor, v: Tensor): Tensor {
  if (m.dim() !== 2 || v.dim() !== 1) {
    throw new ShapeError(
      `mv(): vector + matrix @ vector expected, got matrix ${shapeStr(m.shape)} and vector ${shapeStr(v.shape)}`,
    );
  }
  if (m.shape[1] !== v.shape[0]) {
    throw new ShapeError(
      `mv(): size mismatch, got matrix ${shapeStr(m.shape)} and vector ${shapeStr(v.shape)}`,
    );
  }
  checkMatmulDTypes('mv', m, v);
  return matmul(m, v);
}

/** `torch.outer(a, b)`: a [n] ⊗ b [m] → [n, m] (PyTorch composes it as a broadcast product). */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.dim() !== 1 || b.dim() !== 1) {
    throw new ShapeError(
      `outer(): expected two 1-D tensors, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`,
    );
  }
  return a.reshape([a.shape[0]!, 1]).mul(b);
}

/** `beta` / `alpha` of addmm and baddbmm (PyTorch's keyword arguments). */
export interface AddmmOptions {
  /** Multiplier of the input (PyTorch's `beta`). */
  beta?: number;
  /** Multiplier of the product (PyTorch's `alpha`). */
  alpha?: number;
}

function scaleOpts(op: string, opts: AddmmOptions | undefined): { beta: number; alpha: number } {
  const o = opts ?? {};
  for (const k of Object.keys(o)) {
    if (k !== 'beta' && k !== 'alpha')
      throw new TypeError(`${op}(): unknown option '${k}' (expected beta, alpha)`);
  }
  const beta = o.beta ?? 1;
  const alpha = o.alpha ?? 1;
  if (typeof beta !== 'number' || typeof alpha !== 'number')
    throw new TypeError(`${op}(): beta and alpha must be numbers, got ${String(beta)} and ${String(alpha)}`);
  return { beta, alpha };
}

/**
 * beta·input + alpha·(a @ b) for addmm (2-D) and baddbmm (3-D): one node with PyTorch's
 * name; with beta 0 the input is ignored (NaN and inf in it do not propagate), as PyTorch.
 */
function addProduct(
  op: 'addmm' | 'baddbmm',
  input: Tensor,
  a: Tensor,
  b: Tensor,
  opts?: AddmmOptions,
): Tensor {
  const { beta, alpha } = scaleOpts(op, opts);
  const rank = op === 'addmm' ? 2 : 3;
  checkRank(op, op === 'addmm' ? 'mat1' : 'batch1', a, rank);
  checkRank(op, op === 'addmm' ? 'mat2' : 'batch2', b, rank);
  if (rank === 3 && a.shape[0] !== b.shape[0]) {
    throw new ShapeError(
      `${op}(): batch1 and batch2 must have the same number of batches, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`,
    );
  }
  if (a.shape[rank - 1] !== b.shape[rank - 2]) {
    throw new ShapeError(
      `${op}(): mat1 and mat2 shapes cannot be multiplied (${a.shape.slice(-2).join('x')} and ${b.shape.slice(-2).join('x')})`,
    );
  }
  checkMatmulDTypes(op, input, a, b);
  const shape = [...a.shape.slice(0, -1), b.shape[rank - 1]!];
  const bs = broadcastShapes(input.shape, shape);
  if (bs.length !== shape.length || bs.some((s, i) => s !== shape[i])) {
    throw new ShapeError(
      `${op}(): the input ${shapeStr(input.shape)} cannot be broadcast to the product's shape ${shapeStr(shape)}`,
    );
  }
  const out = noGrad(() =>
    tidy(() => {
      const p = bmm(a, b, false, false);
      const scaled = alpha === 1 ? p : p.mul(alpha);
      return beta === 0 ? scaled : scaled.add(beta === 1 ? input : input.mul(beta));
    }),
  );
  return recordOp(
    out,
    op === 'addmm' ? 'AddmmBackward0' : 'BaddbmmBackward0',
    [input, a, b],
    (g, needs) => [
      needs[0] ? sumToShape(g.mul(beta), input.shape) : null,
      needs[1] ? bmm(g, b, false, true).mul(alpha) : null,
      needs[2] ? bmm(a, g, true, false).mul(alpha) : null,
    ],
    [a, b],
  );
}

/** `torch.addmm(input, mat1, mat2, { beta = 1, alpha = 1 })`: beta·input + alpha·(mat1 @ mat2). */
export function addmm(input: Tensor, mat1: Tensor, mat2: Tensor, opts?: AddmmOptions): Tensor {
  return addProduct('addmm', input, mat1, mat2, opts);
}

/** `torch.baddbmm(input, batch1, batch2, { beta = 1, alpha = 1 })`: beta·input + alpha·bmm(batch1, batch2). */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, opts?: AddmmOptions): Tensor {
  return addProduct('baddbmm', input, batch1, batch2, opts);
}

/** `torch.trace(m)`: the sum of a matrix's main diagonal. */
export function trace(m: Tensor): Tensor {
  if (m.dim() !== 2)
    throw new ShapeError(
      `trace(): expected a matrix, but got tensor with dim ${m.dim()} (shape ${shapeStr(m.shape)})`,
    );
  const out = noGrad(() => tidy(() => diagonal(m, 0, 0, 1).sum()));
  const len = Math.min(m.shape[0]!, m.shape[1]!);
  return recordOp(out, 'TraceBackward0', [m], (g) => [
    placeInto(g.expand([len]).contiguous(), m.shape, (whole) => diagonal(whole, 0, 0, 1)),
  ]);
}
