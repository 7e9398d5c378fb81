/**
 * Process-wide state that is not per tensor: grad mode, tidy scopes, live-tensor counts.
 */
import type { Tensor } from './tensor.js';

let gradEnabled = true;

/** Whether operations are recorded for autograd now: PyTorch's `is_grad_enabled`. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    const r = fn();
    if (r instanceof Promise) {
      // An async fn: the mode must hold until it settles, as `with torch.no_grad()` does
      // around awaited code in one task. Restored when the promise settles.
      return r.finally(() => {
        gradEnabled = prev;
      }) as T;
    }
    gradEnabled = prev;
    return r;
  } catch (e) {
    gradEnabled = prev;
    throw e;
  }
}

/** `torch.no_grad()`: runs `fn` with gradient recording off. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** `torch.enable_grad()`: runs `fn` with gradient recording on (inside a noGrad, say). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** `torch.set_grad_enabled(mode)`. */
export function setGradEnabled(mode: boolean): void {
  gradEnabled = mode;
}

// ---- tidy scopes ----

const scopes: Set<Tensor>[] = [];
let birthObserver: ((t: Tensor) => void) | undefined;

/** Called by every Tensor constructor: the innermost tidy scope owns the new tensor. */
export function trackTensor(t: Tensor): void {
  const n = scopes.length;
  if (n !== 0) scopes[n - 1]!.add(t);
  if (birthObserver !== undefined) birthObserver(t);
}

/**
 * @internal For test harnesses (conformance's per-test memory check): `fn` sees every
 * tensor made from now on, as it is made; `undefined` stops it. One observer at a time.
 */
export function observeTensorBirths(fn: ((t: Tensor) => void) | undefined): void {
  birthObserver = fn;
}

/** Removes a tensor from every open tidy scope (a result that must outlive the scope). */
export function escapeScopes<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/**
 * `torch.keep(t)`: `tidy` will not dispose `t`, and loop boundaries will not release it
 * (core README, "Memory"); only `dispose()` (or the finalizer, once it is unreachable)
 * frees it. Parameters, buffers and optimizer state are kept this way.
 */
export function keep<T extends Tensor>(t: T): T {
  t._pins = Number.POSITIVE_INFINITY;
  return escapeScopes(t);
}

/**
 * `tf.tidy` for stepwise: runs `fn`, then disposes every tensor created inside it that is
 * not returned (a tensor, or tensors in a returned array/object) and not `keep`-ed.
 * Gradients that backward stores into `.grad` and optimizer state are kept automatically.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise) {
    throw new TypeError('tidy(fn): fn must be synchronous (it returned a Promise)');
  }
  const returned = new Set<Tensor>();
  collectTensors(result, returned, 0);
  for (const t of scope) {
    if (returned.has(t)) scopes[scopes.length - 1]?.add(t);
    else t.dispose();
  }
  return result;
}

function collectTensors(v: unknown, out: Set<Tensor>, depth: number): void {
  if (v === null || typeof v !== 'object' || depth > 8) return;
  if (isTensorLike(v)) {
    out.add(v as Tensor);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectTensors(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) collectTensors(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
}

let tensorBrand: symbol | undefined;
/** Set once by tensor.ts, so this module need not import the Tensor class. */
export function setTensorBrand(s: symbol): void {
  tensorBrand = s;
}
function isTensorLike(v: object): boolean {
  return tensorBrand !== undefined && tensorBrand in v;
}
