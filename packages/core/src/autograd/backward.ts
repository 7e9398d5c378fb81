/**
 * The backward engine: topological walk from the roots, gradient accumulation into leaf
 * `.grad`, freeing of the graph (unless `retainGraph`) and of gradient temporaries.
 */
import { escapeScopes, noGrad, tidy } from '../engine.js';
import { AutogradError, ShapeError, shapeStr } from '../errors.js';
import { loopBoundary } from '../loopMemory.js';
import { Tensor } from '../tensor.js';
import type { GradEdge, GradNode } from './graph.js';

const FREED =
  'Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retainGraph: true if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.';

/** Nodes reachable from `roots`, ordered so that every node comes before its inputs. */
function topoOrder(roots: readonly GradNode[]): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  // Iterative post-order DFS (graphs of long training loops can be deep).
  const stack: { node: GradNode; i: number }[] = [];
  for (const r of roots) {
    if (seen.has(r)) continue;
    seen.add(r);
    stack.push({ node: r, i: 0 });
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const edge = top.node.next[top.i++];
      if (top.i > top.node.next.length) {
        stack.pop();
        order.push(top.node);
        continue;
      }
      if (edge && 'node' in edge && !seen.has(edge.node)) {
        seen.add(edge.node);
        stack.push({ node: edge.node, i: 0 });
      }
    }
  }
  return order.reverse();
}

function checkSaved(node: GradNode): void {
  for (const { tensor, version } of node.saved) {
    if (tensor.isDisposed) {
      throw new AutogradError(
        `a tensor saved for the backward of ${node.name} (shape ${shapeStr(tensor.shape)}) was used after ${tensor._goneWhy}`,
      );
    }
    if (tensor._version !== version) {
      throw new AutogradError(
        `one of the variables needed for gradient computation has been modified by an inplace operation: [${tensor.dtype} ${shapeStr(tensor.shape)}], which is output 0 of ${tensor.gradFn?.name ?? 'a leaf'}, is at version ${tensor._version}; expected version ${version} instead.`,
      );
    }
  }
}

/**
 * Runs backward from `outputs` with output gradients `grads` (ones for scalars).
 * When `inputs` is given (autograd.grad), returns their gradients instead of
 * accumulating into `.grad`.
 */
export function runGraph(
  outputs: readonly Tensor[],
  grads: readonly (Tensor | null | undefined)[] | undefined,
  retainGraph: boolean,
  inputs?: readonly Tensor[],
  allowUnused = false,
): (Tensor | null)[] | undefined {
  // Every temporary gradient made here lives in this scope; what survives is what the
  // leaves' `.grad` keep and what autograd.grad returns.
  const { result, loop } = tidy(() => walk(outputs, grads, retainGraph, inputs, allowUnused));
  // A backward ends an iteration of the loop that trains this graph's leaves (the first
  // leaf names the loop: each model is its own). Fired after the walk, which used (and so
  // kept) every saved tensor it needed.
  if (loop) loopBoundary(loop, inputs ? 'autograd.grad()' : 'backward()');
  return result;
}

function walk(
  outputs: readonly Tensor[],
  grads: readonly (Tensor | null | undefined)[] | undefined,
  retainGraph: boolean,
  inputs: readonly Tensor[] | undefined,
  allowUnused: boolean,
): { result: (Tensor | null)[] | undefined; loop: Tensor | undefined } {
  const pending = new Map<GradNode, Tensor>();
  const leafGrads = new Map<Tensor, Tensor>();
  const roots: GradNode[] = [];
  const accumulate = <K>(map: Map<K, Tensor>, key: K, g: Tensor) => {
    const prev = map.get(key);
    map.set(key, prev ? prev.add(g) : g);
  };
  noGrad(() => {
    outputs.forEach((out, i) => {
      if (!out.requiresGrad) {
        throw new AutogradError(`element ${i} of tensors does not require grad and does not have a grad_fn`);
      }
      let g = grads?.[i] ?? null;
      if (g === null) {
        if (out.numel() !== 1) {
          throw new AutogradError(
            `grad can be implicitly created only for scalar outputs (got shape ${shapeStr(out.shape)})`,
          );
        }
        g = onesOf(out);
      } else if (g.shape.length !== out.shape.length || g.shape.some((d, j) => d !== out.shape[j])) {
        throw new ShapeError(
          `Mismatch in shape: grad_output[${i}] has a shape of ${shapeStr(g.shape)} and output[${i}] has a shape of ${shapeStr(out.shape)}.`,
        );
      }
      if (out.gradFn) {
        accumulate(pending, out.gradFn, g);
        roots.push(out.gradFn);
      } else accumulate(leafGrads, out, g);
    });
  });
  const order = topoOrder(roots);
  for (const node of order) if (!node.backward) throw new AutogradError(FREED);
  for (const node of order) checkSaved(node);

  const wanted = inputs ? new Set(inputs.map((t) => t.gradFn ?? t)) : undefined;
  const captured = new Map<GradNode | Tensor, Tensor>();
  noGrad(() => {
    for (const node of order) {
      const g = pending.get(node);
      pending.delete(node);
      if (!g) continue;
      if (wanted?.has(node)) captured.set(node, g);
      const results = tidy(() =>
        node.backward!(
          g,
          node.next.map((e) => e !== null),
        ),
      );
      node.next.forEach((edge: GradEdge | null, i) => {
        const r = results[i];
        if (!edge || !r) return;
        if ('node' in edge) accumulate(pending, edge.node, r);
        else accumulate(leafGrads, edge.leaf, r);
      });
      if (!retainGraph) {
        node.backward = null;
        for (const { tensor } of node.saved) tensor._savedBy--;
      }
    }
  });

  if (inputs) {
    const result = inputs.map((t, i) => {
      const g = t.gradFn ? captured.get(t.gradFn) : leafGrads.get(t);
      if (!g && !allowUnused) {
        throw new AutogradError(
          `One of the differentiated Tensors (input ${i}) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.`,
        );
      }
      return g ? escapeScopes(g) : null;
    });
    return { result, loop: inputs[0] };
  }
  // `.grad` must own its storage (optimizers, zeroGrad and clipping write into it), so a
  // gradient shared with another leaf, a view, or the caller's own tensor is copied.
  const shared = new Set<Tensor>(grads?.filter((g): g is Tensor => !!g));
  for (const [leaf, g] of leafGrads) {
    if (!leaf.requiresGrad) continue;
    const prev = leaf.grad;
    if (prev !== null) {
      noGrad(() => prev.add_(g));
      continue;
    }
    const own = shared.has(g) || (g._ref?.refs ?? 1) > 1 || g.dtype !== leaf.dtype;
    shared.add(g);
    leaf._setOwnedGrad(own ? noGrad(() => (g.dtype !== leaf.dtype ? g.to(leaf.dtype) : g.clone())) : g);
  }
  return { result: undefined, loop: leafGrads.keys().next().value };
}

function onesOf(t: Tensor): Tensor {
  const g = Tensor.uninit(t.shape, t.dtype, t.backend);
  t.backend.fill(g.storage, 1);
  return g;
}

/** `tensor.backward()`. */
export function backward(
  outputs: readonly Tensor[],
  grads: readonly (Tensor | null | undefined)[] | undefined,
  retainGraph: boolean,
): void {
  runGraph(outputs, grads, retainGraph);
}
