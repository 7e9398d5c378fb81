/**
 * The autograd graph: each op result that needs a gradient carries a GradNode with its
 * PyTorch name, its inputs and a backward closure. The engine (`backward.ts`) walks it.
 */
import { isGradEnabled } from '../engine.js';
import type { Tensor } from '../tensor.js';

/**
 * Computes the gradients of an op's inputs from the gradient of its output.
 * `needs[i]` tells whether input i wants a gradient, so work for others can be skipped;
 * return null (or undefined) for those.
 */
export type BackwardFn = (grad: Tensor, needs: readonly boolean[]) => readonly (Tensor | null | undefined)[];

/**
 * Where an input's gradient goes: the node that produced the input, or the input itself
 * when it is a leaf that requires grad. Captured when the op runs, so a later in-place op
 * that gives the input a new gradFn does not reroute earlier edges (as in PyTorch).
 */
export type GradEdge = { readonly node: GradNode } | { readonly leaf: Tensor };

/** `tensor.gradFn`: PyTorch's `grad_fn`. */
export interface GradNode {
  /** PyTorch's node name, e.g. 'AddBackward0'. */
  readonly name: string;
  /** One edge per input of the op (null where the input needs no gradient). */
  readonly next: readonly (GradEdge | null)[];
  /** Null once the graph was freed by a backward without `retainGraph`. */
  backward: BackwardFn | null;
  /** Tensors the closure reads, with their version when saved (in-place checks). */
  readonly saved: readonly { readonly tensor: Tensor; readonly version: number }[];
}

/**
 * Attaches a backward to `out` when grad mode is on and some input requires grad; returns
 * `out`. `saved` lists the tensors the closure reads, for the in-place version check.
 */
export function recordOp(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: BackwardFn,
  saved: readonly Tensor[] = [],
): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i]!.requiresGrad) {
      any = true;
      break;
    }
  }
  if (!any) return out;
  out._setGradFn(nodeFor(name, inputs, backward, saved));
  return out;
}

/** A graph node over `inputs` whatever the grad mode (recordOp's, and a view's regenerated history). */
export function nodeFor(
  name: string,
  inputs: readonly Tensor[],
  backward: BackwardFn,
  saved: readonly Tensor[] = [],
): GradNode {
  const next = new Array<GradEdge | null>(inputs.length);
  for (let i = 0; i < inputs.length; i++) next[i] = edgeOf(inputs[i]!);
  return nodeWithEdges(name, next, backward, saved);
}

/**
 * A node whose one input is the output of `from`, a node with no tensor of its own: two
 * PyTorch ops that ran as one kernel (Linear and ReLU in `nn.Sequential`) keep both nodes.
 */
export function nodeAfter(
  name: string,
  from: GradNode,
  backward: BackwardFn,
  saved: readonly Tensor[],
): GradNode {
  return nodeWithEdges(name, [{ node: from }], backward, saved);
}

function nodeWithEdges(
  name: string,
  next: readonly (GradEdge | null)[],
  backward: BackwardFn,
  saved: readonly Tensor[],
): GradNode {
  // Counted until backward consumes the node: loop boundaries spare these while a live
  // tensor can still reach the node (loopMemory.ts).
  const kept = new Array<{ readonly tensor: Tensor; readonly version: number }>(saved.length);
  for (let i = 0; i < saved.length; i++) {
    const tensor = saved[i]!;
    tensor._savedBy++;
    kept[i] = { tensor, version: tensor._version };
  }
  return { name, next, backward, saved: kept };
}

/**
 * Gives `t`'s node PyTorch's name for a composite op (`maskedFill` is a `where`, but
 * PyTorch reports `MaskedFillBackward0`). Returns `t`.
 */
export function renameNode<T extends Tensor>(t: T, name: string): T {
  const node = t.gradFn;
  if (node) t._setGradFn({ ...node, name });
  return t;
}

/** True when an op on these inputs will record a graph node. */
export function needsGrad(...inputs: readonly Tensor[]): boolean {
  return isGradEnabled() && inputs.some((t) => t.requiresGrad);
}

/** `needsGrad` for one or two inputs, without a rest array (the elementwise entry). */
export function needsGrad2(a: Tensor, b: Tensor | null): boolean {
  return isGradEnabled() && (a.requiresGrad || b?.requiresGrad === true);
}

function edgeOf(t: Tensor): GradEdge | null {
  if (!t.requiresGrad) return null;
  return t.gradFn ? { node: t.gradFn } : { leaf: t };
}
