import {
  applyTransform,
  checkTransform,
  describeTransform,
  Transform,
  type TransformLike,
} from './transform.js';

/**
 * `torchvision.transforms.Compose(transforms)`: applies the transforms one after the other.
 *
 *     new Compose([new ToTensor(), new Normalize([0.2860], [0.3530])])
 */
export class Compose<I = any, O = any> extends Transform<I, O> {
  /** The transforms, in the order they run. */
  readonly transforms: readonly TransformLike[];

  constructor(transforms: readonly TransformLike[]) {
    super();
    if (!Array.isArray(transforms)) throw new TypeError('Compose: transforms must be an array of transforms');
    transforms.forEach((t, i) => {
      checkTransform('Compose', `transforms[${i}]`, t);
    });
    this.transforms = [...transforms];
  }

  /** Runs every transform in order. */
  forward(x: I): O {
    let v: unknown = x;
    for (const t of this.transforms) v = applyTransform(t, v);
    return v as O;
  }

  override toString(): string {
    return `Compose(\n${this.transforms.map((t) => `    ${describeTransform(t)}\n`).join('')})`;
  }
}
