/** The transform base class, and how datasets and `Compose` call a transform. */

/**
 * A transform: torchvision's callable objects (`nn.Module`s in v2). A JS object cannot be
 * called, so a transform runs as `t.forward(x)` or `t.call(x)`, like core's modules.
 * Subclass it for a custom transform, or pass a plain function wherever a transform goes.
 */
export abstract class Transform<I = any, O = any> {
  /** Applies the transform. */
  abstract forward(x: I): O;

  /** Same as `forward` (PyTorch's `t(x)`). */
  call(x: I): O {
    return this.forward(x);
  }

  /** torchvision's `repr`: the class name and its arguments. */
  toString(): string {
    return `${this.constructor.name}()`;
  }
}

/** What datasets and `Compose` accept as a transform: a `Transform`, any `{ forward }`, or a function. */
export type TransformLike<I = any, O = any> =
  | Transform<I, O>
  | {
      /** Applies the transform to `x`. */
      forward(x: I): O;
    }
  | ((x: I) => O);

/** Runs a transform-like on `x`. */
export function applyTransform<I, O>(t: TransformLike<I, O>, x: I): O {
  return typeof t === 'function' ? t(x) : t.forward(x);
}

/** Checks that `t` can be applied, naming `who` and `what` if not. */
export function checkTransform(who: string, what: string, t: unknown): void {
  if (typeof t === 'function') return;
  if (t && typeof t === 'object' && typeof (t as { forward?: unknown }).forward === 'function') return;
  throw new TypeError(
    `${who}: ${what} must be a transform (an object with forward(x)) or a function, got ${t === null ? 'null' : typeof t}`,
  );
}

/** How a transform-like prints inside `Compose` or a dataset's repr. */
export function describeTransform(t: TransformLike): string {
  if (typeof t === 'function') return `Lambda(${t.name || 'fn'})`;
  return String(t);
}
