import { Transform } from './transform.js';

/**
 * `torchvision.transforms.Lambda(lambd)`: a function as a transform (any plain function is
 * accepted as a transform too; `Lambda` gives it `forward`, `call` and a repr).
 */
export class Lambda<I = any, O = any> extends Transform<I, O> {
  /** The function applied. */
  readonly lambd: (x: I) => O;

  constructor(lambd: (x: I) => O) {
    super();
    if (typeof lambd !== 'function') {
      throw new TypeError(
        `Lambda: Argument lambd should be callable, got ${lambd === null ? 'null' : typeof lambd}`,
      );
    }
    this.lambd = lambd;
  }

  /** Calls `lambd(x)`. */
  forward(x: I): O {
    return this.lambd(x);
  }
}
